//! Running the clinic: holidays and the attention queue (visits that rule 6 could not
//! hand to another doctor).

use chrono::{DateTime, NaiveDate, Utc};
use domain::bounded::{BoundedDate, BoundedInstant};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::appointments::AppointmentView;
use crate::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
}

/// What closing a day did, or would do, to its booked visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingOutcome {
    pub moved: u32,
    pub queued: u32,
}

/// Clinic holidays from today on.
#[server(prefix = "/api", endpoint = "list_holidays")]
pub async fn list_holidays() -> Result<Vec<Holiday>, AppError> {
    crate::server::respond(crate::server::staff::clinic::holidays().await)
}

/// What adding the holiday would do to that day's visits, without doing it.
#[server(prefix = "/api", endpoint = "preview_holiday")]
pub async fn preview_holiday(date: BoundedDate, name: String) -> Result<ClosingOutcome, AppError> {
    crate::server::respond(
        crate::server::staff::clinic::add_holiday(date.into(), name, false).await,
    )
}

/// Closes the clinic that day: its free times close at once; its visits wait for staff.
#[server(prefix = "/api", endpoint = "add_holiday")]
pub async fn add_holiday(date: BoundedDate, name: String) -> Result<ClosingOutcome, AppError> {
    crate::server::respond(crate::server::staff::clinic::add_holiday(date.into(), name, true).await)
}

/// Opens the clinic that day again.
#[server(prefix = "/api", endpoint = "remove_holiday")]
pub async fn remove_holiday(date: BoundedDate) -> Result<(), AppError> {
    crate::server::respond(crate::server::staff::clinic::remove_holiday(date.into()).await)
}

/// A visit waiting for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionItem {
    pub item_id: i64,
    /// Why: the doctor's leave or block, a holiday, changed hours, an inactive doctor.
    pub cause: String,
    pub waiting_since: DateTime<Utc>,
    pub patient_id: i64,
    pub visit: AppointmentView,
    /// The visit's own time when a colleague is free then, and the nearest open times
    /// for the same visit type (any doctor).
    pub suggestions: Vec<DateTime<Utc>>,
}

/// The open attention items, oldest first (each patient shown is an audited read).
#[server(prefix = "/api", endpoint = "attention_queue")]
pub async fn attention_queue() -> Result<Vec<AttentionItem>, AppError> {
    crate::server::respond(crate::server::staff::attention::queue().await)
}

/// Resolves an item: `move` (to `start`), `cancel`, or `keep` (nothing changes, e.g. the
/// doctor will see the patient after all). The note is required and kept; the patient is
/// told of a move or cancellation.
#[server(prefix = "/api", endpoint = "resolve_attention")]
pub async fn resolve_attention(
    item_id: i64,
    action: String,
    start: Option<BoundedInstant>,
    note: String,
) -> Result<(), AppError> {
    use crate::server::staff::attention::{self, Resolution};
    let input = Resolution {
        item_id,
        action,
        start: start.map(Into::into),
        note,
    };
    crate::server::respond(attention::resolve(input).await)
}
