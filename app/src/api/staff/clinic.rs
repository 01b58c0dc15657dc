//! Running the clinic: holidays and the attention queue (visits that rule 6 could not
//! hand to another doctor).

use chrono::{DateTime, Utc};
use domain::bounded::BoundedDate;
use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::staff};

pub use crate::wire::staff::clinic::*;

/// Clinic holidays from today on.
#[server(prefix = "/api", endpoint = "list_holidays")]
pub async fn list_holidays() -> Result<Vec<Holiday>, AppError> {
    request::respond(async { staff::clinic::holidays(&request::as_staff().await?).await }.await)
}

/// What adding the holiday would do to that day's visits, without doing it.
#[server(prefix = "/api", endpoint = "preview_holiday")]
pub async fn preview_holiday(date: BoundedDate, name: String) -> Result<ClosingOutcome, AppError> {
    request::respond(
        async {
            staff::clinic::add_holiday(&request::as_staff().await?, date.into(), name, false).await
        }
        .await,
    )
}

/// Closes the clinic that day: its free times close at once; its visits wait for staff.
#[server(prefix = "/api", endpoint = "add_holiday")]
pub async fn add_holiday(date: BoundedDate, name: String) -> Result<ClosingOutcome, AppError> {
    request::respond(
        async {
            staff::clinic::add_holiday(&request::as_staff().await?, date.into(), name, true).await
        }
        .await,
    )
}

/// Opens the clinic that day again.
#[server(prefix = "/api", endpoint = "remove_holiday")]
pub async fn remove_holiday(date: BoundedDate) -> Result<(), AppError> {
    request::respond(
        async { staff::clinic::remove_holiday(&request::as_staff().await?, date.into()).await }
            .await,
    )
}

/// The open attention items, oldest first (each patient shown is an audited read).
#[server(prefix = "/api", endpoint = "attention_queue")]
pub async fn attention_queue() -> Result<Vec<AttentionItem>, AppError> {
    request::respond(async { staff::attention::queue(&request::as_staff().await?).await }.await)
}

/// Resolves an item: `move` (to `start`), `cancel`, or `keep` (nothing changes, e.g. the
/// doctor will see the patient after all). The note is required and kept; the patient is
/// told of a move or cancellation.
#[server(prefix = "/api", endpoint = "resolve_attention")]
pub async fn resolve_attention(
    item_id: i64,
    action: String,
    start: Option<DateTime<Utc>>,
    note: String,
) -> Result<(), AppError> {
    use crate::services::staff::attention::{self, Resolution};
    let input = Resolution {
        item_id,
        action,
        start,
        note,
    };
    request::respond(async { attention::resolve(&request::as_staff().await?, input).await }.await)
}
