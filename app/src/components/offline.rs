//! The installable app, in the browser: registers the service worker (`public/sw.js`),
//! keeps the signed-in patient's visits for reading offline, says when the connection is
//! gone (and disables every form until it is back), and offers to install the app.
//!
//! What is kept offline is written here on purpose, never by the worker from a response:
//! pages and server answers stay `no-store`. It lives in one cache per patient
//! (`visits-<key>`, one JSON entry), holds only what "My appointments" and the visit
//! pages showed (not the private reason for the visit), and is emptied:
//! - on every page load by anyone else, signed out, or signed in as staff or a doctor
//!   (so also on sign-out, on a change of user and when the server says the session
//!   ended);
//! - by the offline page itself once the moment the session would have ended by itself
//!   has passed (`until`, from the server's idle and absolute limits).
//!
//! The offline page (`public/offline.js`) reads the same entry.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::auth::Auth;
use crate::wire::appointments::AppointmentView;
use crate::wire::directory::ClinicProfile;
use domain::booking::AppointmentStatus;
use domain::role::Role;

/// The one entry of a patient's offline cache.
pub const SAVED_VISITS_URL: &str = "/offline/visits.json";
/// Without the session's limits from the server, kept this long (the default idle limit).
const FALLBACK_MINUTES: i64 = 30;

/// What the offline page shows, as the patient last saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SavedVisits {
    pub saved_at: DateTime<Utc>,
    /// When the session would have ended by itself: after it, nothing is shown.
    pub until: DateTime<Utc>,
    /// "Clinic name, address".
    pub r#where: String,
    pub visits: Vec<SavedVisit>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SavedVisit {
    pub id: i64,
    /// As the pages write it, in the clinic's time zone.
    pub when: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub booked: bool,
    pub status: String,
    pub type_name: String,
    /// "Standard visit (30 minutes)".
    pub visit: String,
    pub doctor_name: String,
    pub for_name: Option<String>,
    pub clinic_note: Option<String>,
    pub confirmed: bool,
    pub seen_at: DateTime<Utc>,
}

impl SavedVisit {
    pub fn of(a: &AppointmentView, tz: chrono_tz::Tz, now: DateTime<Utc>) -> Self {
        Self {
            id: a.appointment_id,
            when: crate::components::time::full(tz, a.start),
            start: a.start,
            end: a.end,
            booked: a.status == AppointmentStatus::Booked,
            status: a.status.patient_label().to_owned(),
            type_name: a.type_name.clone(),
            visit: format!(
                "{} ({} minutes)",
                a.type_name,
                (a.end - a.start).num_minutes()
            ),
            doctor_name: a.doctor_name.clone(),
            for_name: a.for_name.clone(),
            clinic_note: a.clinic_note.clone(),
            confirmed: a.status == AppointmentStatus::Booked && a.confirmed_at.is_some(),
            seen_at: now,
        }
    }
}

/// The cache of one user's saved visits. The name does not show the account's id.
pub fn cache_name(user_id: i64) -> String {
    // FNV-1a, 64 bits: stable across builds and browsers, no crypto needed (the name
    // only has to differ per user and not read as an id).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in format!("clinic-offline:{user_id}").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("visits-{hash:016x}")
}

/// The signed-in patient and their session's limits, if a patient is signed in.
fn patient_session() -> Option<(i64, Option<crate::wire::auth::SessionLimits>)> {
    let user = Auth::get().user.get_untracked()?.ok()??;
    (user.role == Role::Patient).then_some((user.user_id, user.session_limits))
}

/// Keeps the visits just shown for reading offline: `all` replaces what was kept
/// ("My appointments" shows every visit), otherwise the one visit is added or updated
/// (a visit's page). Only for a signed-in patient, only in the browser.
pub fn remember_visits(
    visits: &[AppointmentView],
    clinic: Option<&ClinicProfile>,
    tz: chrono_tz::Tz,
    all: bool,
) {
    if cfg!(not(feature = "hydrate")) {
        return;
    }
    let Some((user_id, limits)) = patient_session() else {
        return;
    };
    // The page's data was just read with this session: it ends no sooner than this.
    let now = Utc::now();
    let fresh = SavedVisits {
        saved_at: now,
        until: limits.map_or(now + chrono::Duration::minutes(FALLBACK_MINUTES), |l| {
            l.ends_after(now)
        }),
        r#where: clinic
            .map(|c| format!("{}, {}", c.name, c.address))
            .unwrap_or_default(),
        visits: visits.iter().map(|a| SavedVisit::of(a, tz, now)).collect(),
    };
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(browser::save(cache_name(user_id), fresh, all));
    #[cfg(not(feature = "hydrate"))]
    let _ = (user_id, fresh, all);
}

