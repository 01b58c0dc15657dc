//! The wire and view types of `api::booking`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentTypeView {
    pub appointment_type_id: i64,
    pub name: String,
    pub minutes: i64,
    /// Shown before booking ("bring your vaccination card").
    pub note: Option<String>,
}

impl AppointmentTypeView {
    pub fn of(t: &domain::visit_type::VisitType, slot_minutes: i64) -> Self {
        AppointmentTypeView {
            appointment_type_id: t.id,
            name: t.name.clone(),
            minutes: slot_minutes * i64::from(t.slot_count),
            note: t.note.clone(),
        }
    }
}

/// Choosing a doctor for a visit type: those who offer it, and the patient's usual one
/// (the doctor they saw most recently) when signed in and they offer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorChoiceView {
    pub appointment_type: AppointmentTypeView,
    pub doctors: Vec<crate::wire::directory::DoctorCard>,
    pub usual: Option<crate::wire::directory::DoctorCard>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayTimes {
    pub date: NaiveDate,
    pub times: Vec<DateTime<Utc>>,
}

/// Seven days of open start times in the clinic's time zone, from today at the earliest
/// (by default from the first day with openings). No doctors, no counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekView {
    pub types: Vec<AppointmentTypeView>,
    pub appointment_type: AppointmentTypeView,
    /// The first of the seven days shown.
    pub week_start: NaiveDate,
    pub days: Vec<DayTimes>,
    pub time_zone: String,
    pub prev_week: Option<NaiveDate>,
    pub next_week: Option<NaiveDate>,
    /// The first day with any opening, when the days shown have none.
    pub first_open_week: Option<NaiveDate>,
    /// The earliest open time of this visit type from now.
    pub next_available: Option<DateTime<Utc>>,
    /// The doctor the patient chose (their times only); `None`: any doctor.
    pub doctor: Option<crate::wire::directory::DoctorCard>,
    /// With a chosen doctor: another doctor's first open time, when it is sooner.
    pub sooner_elsewhere: Option<DateTime<Utc>>,
}

/// A time reserved for the patient while they confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldView {
    pub token: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub type_name: String,
    /// The type's note shown before booking.
    pub note: Option<String>,
    /// The type's intake questions, answered when confirming.
    pub questions: Vec<domain::visit_type::IntakeQuestion>,
    pub time_zone: String,
    /// The server's clock when this was read, so the countdown does not trust the device's.
    pub server_now: DateTime<Utc>,
    /// Fresh per page view: a double submit of the confirm form books once.
    pub idempotency_key: Uuid,
    pub appointment_type_id: i64,
    /// The first name of the person the visit is for, when the patient books for someone
    /// they look after.
    #[serde(default)]
    pub for_name: Option<String>,
}

/// Who a move would be with (the move page says so before the patient confirms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveDoctor {
    /// `None`: nobody is free at that time any more.
    pub doctor_name: Option<String>,
    /// The visit keeps its doctor.
    pub same_doctor: bool,
}
