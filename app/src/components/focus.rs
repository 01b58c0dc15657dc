//! Where keyboard focus goes when the page changes under it: to the new page's heading
//! after a move to another page, to a form's message when the server answers a submit.
//! Without this focus is left on `<body>` (or on a button that was disabled while the
//! answer was awaited), and a screen reader or keyboard user starts over from the top.

use leptos::prelude::*;

/// After a client-side move to another page, focus goes to that page's heading (a screen
/// reader announces it; the keyboard starts there) instead of staying on `<body>`. Changes
/// of the query alone (a filter, a preview, a day picked) leave focus where it is.
#[component]
pub fn FocusOnNavigation() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    Effect::new(move |seen: Option<String>| {
        let here = location.pathname.get();
        if seen.as_ref().is_some_and(|before| *before != here) {
            // The new page's heading renders after its data: look again for a moment.
            focus_heading(10);
        }
        here
    });
}

fn focus_heading(tries: u32) {
    use leptos::wasm_bindgen::JsCast;
    set_timeout(
        move || {
            let heading = document()
                .query_selector("main h1")
                .ok()
                .flatten()
                .and_then(|h| h.dyn_into::<leptos::web_sys::HtmlElement>().ok());
            match heading {
                Some(h) => {
                    let _ = h.set_attribute("tabindex", "-1");
                    let _ = h.focus();
                }
                None if tries > 0 => focus_heading(tries - 1),
                None => {}
            }
        },
        std::time::Duration::from_millis(60),
    );
}

/// After any form on the page is submitted in the browser, the first change the answer
/// makes decides where focus goes (focusing also scrolls it into view):
/// - a field marked invalid, or a field's message changed: that field (its message is
///   tied to it with `aria-describedby`);
/// - a `role="alert"` that got text (a form's or the page's error): the alert;
/// - a `role="status"` that got text while focus is nowhere (a saved notice): the notice.
///
/// One place for every form, so a new form needs nothing to behave the same.
#[component]
pub fn FocusOnFormAnswer() -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        watch::start();
    });
}

#[cfg(feature = "hydrate")]
mod watch {
    use std::cell::Cell;
    use std::rc::Rc;

    use leptos::prelude::document;
    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::{Element, HtmlElement};
    use web_sys::{MutationObserver, MutationObserverInit, MutationRecord};

    /// How long after a submit an answer may still take focus.
    const ANSWER_WITHIN_MS: f64 = 20_000.0;

    pub fn start() {
        // When the last submit happened (ms since the epoch); 0: no answer awaited.
        let awaiting = Rc::new(Cell::new(0.0_f64));
        let on_submit = {
            let awaiting = awaiting.clone();
            Closure::<dyn Fn()>::new(move || awaiting.set(js_sys::Date::now()))
        };
        let on_change = Closure::<dyn Fn(js_sys::Array)>::new(move |records: js_sys::Array| {
            let since = awaiting.get();
            if since == 0.0 || js_sys::Date::now() - since > ANSWER_WITHIN_MS {
                return;
            }
            let target = records
                .iter()
                .filter_map(|r| r.dyn_into::<MutationRecord>().ok())
                .find_map(|r| focus_target(&r));
            if let Some(target) = target {
                awaiting.set(0.0);
                let _ = target.focus();
            }
        });
        let Ok(observer) = MutationObserver::new(on_change.as_ref().unchecked_ref()) else {
            return;
        };
        let init = MutationObserverInit::new();
        init.set_child_list(true);
        init.set_subtree(true);
        init.set_character_data(true);
        init.set_attributes(true);
        init.set_attribute_filter(&js_sys::Array::of1(&"aria-invalid".into()));
        let Some(body) = document().body() else {
            return;
        };
        if observer.observe_with_options(&body, &init).is_err() {
            return;
        }
        // Capture: seen before the form's own handler, whatever it does with the event.
        let _ = document().add_event_listener_with_callback_and_bool(
            "submit",
            on_submit.as_ref().unchecked_ref(),
            true,
        );
        // Both live as long as the page (the app starts once per page load).
        on_submit.forget();
        on_change.forget();
    }

    fn has_text(e: &Element) -> bool {
        e.text_content().is_some_and(|t| !t.trim().is_empty())
    }

    /// Where focus goes for one change, if this change is an answer worth it.
    fn focus_target(record: &MutationRecord) -> Option<HtmlElement> {
        let node = record.target()?;
        let element = match node.dyn_into::<Element>() {
            Ok(e) => e,
            Err(node) => node.parent_element()?,
        };
        if record.type_() == "attributes" {
            return (element.get_attribute("aria-invalid").as_deref() == Some("true"))
                .then(|| element.dyn_into::<HtmlElement>().ok())
                .flatten();
        }
        if let Some(field) = element.closest(".field").ok().flatten() {
            if element.closest(".field-error").ok().flatten().is_some() && has_text(&element) {
                return field
                    .query_selector("[aria-invalid='true']")
                    .ok()
                    .flatten()
                    .and_then(|f| f.dyn_into::<HtmlElement>().ok());
            }
        }
        let alert = element.closest("[role='alert']").ok().flatten();
        let status = || {
            let nowhere = document()
                .active_element()
                .is_none_or(|a| a.tag_name().eq_ignore_ascii_case("body"));
            nowhere
                .then(|| element.closest("[role='status']").ok().flatten())
                .flatten()
        };
        let message = alert.or_else(status).filter(has_text)?;
        let message = message.dyn_into::<HtmlElement>().ok()?;
        let _ = message.set_attribute("tabindex", "-1");
        Some(message)
    }
}
