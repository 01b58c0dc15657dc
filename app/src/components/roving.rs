//! One Tab stop for a group of many controls, arrow keys within it (the WAI-ARIA "roving
//! tabindex"): the finder's open times are one stop instead of dozens. Only after the
//! script runs; without it every control keeps its own Tab stop.
//!
//! The group's members are its visible elements with a given class (`rove` in the finder:
//! the times and the "more times" toggles); the one with
//! `tabindex="0"` is the stop, every other gets `-1`. Right/Down and Left/Up move to the
//! next and previous, Home/End to the first and last of the same `section`, PageDown/PageUp
//! to the first of the next and previous `section` (a day, in the finder).

use leptos::ev::{FocusEvent, KeyboardEvent};
use leptos::html::Div;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{Element, HtmlElement};

/// Whether `e` can be seen: not inside something not displayed (no offset parent) nor
/// in the hidden part of a closed `<details>` (which keeps its layout in Chromium).
fn visible(e: &HtmlElement) -> bool {
    if e.offset_parent().is_none() {
        return false;
    }
    match e.closest("details:not([open])").ok().flatten() {
        // A closed details' own summary stays visible.
        Some(closed) => e
            .parent_element()
            .is_some_and(|p| p == closed && e.tag_name().eq_ignore_ascii_case("summary")),
        None => true,
    }
}

/// The visible members of `group`, in document order.
fn members(group: &Element, class: &str) -> Vec<HtmlElement> {
    let all = group.get_elements_by_class_name(class);
    (0..all.length())
        .filter_map(|i| all.item(i))
        .filter_map(|e| e.dyn_into::<HtmlElement>().ok())
        .filter(visible)
        .collect()
}

/// Makes exactly one visible member the Tab stop: the one that already was, or the first.
pub fn settle(group: &Element, class: &str) {
    let visible = members(group, class);
    let stop = visible
        .iter()
        .position(|e| e.get_attribute("tabindex").as_deref() == Some("0"))
        .unwrap_or(0);
    let all = group.get_elements_by_class_name(class);
    for i in 0..all.length() {
        if let Some(e) = all.item(i) {
            let _ = e.set_attribute("tabindex", "-1");
        }
    }
    if let Some(e) = visible.get(stop) {
        let _ = e.set_attribute("tabindex", "0");
    }
}

fn section_of(e: &HtmlElement) -> Option<Element> {
    e.closest("section").ok().flatten()
}

/// Makes `to` the one stop among `visible`.
fn set_stop(visible: &[HtmlElement], to: &HtmlElement) {
    for e in visible {
        let _ = e.set_attribute("tabindex", "-1");
    }
    let _ = to.set_attribute("tabindex", "0");
}

/// Moves the stop to `to` and focuses it.
fn make_stop(visible: &[HtmlElement], to: &HtmlElement) {
    set_stop(visible, to);
    let _ = to.focus();
}

/// Handles a key pressed inside `group`; `true` when it moved focus.
pub fn on_key(group: &Element, class: &str, ev: &KeyboardEvent) -> bool {
    let Some(target) = ev.target().and_then(|t| t.dyn_into::<HtmlElement>().ok()) else {
        return false;
    };
    if !target.class_list().contains(class) {
        return false;
    }
    let visible = members(group, class);
    let Some(here) = visible.iter().position(|e| *e == target) else {
        return false;
    };
    let section = section_of(&target);
    let same_section = |e: &&HtmlElement| section_of(e) == section;
    let to = match ev.key().as_str() {
        "ArrowRight" | "ArrowDown" => visible.get(here + 1),
        "ArrowLeft" | "ArrowUp" => here.checked_sub(1).and_then(|i| visible.get(i)),
        "Home" => visible.iter().find(same_section),
        "End" => visible.iter().rev().find(same_section),
        "PageDown" => visible[here..].iter().find(|e| section_of(e) != section),
        "PageUp" => {
            // The first member of the section before this one.
            let before = visible[..here]
                .iter()
                .rev()
                .find(|e| section_of(e) != section);
            let previous = before.and_then(section_of);
            before.and_then(|_| visible.iter().find(|e| section_of(e) == previous))
        }
        _ => return false,
    };
    match to {
        Some(to) => {
            ev.prevent_default();
            make_stop(&visible, to);
            true
        }
        None => {
            // At either end: stay, but do not let the page scroll instead.
            ev.prevent_default();
            false
        }
    }
}

/// Settles the stop once the page is interactive, whenever `changed` says the visible
/// members may have changed (a day picked, the signed-in user known), and after every
/// click inside (a `<details>` opened or closed). The group's element wires the events:
/// `on:keydown` to [`on_key`], `on:click` to [`settle_soon`], `on:focusin` to [`on_focus`].
pub fn watch(group: NodeRef<Div>, class: &'static str, changed: impl Fn() + 'static) {
    Effect::new(move |_| {
        changed();
        settle_soon(group, class);
    });
}

/// Settles the stop once the current rendering is done.
pub fn settle_soon(group: NodeRef<Div>, class: &'static str) {
    set_timeout(
        move || {
            if let Some(g) = group.get_untracked() {
                settle(&g, class);
            }
        },
        std::time::Duration::ZERO,
    );
}

/// A member focused some other way (a click, a tap) becomes the stop.
pub fn on_focus(group: &Element, class: &str, ev: &FocusEvent) {
    if let Some(t) = ev.target().and_then(|t| t.dyn_into::<HtmlElement>().ok()) {
        if t.class_list().contains(class) {
            set_stop(&members(group, class), &t);
        }
    }
}
