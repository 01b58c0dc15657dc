//! The doctors' portal: their week, blocks and leave (with a preview of what happens to
//! booked visits), visit outcomes and a private calendar feed. Every function acts on the
//! signed-in doctor's own calendar only.

// The hours forms send one argument per weekday (a plain HTML form's wire format), in
// the server and the browser builds alike.
#![allow(clippy::too_many_arguments)]

use domain::bounded::BoundedDate;
use leptos::prelude::*;

use crate::AppError;

pub use crate::wire::doctor::*;

/// The signed-in doctor's week (`week`: any day in it; default this week).
#[server(prefix = "/api", endpoint = "doctor_week")]
pub async fn doctor_week(week: Option<BoundedDate>) -> Result<WeekCalendar, AppError> {
    crate::server::respond(crate::server::doctor::week(week.map(Into::into)).await)
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
    use crate::server::doctor::{self, BlockForm};
    let form = BlockForm {
        from_date: from_date.into(),
        to_date: to_date.map(Into::into),
        from_time,
        to_time,
        note,
    };
    crate::server::respond(doctor::block(form, false).await)
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
    use crate::server::doctor::{self, BlockForm};
    let form = BlockForm {
        from_date: from_date.into(),
        to_date: to_date.map(Into::into),
        from_time,
        to_time,
        note,
    };
    crate::server::respond(doctor::block(form, true).await)
}

/// Frees blocked time again.
#[server(prefix = "/api", endpoint = "unblock_time")]
pub async fn unblock_time(
    from_date: BoundedDate,
    to_date: Option<BoundedDate>,
    from_time: Option<String>,
    to_time: Option<String>,
) -> Result<u64, AppError> {
    use crate::server::doctor::{self, BlockForm};
    let form = BlockForm {
        from_date: from_date.into(),
        to_date: to_date.map(Into::into),
        from_time,
        to_time,
        note: None,
    };
    crate::server::respond(doctor::unblock(form).await)
}

/// Marks one of the doctor's visits that has started as `completed` or `no_show`.
#[server(prefix = "/api", endpoint = "set_visit_outcome")]
pub async fn set_visit_outcome(appointment_id: i64, outcome: String) -> Result<(), AppError> {
    crate::server::respond(crate::server::doctor::set_outcome(appointment_id, outcome).await)
}

/// The doctor's private calendar-feed URL; `regenerate` replaces the secret (the old URL
/// stops working). Shown once: only its hash is kept.
#[server(prefix = "/api", endpoint = "calendar_feed")]
pub async fn calendar_feed() -> Result<String, AppError> {
    crate::server::respond(crate::server::doctor::new_feed_url().await)
}

/// Turns the calendar feed off: its URL stops working.
#[server(prefix = "/api", endpoint = "revoke_calendar_feed")]
pub async fn revoke_calendar_feed() -> Result<(), AppError> {
    crate::server::respond(crate::server::doctor::revoke_feed().await)
}

/// The signed-in doctor's weekly hours: today's and any planned changes.
#[server(prefix = "/api", endpoint = "weekly_hours")]
pub async fn weekly_hours() -> Result<HoursView, AppError> {
    crate::server::respond(crate::server::doctor::weekly_hours().await)
}

/// What setting these hours from `from` would change, without changing anything.
#[server(prefix = "/api", endpoint = "preview_hours")]
pub async fn preview_hours(
    from: BoundedDate,
    monday: String,
    tuesday: String,
    wednesday: String,
    thursday: String,
    friday: String,
    saturday: String,
    sunday: String,
) -> Result<HoursOutcome, AppError> {
    let lines = [
        monday, tuesday, wednesday, thursday, friday, saturday, sunday,
    ];
    crate::server::respond(crate::server::doctor::set_hours(from.into(), lines, false).await)
}

/// Sets the doctor's weekly hours from `from` on: free times follow at once, booked
/// visits outside the new hours move to a free colleague or go to the staff.
#[server(prefix = "/api", endpoint = "save_hours")]
pub async fn save_hours(
    from: BoundedDate,
    monday: String,
    tuesday: String,
    wednesday: String,
    thursday: String,
    friday: String,
    saturday: String,
    sunday: String,
) -> Result<HoursOutcome, AppError> {
    let lines = [
        monday, tuesday, wednesday, thursday, friday, saturday, sunday,
    ];
    crate::server::respond(crate::server::doctor::set_hours(from.into(), lines, true).await)
}
