//! The wire and view types of `api::waitlist`.

use serde::{Deserialize, Serialize};

/// "Tell me if an earlier time opens" for a visit (`appointment_id`), or "put me on the
/// waitlist" for a type (`appointment_type_id`), with optional limits: the days of the
/// week ticked (none ticked: any day; a ticked box posts any non-empty value), a part of
/// the day (`any`, `morning`, `afternoon`, `evening`; empty: any) and a first date
/// (`YYYY-MM-DD`; empty: none). All text, so it travels flattened into the server
/// function's own fields, with or without JavaScript.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct JoinForm {
    pub appointment_id: String,
    pub appointment_type_id: String,
    pub monday: String,
    pub tuesday: String,
    pub wednesday: String,
    pub thursday: String,
    pub friday: String,
    pub saturday: String,
    pub sunday: String,
    pub part_of_day: String,
    pub not_before: String,
    /// Whom the place is for: someone the patient looks after (empty: the patient).
    pub for_patient: String,
}

/// One of the patient's places on the waitlist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistEntry {
    pub waitlist_entry_id: i64,
    pub type_name: String,
    /// The visit to bring earlier, if any.
    pub appointment_id: Option<i64>,
    /// In words: "Any day, mornings, from 14 January".
    pub limits: String,
    /// When they joined, a date in the clinic's time zone.
    pub since: String,
    /// The first name of the person it is for, when someone the patient looks after.
    #[serde(default)]
    pub for_name: Option<String>,
}

/// What an offer's link shows (no sign-in needed): the time, the doctor, until when it
/// can be taken, and — for a patient with a visit — the visit it would replace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferView {
    pub type_name: String,
    pub doctor_name: String,
    /// The offered time and the visit it replaces, in the clinic's words and zone.
    pub when: String,
    pub replaces: Option<String>,
    pub expires: String,
    /// Someone else took the time first (the patient stays on the list).
    pub taken_by_other: bool,
}

/// What taking an offer came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OfferAnswer {
    /// Booked (or moved there): the time (also in words) and the doctor.
    Booked {
        start: chrono::DateTime<chrono::Utc>,
        when: String,
        doctor_name: String,
    },
    /// Someone else was quicker; the patient stays on the list.
    TakenByOther,
    /// Someone is booking the time this very moment; the offer is still open.
    Busy,
}

/// One patient waiting, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffWaitlistRow {
    pub waitlist_entry_id: i64,
    pub patient_id: i64,
    pub patient_name: String,
    /// No online account: offers cannot reach them; staff call when a time opens.
    pub has_account: bool,
    pub type_name: String,
    pub appointment_id: Option<i64>,
    /// The visit to bring earlier, in the clinic's words.
    pub visit: Option<String>,
    pub limits: String,
    pub since: String,
    pub offers_sent: i64,
    pub offers_taken_by_other: i64,
    pub offers_expired: i64,
}

/// The waitlist's record over the last 30 days.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WaitlistFigures {
    pub waiting: i64,
    pub freed_offered: i64,
    pub refilled: i64,
    pub median_days_gained: Option<f64>,
    pub offers_sent: i64,
    pub offers_taken: i64,
    pub offers_expired: i64,
}

impl WaitlistFigures {
    /// Re-filled ÷ offered, in whole percent (none offered: none).
    pub fn refilled_percent(&self) -> Option<i64> {
        (self.freed_offered > 0)
            .then(|| (self.refilled * 100 + self.freed_offered / 2) / self.freed_offered)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffWaitlistView {
    pub rows: Vec<StaffWaitlistRow>,
    pub figures: WaitlistFigures,
    pub settings: WaitlistSettingsForm,
    /// The visit types patients can wait for: (id, name).
    pub types: Vec<(i64, String)>,
}

/// The waitlist's settings as the form posts them (all text): wave size, minutes between
/// waves, minutes an offer lasts, offers per patient per day, and the quiet hours for
/// texts (`HH:MM`, clinic time; equal: none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WaitlistSettingsForm {
    pub wave_size: String,
    pub wave_minutes: String,
    pub offer_minutes: String,
    pub daily_cap: String,
    pub quiet_start: String,
    pub quiet_end: String,
}