/// Merges a visit's page into what was kept: the same visit is replaced, the list's
/// time and the others stay as they were.
pub fn merge(kept: Option<SavedVisits>, fresh: SavedVisits) -> SavedVisits {
    let Some(mut kept) = kept else {
        return fresh;
    };
    for visit in fresh.visits {
        match kept.visits.iter_mut().find(|v| v.id == visit.id) {
            Some(old) => *old = visit,
            None => kept.visits.push(visit),
        }
    }
    kept.until = fresh.until;
    kept.r#where = fresh.r#where;
    kept
}

/// Registers the worker, keeps the offline caches to the signed-in patient, and
/// guards forms while offline. Once, in `App`.
#[component]
pub fn OfflineSupport() -> impl IntoView {
    let auth = Auth::get();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::register_worker();
    });
    // Signing out empties it at once, whatever the next answer about who is signed in.
    Effect::new(move |_| {
        if let Some(Ok(())) = auth.log_out.value().get() {
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(browser::forget_all_but(None));
        }
    });
    // Whoever the server says is signed in decides what may stay on this device.
    Effect::new(move |_| {
        let Some(Ok(user)) = auth.user.get() else {
            return; // still loading, or the server did not answer: change nothing
        };
        let keep = user
            .filter(|u| u.role == Role::Patient)
            .map(|u| cache_name(u.user_id));
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(browser::forget_all_but(keep));
        #[cfg(not(feature = "hydrate"))]
        let _ = keep;
    });
    view! { <ConnectionBanner/> }
}

/// "Offline — shown as of 14:02; changes need a connection", and every form disabled,
/// while the browser is offline. The finder says it needs a connection instead.
#[component]
fn ConnectionBanner() -> impl IntoView {
    let online = RwSignal::new(true);
    let shown_at = RwSignal::new(String::new());
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::watch_connection(online);
    });
    // The time this page's data arrived: when the page (or a move to another) loaded.
    Effect::new(move |_| {
        location.pathname.track();
        #[cfg(feature = "hydrate")]
        shown_at.set(browser::clock_now());
    });
    Effect::new(move |_| {
        let online = online.get();
        location.pathname.track();
        #[cfg(feature = "hydrate")]
        browser::forms_enabled(online);
        #[cfg(not(feature = "hydrate"))]
        let _ = online;
    });
    let text = move || {
        let path = location.pathname.get();
        if path == "/book" || path.starts_with("/book/") {
            "Offline — finding a time needs a connection.".to_owned()
        } else {
            format!(
                "Offline — shown as of {}; changes need a connection.",
                shown_at.get()
            )
        }
    };
    view! {
        <Show when=move || !online.get()>
            <p class="offline-banner" role="status">{text}</p>
        </Show>
    }
}

