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
    use chrono::Timelike;
    // By hand, not `format("%-I:%M %p")`: the finder writes hundreds of these per page.
    let local = t.with_timezone(&tz);
    let (pm, hour) = local.hour12();
    format!(
        "{hour}:{:02} {}",
        local.minute(),
        if pm { "PM" } else { "AM" }
    )
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

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    #[test]
    fn clock_writes_what_the_format_string_did() {
        let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
        let start = Utc.with_ymd_and_hms(2026, 3, 7, 0, 0, 0).unwrap();
        for minutes in (0..3 * 24 * 60).step_by(5) {
            let t = start + Duration::minutes(minutes);
            let expected = t.with_timezone(&tz).format("%-I:%M %p").to_string();
            assert_eq!(super::clock(tz, t), expected);
        }
    }
}
