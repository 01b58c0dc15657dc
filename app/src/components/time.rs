//! Showing instants as clinic wall-clock times, and the visitor's own zone beside them.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use leptos::prelude::*;

pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// `2026-11-24T15:00:00Z`: safe in URLs and forms (no `+` to be read as a space).
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// "10:00 AM"
pub fn clock(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%-I:%M %p").to_string()
}

/// "Tuesday, November 24"
pub fn day(date: NaiveDate) -> String {
    date.format("%A, %B %-d").to_string()
}

/// "Tuesday, November 24, 2026 at 10:00 AM EST"
pub fn full(tz: Tz, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&tz);
    format!(
        "{} at {} {}",
        local.format("%A, %B %-d, %Y"),
        local.format("%-I:%M %p"),
        local.format("%Z")
    )
}

/// The browser's IANA time zone, known only after hydration (`None` on the server).
pub fn device_zone() -> Signal<Option<String>> {
    let zone = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let options =
                js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                    .resolved_options();
            if let Some(name) = js_sys::Reflect::get(&options, &"timeZone".into())
                .ok()
                .and_then(|v| v.as_string())
            {
                zone.set(Some(name));
            }
        }
    });
    zone.into()
}

/// The visitor's zone when it differs from the clinic's.
pub fn other_zone(device: Signal<Option<String>>, clinic: &str) -> Signal<Option<Tz>> {
    let clinic = clinic.to_owned();
    Signal::derive(move || {
        device
            .get()
            .filter(|d| *d != clinic)
            .and_then(|d| d.parse().ok())
    })
}
