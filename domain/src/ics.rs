//! iCalendar (RFC 5545) for one appointment: METHOD:REQUEST when it is booked or changed,
//! METHOD:CANCEL when cancelled. The UID is stable per appointment and SEQUENCE grows with
//! every change, so calendar apps update the one event instead of adding another.
//! Carries no clinical detail: no visit reason, no doctor's specialty.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IcsMethod {
    /// An invitation sent by email (the calendar app offers to accept it).
    Request,
    Cancel,
    /// A file the patient downloads and adds themselves: no attendee, no reply expected.
    Publish,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcsEvent<'a> {
    pub uid: String,
    pub sequence: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub stamp: DateTime<Utc>,
    pub summary: &'a str,
    pub location: &'a str,
    pub organizer_name: &'a str,
    pub organizer_email: Option<&'a str>,
    /// Who the visit is with and how to reach the clinic; empty: none.
    pub description: &'a str,
    pub method: IcsMethod,
}

/// A visit at the clinic, as both its calendar files show it (the one mailed with each
/// message and the one downloaded from the visit's page).
#[derive(Debug, Clone)]
pub struct ClinicVisit<'a> {
    pub appointment_id: i64,
    /// Grows with every change, so calendars replace the old event.
    pub sequence: i32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub clinic_name: &'a str,
    pub clinic_address: &'a str,
    pub clinic_email: &'a str,
    /// Who the visit is with and how to change it.
    pub description: &'a str,
}

/// The calendar file of `visit`: one UID per appointment (on the clinic's mail domain),
/// "Appointment at <clinic>", the clinic as place and organiser.
pub fn render_visit(visit: &ClinicVisit<'_>, method: IcsMethod, stamp: DateTime<Utc>) -> String {
    let domain = visit
        .clinic_email
        .split('@')
        .nth(1)
        .filter(|d| !d.is_empty())
        .unwrap_or("clinic-scheduler.local");
    let summary = format!("Appointment at {}", visit.clinic_name);
    render(&IcsEvent {
        uid: appointment_uid(visit.appointment_id, domain),
        sequence: visit.sequence.max(0) as u32,
        start: visit.start,
        end: visit.end,
        stamp,
        summary: &summary,
        location: visit.clinic_address,
        organizer_name: visit.clinic_name,
        organizer_email: Some(visit.clinic_email),
        description: visit.description,
        method,
    })
}

/// The stable UID of an appointment's calendar event.
pub fn appointment_uid(appointment_id: i64, domain: &str) -> String {
    format!("appointment-{appointment_id}@{domain}")
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn text(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
        .replace('\r', "")
}

/// Folds a content line at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for ch in line.chars() {
        let len = ch.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += len;
    }
    out
}

pub fn render(event: &IcsEvent<'_>) -> String {
    let (method, status) = match event.method {
        IcsMethod::Request => ("REQUEST", "CONFIRMED"),
        IcsMethod::Cancel => ("CANCEL", "CANCELLED"),
        IcsMethod::Publish => ("PUBLISH", "CONFIRMED"),
    };
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Clinic Scheduler//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!("METHOD:{method}"),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", event.uid),
        format!("SEQUENCE:{}", event.sequence),
        format!("DTSTAMP:{}", utc(event.stamp)),
        format!("DTSTART:{}", utc(event.start)),
        format!("DTEND:{}", utc(event.end)),
        format!("SUMMARY:{}", text(event.summary)),
        format!("LOCATION:{}", text(event.location)),
        format!("STATUS:{status}"),
    ];
    if !event.description.is_empty() {
        lines.push(format!("DESCRIPTION:{}", text(event.description)));
    }
    if let Some(email) = event.organizer_email.filter(|e| !e.is_empty()) {
        lines.push(format!(
            "ORGANIZER;CN=\"{}\":mailto:{email}",
            event.organizer_name.replace('"', "'")
        ));
    }
    lines.push("END:VEVENT".to_owned());
    lines.push("END:VCALENDAR".to_owned());
    lines.iter().map(|l| fold(l) + "\r\n").collect()
}

/// One event of a doctor's private calendar feed: a time and a link, nothing about the
/// patient (the feed URL may end up in a shared calendar app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    pub uid: String,
    pub sequence: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: String,
    pub url: String,
}

