//! The doctors' portal: their week, blocks and leave (with a preview of what happens to
//! booked visits), visit outcomes and a private calendar feed. Every function acts on the
//! signed-in doctor's own calendar only.

use domain::bounded::BoundedDate;
use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::doctor};

pub use crate::wire::doctor::*;

/// The signed-in doctor's week (`week`: any day in it; default this week).
#[server(prefix = "/api", endpoint = "doctor_week")]
pub async fn doctor_week(week: Option<BoundedDate>) -> Result<WeekCalendar, AppError> {
    request::respond(
        async { doctor::week(&request::as_doctor().await?, week.map(Into::into)).await }.await,
    )
}

/// What blocking the time would do, without doing it. Dates and times are the clinic's
/// local ones; without times whole days are blocked (leave).
#[server(prefix = "/api", endpoint = "preview_block")]
pub async fn preview_block(
    from_date: BoundedDate,
    to_date: Option<BoundedDate>,
    from_time: Option<String>,
    to_time: Option<String>,
    note: Option<String>,
) -> Result<BlockOutcome, AppError> {
    let form = BlockForm::new(from_date, to_date, from_time, to_time, note);
    request::respond(
        async { doctor::block(&doctor::own(request::as_doctor().await?), form, false).await }.await,
    )
}

/// Blocks the time: it stops being offered, and its booked visits move or wait for staff.
#[server(prefix = "/api", endpoint = "block_time")]
pub async fn block_time(
    from_date: BoundedDate,
    to_date: Option<BoundedDate>,
    from_time: Option<String>,
    to_time: Option<String>,
    note: Option<String>,
) -> Result<BlockOutcome, AppError> {
    let form = BlockForm::new(from_date, to_date, from_time, to_time, note);
    request::respond(
        async { doctor::block(&doctor::own(request::as_doctor().await?), form, true).await }.await,
    )
}

/// Frees blocked time again.
#[server(prefix = "/api", endpoint = "unblock_time")]
pub async fn unblock_time(
    from_date: BoundedDate,
    to_date: Option<BoundedDate>,
    from_time: Option<String>,
    to_time: Option<String>,
) -> Result<u64, AppError> {
    let form = BlockForm::new(from_date, to_date, from_time, to_time, None);
    request::respond(async { doctor::unblock(&request::as_doctor().await?, form).await }.await)
}

/// Marks one of the doctor's visits that has started as `completed` or `no_show`.
#[server(prefix = "/api", endpoint = "set_visit_outcome")]
pub async fn set_visit_outcome(appointment_id: i64, outcome: String) -> Result<(), AppError> {
    request::respond(
        async { doctor::set_outcome(&request::as_doctor().await?, appointment_id, outcome).await }
            .await,
    )
}

/// The doctor's private calendar-feed URL; `regenerate` replaces the secret (the old URL
/// stops working). Shown once: only its hash is kept.
#[server(prefix = "/api", endpoint = "calendar_feed")]
pub async fn calendar_feed() -> Result<String, AppError> {
    request::respond(
        async {
            let call = request::as_doctor().await?;
            doctor::new_feed_url(&call, request::host().await.as_deref()).await
        }
        .await,
    )
}

/// Turns the calendar feed off: its URL stops working.
#[server(prefix = "/api", endpoint = "revoke_calendar_feed")]
pub async fn revoke_calendar_feed() -> Result<(), AppError> {
    request::respond(async { doctor::revoke_feed(&request::as_doctor().await?).await }.await)
}

/// The signed-in doctor's weekly hours: today's and any planned changes.
#[server(prefix = "/api", endpoint = "weekly_hours")]
pub async fn weekly_hours() -> Result<HoursView, AppError> {
    request::respond(async { doctor::hours(&doctor::own(request::as_doctor().await?)).await }.await)
}

/// What setting these hours from `from` would change, without changing anything.
#[server(prefix = "/api", endpoint = "preview_hours")]
pub async fn preview_hours(#[server(flatten)] hours: HoursForm) -> Result<HoursOutcome, AppError> {
    request::respond(
        async { doctor::set_hours(&doctor::own(request::as_doctor().await?), hours, false).await }
            .await,
    )
}

/// Sets the doctor's weekly hours from `from` on: free times follow at once, booked
/// visits outside the new hours move to a free colleague or go to the staff.
#[server(prefix = "/api", endpoint = "save_hours")]
pub async fn save_hours(#[server(flatten)] hours: HoursForm) -> Result<HoursOutcome, AppError> {
    request::respond(
        async { doctor::set_hours(&doctor::own(request::as_doctor().await?), hours, true).await }
            .await,
    )
}