/// Offers to install the app when the browser says it can be installed. "No thanks" is
/// for good (remembered on this device). It sits in the page's flow after the page's
/// content, never over it, and appearing moves nothing the patient is reading. Once, in
/// `App`, after the routes.
#[component]
pub fn InstallPrompt() -> impl IntoView {
    let offered = RwSignal::new(false);
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::watch_install_offer(offered);
    });
    // Not in the doctors' and staff portals: they work at the clinic's own computers.
    let here = move || {
        let path = location.pathname.get();
        !(path.starts_with("/admin") || path.starts_with("/doctor"))
    };
    let install = move |_| {
        offered.set(false);
        #[cfg(feature = "hydrate")]
        browser::install();
    };
    let never = move |_| {
        offered.set(false);
        #[cfg(feature = "hydrate")]
        browser::never_offer_install();
    };
    view! {
        <Show when=move || offered.get() && here()>
            <div class="install-prompt">
                <p>"Add the clinic to your home screen: your appointments open even without a connection."</p>
                <button type="button" class="action" on:click=install>"Install the app"</button>
                <button type="button" class="action secondary" on:click=never>"No thanks"</button>
            </div>
        </Show>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::{closure::Closure, JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::{merge, SavedVisits, SAVED_VISITS_URL};

    const NEVER_INSTALL_KEY: &str = "clinic-install-prompt";

    /// Cache Storage and service workers exist only in a secure context (HTTPS or
    /// localhost); elsewhere the app simply works online.
    fn caches() -> Option<web_sys::CacheStorage> {
        let window = web_sys::window()?;
        if !window.is_secure_context() {
            return None;
        }
        window.caches().ok()
    }

    pub fn register_worker() {
        let Some(window) = web_sys::window() else {
            return;
        };
        let navigator = window.navigator();
        let supported = window.is_secure_context()
            && js_sys::Reflect::has(&navigator, &JsValue::from_str("serviceWorker"))
                .unwrap_or(false);
        if supported {
            let promise = navigator.service_worker().register("/sw.js");
            leptos::task::spawn_local(async move {
                if let Err(e) = JsFuture::from(promise).await {
                    leptos::logging::warn!("service worker not registered: {e:?}");
                }
            });
        }
    }

    async fn cache_names() -> Vec<String> {
        let Some(caches) = caches() else {
            return Vec::new();
        };
        match JsFuture::from(caches.keys()).await {
            Ok(keys) => js_sys::Array::from(&keys)
                .iter()
                .filter_map(|k| k.as_string())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Deletes every patient's saved visits but `keep`'s.
    pub async fn forget_all_but(keep: Option<String>) {
        let Some(caches) = caches() else {
            return;
        };
        for name in cache_names().await {
            if name.starts_with("visits-") && Some(&name) != keep.as_ref() {
                let _ = JsFuture::from(caches.delete(&name)).await;
            }
        }
    }

    async fn open(name: &str) -> Option<web_sys::Cache> {
        let cache = JsFuture::from(caches()?.open(name)).await.ok()?;
        cache.dyn_into().ok()
    }

    async fn read(cache: &web_sys::Cache) -> Option<SavedVisits> {
        let hit = JsFuture::from(cache.match_with_str(SAVED_VISITS_URL))
            .await
            .ok()?;
        let response: web_sys::Response = hit.dyn_into().ok()?;
        let text = JsFuture::from(response.text().ok()?).await.ok()?;
        serde_json::from_str(&text.as_string()?).ok()
    }

    pub async fn save(name: String, fresh: SavedVisits, all: bool) {
        let Some(cache) = open(&name).await else {
            return;
        };
        let saved = if all {
            fresh
        } else {
            merge(read(&cache).await, fresh)
        };
        let Ok(json) = serde_json::to_string(&saved) else {
            return;
        };
        if let Ok(response) = web_sys::Response::new_with_opt_str(Some(&json)) {
            let _ = JsFuture::from(cache.put_with_str(SAVED_VISITS_URL, &response)).await;
        }
    }

    /// "14:02" in the device's own clock.
    pub fn clock_now() -> String {
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"hour".into(), &"2-digit".into());
        let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
        js_sys::Date::new_0()
            .to_locale_time_string_with_options("default", &options)
            .into()
    }

    pub fn watch_connection(online: RwSignal<bool>) {
        let Some(window) = web_sys::window() else {
            return;
        };
        online.set(window.navigator().on_line());
        let went_online = window_event_listener(leptos::ev::online, move |_| online.set(true));
        let went_offline = window_event_listener(leptos::ev::offline, move |_| online.set(false));
        // Lives as long as the page: the app's shell is never unmounted.
        std::mem::forget((went_online, went_offline));
        // Forms that appear while offline (data arriving, a section opened) are disabled
        // too. Only added or removed elements are watched: disabling changes attributes,
        // so it does not wake this again.
        let late_forms = Closure::<dyn Fn()>::new(|| {
            if web_sys::window().is_some_and(|w| !w.navigator().on_line()) {
                forms_enabled(false);
            }
        });
        if let (Ok(observer), Some(body)) = (
            web_sys::MutationObserver::new(late_forms.as_ref().unchecked_ref()),
            document().body(),
        ) {
            let options = web_sys::MutationObserverInit::new();
            options.set_child_list(true);
            options.set_subtree(true);
            let _ = observer.observe_with_options(&body, &options);
            std::mem::forget(observer);
        }
        late_forms.forget();
        // A form submitted while offline (one rendered after the banner, say) goes nowhere.
        let guard = Closure::<dyn Fn(web_sys::Event)>::new(|event: web_sys::Event| {
            let offline = web_sys::window().is_some_and(|w| !w.navigator().on_line());
            if offline {
                event.prevent_default();
                event.stop_immediate_propagation();
            }
        });
        let _ = document().add_event_listener_with_callback_and_bool(
            "submit",
            guard.as_ref().unchecked_ref(),
            true,
        );
        guard.forget();
    }

    /// Disables every control of every form on the page while offline (marking the
    /// ones it disabled, so going online again enables only those).
    pub fn forms_enabled(online: bool) {
        let forms = document().forms();
        for i in 0..forms.length() {
            let Some(form) = forms.item(i) else { continue };
            if online {
                let _ = form.remove_attribute("aria-disabled");
            } else {
                let _ = form.set_attribute("aria-disabled", "true");
            }
            let Ok(controls) = form.query_selector_all("button, input, select, textarea") else {
                continue;
            };
            for j in 0..controls.length() {
                let Some(control) = controls
                    .item(j)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                else {
                    continue;
                };
                if online {
                    if control.has_attribute("data-offline-disabled") {
                        let _ = control.remove_attribute("disabled");
                        let _ = control.remove_attribute("data-offline-disabled");
                    }
                } else if !control.has_attribute("disabled") {
                    let _ = control.set_attribute("disabled", "");
                    let _ = control.set_attribute("data-offline-disabled", "");
                }
            }
        }
    }

    fn local_storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    thread_local! {
        /// The browser's `beforeinstallprompt` event, kept to call `prompt()` on later.
        static OFFER: std::cell::RefCell<Option<web_sys::Event>> = const { std::cell::RefCell::new(None) };
    }

    pub fn watch_install_offer(offered: RwSignal<bool>) {
        let declined = local_storage()
            .and_then(|s| s.get_item(NEVER_INSTALL_KEY).ok().flatten())
            .is_some();
        if declined {
            return;
        }
        let handle = window_event_listener_untyped("beforeinstallprompt", move |event| {
            // Keep the browser's own banner away: ours sits in the page instead.
            event.prevent_default();
            OFFER.with(|o| *o.borrow_mut() = Some(event));
            offered.set(true);
        });
        std::mem::forget(handle);
        let installed = window_event_listener_untyped("appinstalled", move |_| offered.set(false));
        std::mem::forget(installed);
    }

    pub fn install() {
        let Some(event) = OFFER.with(|o| o.borrow_mut().take()) else {
            return;
        };
        if let Ok(prompt) = js_sys::Reflect::get(&event, &"prompt".into()) {
            if let Some(prompt) = prompt.dyn_ref::<js_sys::Function>() {
                let _ = prompt.call0(&event);
            }
        }
    }

    pub fn never_offer_install() {
        OFFER.with(|o| o.borrow_mut().take());
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(NEVER_INSTALL_KEY, "never");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn visit(id: i64, seen: i64) -> SavedVisit {
        let start = Utc.with_ymd_and_hms(2026, 12, 8, 15, 0, 0).unwrap();
        SavedVisit {
            id,
            when: "Tuesday".into(),
            start,
            end: start + chrono::Duration::minutes(30),
            booked: true,
            status: "Booked".into(),
            type_name: "Standard".into(),
            visit: "Standard (30 minutes)".into(),
            doctor_name: "Dr. A".into(),
            for_name: None,
            clinic_note: None,
            confirmed: false,
            seen_at: Utc.timestamp_opt(seen, 0).unwrap(),
        }
    }

    #[test]
    fn cache_names_differ_per_user_and_hide_the_id() {
        assert_eq!(cache_name(7), cache_name(7));
        assert_ne!(cache_name(7), cache_name(8));
        assert!(cache_name(12345).starts_with("visits-"));
        assert!(!cache_name(12345).contains("12345"));
    }

    #[test]
    fn a_visit_page_updates_its_visit_and_keeps_the_rest() {
        let at = |s| Utc.timestamp_opt(s, 0).unwrap();
        let kept = SavedVisits {
            saved_at: at(100),
            until: at(200),
            r#where: "A".into(),
            visits: vec![visit(1, 100), visit(2, 100)],
        };
        let fresh = SavedVisits {
            saved_at: at(150),
            until: at(300),
            r#where: "B".into(),
            visits: vec![visit(2, 150), visit(3, 150)],
        };
        let merged = merge(Some(kept), fresh.clone());
        assert_eq!(merged.saved_at, at(100), "the list's time stays");
        assert_eq!(merged.until, at(300));
        let seen: Vec<_> = merged.visits.iter().map(|v| (v.id, v.seen_at)).collect();
        assert_eq!(seen, vec![(1, at(100)), (2, at(150)), (3, at(150))]);
        assert_eq!(merge(None, fresh.clone()), fresh);
        // The JSON the offline page reads names the place `where`.
        let json = serde_json::to_value(&merged).unwrap();
        assert_eq!(json["where"], "B");
        assert_eq!(json["visits"][0]["seen_at"], "1970-01-01T00:01:40Z");
    }
}