/// A subscribable calendar (METHOD:PUBLISH) of `events`.
pub fn render_feed(name: &str, events: &[FeedEvent], stamp: DateTime<Utc>) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Clinic Scheduler//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!("X-WR-CALNAME:{}", text(name)),
    ];
    for event in events {
        lines.extend([
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", event.uid),
            format!("SEQUENCE:{}", event.sequence),
            format!("DTSTAMP:{}", utc(stamp)),
            format!("DTSTART:{}", utc(event.start)),
            format!("DTEND:{}", utc(event.end)),
            format!("SUMMARY:{}", text(&event.summary)),
            format!("URL:{}", event.url),
            "STATUS:CONFIRMED".to_owned(),
            "END:VEVENT".to_owned(),
        ]);
    }
    lines.push("END:VCALENDAR".to_owned());
    lines.iter().map(|l| fold(l) + "\r\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_feed_lists_each_visit_as_a_time_and_a_link() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 15, 0, 0).unwrap();
        let feed = render_feed(
            "Dr. Ada Okafor, Riverside",
            &[FeedEvent {
                uid: appointment_uid(7, "clinic.example"),
                sequence: 1,
                start: at,
                end: at + chrono::Duration::minutes(30),
                summary: "Visit (Standard)".to_owned(),
                url: "https://clinic.example/doctor/visits/7".to_owned(),
            }],
            at,
        );
        assert!(feed.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(feed.contains("METHOD:PUBLISH\r\n"));
        assert!(feed.contains("DTSTART:20261201T150000Z\r\n"));
        assert!(feed.contains("URL:https://clinic.example/doctor/visits/7\r\n"));
        assert_eq!(feed.matches("BEGIN:VEVENT").count(), 1);
        assert!(feed.ends_with("END:VCALENDAR\r\n"));
    }

    fn event(method: IcsMethod) -> IcsEvent<'static> {
        IcsEvent {
            uid: appointment_uid(42, "clinic.example"),
            sequence: 2,
            start: Utc.with_ymd_and_hms(2026, 12, 1, 15, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 12, 1, 15, 30, 0).unwrap(),
            stamp: Utc.with_ymd_and_hms(2026, 11, 22, 1, 0, 0).unwrap(),
            summary: "Appointment at Riverside Family Clinic",
            location: "120 River Street, Springfield",
            organizer_name: "Riverside Family Clinic",
            organizer_email: Some("frontdesk@riverside.test"),
            description: "With Dr. Ada Okafor. To change it call +1 555 010 2030.",
            method,
        }
    }

    #[test]
    fn a_download_is_published_with_doctor_and_clinic_phone() {
        let ics = render(&event(IcsMethod::Publish));
        assert!(ics.contains("METHOD:PUBLISH\r\n"), "{ics}");
        assert!(ics.contains("STATUS:CONFIRMED\r\n"));
        assert!(
            ics.contains("DESCRIPTION:With Dr. Ada Okafor. To change it call +1 555 010 2030.\r\n")
        );
    }

    #[test]
    fn request_has_utc_times_stable_uid_and_sequence() {
        let ics = render(&event(IcsMethod::Request));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        for line in [
            "METHOD:REQUEST",
            "UID:appointment-42@clinic.example",
            "SEQUENCE:2",
            "DTSTART:20261201T150000Z",
            "DTEND:20261201T153000Z",
            "LOCATION:120 River Street\\, Springfield",
            "STATUS:CONFIRMED",
        ] {
            assert!(
                ics.contains(&format!("{line}\r\n")),
                "missing {line} in {ics}"
            );
        }
        assert!(ics.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
    }

    #[test]
    fn cancel_marks_the_event_cancelled() {
        let ics = render(&event(IcsMethod::Cancel));
        assert!(ics.contains("METHOD:CANCEL\r\n") && ics.contains("STATUS:CANCELLED\r\n"));
    }

    #[test]
    fn long_lines_are_folded_at_75_octets() {
        let long = "A very long clinic address ".repeat(6);
        let e = IcsEvent {
            location: &long,
            ..event(IcsMethod::Request)
        };
        let ics = render(&e);
        assert!(ics.split("\r\n").all(|l| l.len() <= 75), "{ics}");
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("LOCATION:{}", long.trim_end())));
    }
}
