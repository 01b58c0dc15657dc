//! Appointments as staff search, read and change them — on a patient's behalf. Staff may
//! go past the patient rules (notice and freeze times, change and active limits) only
//! with a reason; the reason is kept in the visit's history and in the audit log, and
//! the patient's pages say the clinic made the booking or change.

use chrono::{DateTime, Utc};
use domain::bounded::BoundedDate;
use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::staff};

pub use crate::wire::staff::appointments::*;

/// Appointments in the clinic's local dates `from..=to` (default: today and the next
/// six days), optionally of one doctor, matching a patient's name or email, or in one
/// status; 50 a page, in time order. Each patient listed is an audited read.
#[server(prefix = "/api", endpoint = "search_appointments")]
pub async fn search_appointments(
    from: Option<BoundedDate>,
    to: Option<BoundedDate>,
    doctor_id: Option<i64>,
    patient: Option<String>,
    status: Option<String>,
    page: Option<u32>,
) -> Result<AppointmentPage, AppError> {
    use crate::services::staff::appointments::{self, Search};
    let search = Search {
        from: from.map(Into::into),
        to: to.map(Into::into),
        doctor_id,
        patient,
        status,
        page: page.unwrap_or(0),
    };
    request::respond(
        async { appointments::search(&request::as_staff().await?, search).await }.await,
    )
}

/// Open start times on a local date for a visit type, as staff may book them (including
/// inside the patients' notice time).
#[server(prefix = "/api", endpoint = "staff_open_times")]
pub async fn staff_open_times(
    date: BoundedDate,
    appointment_type_id: i64,
) -> Result<Vec<DateTime<Utc>>, AppError> {
    request::respond(
        async {
            staff::appointments::open_times(
                &request::as_staff().await?,
                date.into(),
                appointment_type_id,
            )
            .await
        }
        .await,
    )
}

/// Books `start` for the patient (the server assigns the doctor). `override_reason` is
/// required when a patient rule would refuse the booking.
#[server(prefix = "/api", endpoint = "staff_book")]
pub async fn staff_book(
    patient_id: i64,
    start: DateTime<Utc>,
    appointment_type_id: i64,
    reason: Option<String>,
    override_reason: Option<String>,
) -> Result<i64, AppError> {
    use crate::services::staff::appointments::{self, BookFor};
    let input = BookFor {
        patient_id,
        start,
        appointment_type_id,
        reason,
        override_reason,
    };
    request::respond(async { appointments::book(&request::as_staff().await?, input).await }.await)
}

/// Moves a visit to `start` on the patient's behalf.
#[server(prefix = "/api", endpoint = "staff_reschedule")]
pub async fn staff_reschedule(
    appointment_id: i64,
    start: DateTime<Utc>,
    override_reason: Option<String>,
) -> Result<i64, AppError> {
    request::respond(
        async {
            staff::appointments::reschedule(
                &request::as_staff().await?,
                appointment_id,
                start,
                override_reason,
            )
            .await
        }
        .await,
    )
}

/// Cancels a visit on the patient's behalf.
/// Records that the patient said they will come (a phone call, the desk).
#[server(prefix = "/api", endpoint = "staff_confirm_visit")]
pub async fn staff_confirm_visit(appointment_id: i64) -> Result<i64, AppError> {
    request::respond(
        async {
            let id =
                staff::appointments::confirm(&request::as_staff().await?, appointment_id).await?;
            // From the "call these" list on Today (a plain form lands back there).
            request::redirect("/admin");
            Ok(id)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "staff_cancel")]
pub async fn staff_cancel(
    appointment_id: i64,
    override_reason: Option<String>,
) -> Result<i64, AppError> {
    request::respond(
        async {
            staff::appointments::cancel(
                &request::as_staff().await?,
                appointment_id,
                override_reason,
            )
            .await
        }
        .await,
    )
}

/// The messages sent about a visit: kind, channel, state, attempts — no contents.
#[server(prefix = "/api", endpoint = "appointment_messages")]
pub async fn appointment_messages(appointment_id: i64) -> Result<Vec<MessageRow>, AppError> {
    request::respond(
        async { staff::appointments::messages(&request::as_staff().await?, appointment_id).await }
            .await,
    )
}
