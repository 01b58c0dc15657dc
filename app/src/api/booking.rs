//! Finding a time and booking it, for patients. Browsing open times is public; holding,
//! confirming, moving and cancelling need a signed-in patient and touch only their own.

use chrono::{DateTime, NaiveDate, Utc};
use domain::bounded::{BoundedDate, BoundedInstant};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentTypeView {
    pub appointment_type_id: i64,
    pub name: String,
    pub minutes: i64,
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
}

/// A time reserved for the patient while they confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldView {
    pub token: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub type_name: String,
    pub time_zone: String,
    /// The server's clock when this was read, so the countdown does not trust the device's.
    pub server_now: DateTime<Utc>,
    /// Fresh per page view: a double submit of the confirm form books once.
    pub idempotency_key: Uuid,
    pub appointment_type_id: i64,
}

#[server(prefix = "/api", endpoint = "finder_week")]
pub async fn finder_week(
    appointment_type_id: Option<i64>,
    week: Option<BoundedDate>,
) -> Result<WeekView, AppError> {
    crate::server::respond(
        crate::server::patient::finder_week(appointment_type_id, week.map(Into::into)).await,
    )
}

/// Reserves a time for the signed-in patient, then continues to the confirm page.
#[server(prefix = "/api", endpoint = "hold_time")]
pub async fn hold_time(
    start: BoundedInstant,
    appointment_type_id: i64,
) -> Result<HoldView, AppError> {
    crate::server::respond(
        crate::server::patient::hold_time(start.into(), appointment_type_id).await,
    )
}

#[server(prefix = "/api", endpoint = "get_hold")]
pub async fn get_hold(token: Uuid) -> Result<HoldView, AppError> {
    crate::server::respond(crate::server::patient::hold_view(token).await)
}

/// Lets go of the signed-in patient's hold ("Choose another time"): the time is offered
/// again at once. Someone else's hold, or none, changes nothing.
#[server(prefix = "/api", endpoint = "release_hold")]
pub async fn release_hold(hold: Uuid, appointment_type_id: Option<i64>) -> Result<(), AppError> {
    crate::server::respond(crate::server::patient::release_hold(hold, appointment_type_id).await)
}

/// Books the held time. Submitting again with the same `idempotency_key` books nothing new.
#[server(prefix = "/api", endpoint = "confirm_booking")]
pub async fn confirm_booking(
    hold: Uuid,
    reason: Option<String>,
    idempotency_key: Uuid,
) -> Result<i64, AppError> {
    crate::server::respond(
        crate::server::patient::confirm_booking(hold, reason, idempotency_key).await,
    )
}

/// Moves the patient's appointment to `start`; the old time is released in the same
/// transaction, only once the new one is taken.
#[server(prefix = "/api", endpoint = "reschedule_appointment")]
pub async fn reschedule_appointment(
    appointment_id: i64,
    start: BoundedInstant,
) -> Result<i64, AppError> {
    crate::server::respond(crate::server::patient::reschedule(appointment_id, start.into()).await)
}

/// Who a move would be with (the move page says so before the patient confirms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveDoctor {
    /// `None`: nobody is free at that time any more.
    pub doctor_name: Option<String>,
    /// The visit keeps its doctor.
    pub same_doctor: bool,
}

/// Who moving the signed-in patient's own appointment to `start` would be with, as things
/// stand: the same doctor when free then, else whom the clinic would assign.
#[server(prefix = "/api", endpoint = "move_preview")]
pub async fn move_preview(
    appointment_id: i64,
    start: BoundedInstant,
) -> Result<MoveDoctor, AppError> {
    crate::server::respond(crate::server::patient::move_preview(appointment_id, start.into()).await)
}

#[server(prefix = "/api", endpoint = "cancel_appointment")]
pub async fn cancel_appointment(appointment_id: i64) -> Result<i64, AppError> {
    crate::server::respond(crate::server::patient::cancel(appointment_id).await)
}
