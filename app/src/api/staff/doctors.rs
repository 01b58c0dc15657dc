//! Doctors as staff manage them: details, weekly hours and leave (the doctor-portal
//! forms, for any doctor), and deactivation — each with the preview of what happens to
//! booked visits.

use domain::bounded::BoundedDate;

use leptos::prelude::*;

use crate::api::doctor::{BlockOutcome, HoursForm, HoursOutcome, HoursView};
use crate::api::staff::clinic::ClosingOutcome;
#[cfg(feature = "ssr")]
use crate::wire::doctor::BlockForm;
use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::doctor, services::staff};

pub use crate::wire::staff::doctors::*;

/// Every doctor, active or not, by last name.
#[server(prefix = "/api", endpoint = "list_doctors")]
pub async fn list_doctors() -> Result<Vec<DoctorRow>, AppError> {
    request::respond(async { staff::doctors::list(&request::as_staff().await?).await }.await)
}

/// Renames a doctor or changes their specialty.
#[server(prefix = "/api", endpoint = "update_doctor")]
pub async fn update_doctor(
    doctor_id: i64,
    first_name: String,
    last_name: String,
    specialty: String,
    /// Comma-separated ("English, Spanish").
    languages: Option<String>,
    introduction: Option<String>,
) -> Result<(), AppError> {
    request::respond(
        async {
            staff::doctors::update(
                &request::as_staff().await?,
                doctor_id,
                staff::doctors::Details {
                    first_name,
                    last_name,
                    specialty,
                    languages: languages.unwrap_or_default(),
                    introduction,
                },
            )
            .await
        }
        .await,
    )
}

/// A doctor's weekly hours, as the doctor sees them.
#[server(prefix = "/api", endpoint = "doctor_hours_for")]
pub async fn doctor_hours_for(doctor_id: i64) -> Result<HoursView, AppError> {
    request::respond(
        async {
            doctor::hours(&doctor::staff_for(request::as_staff().await?, doctor_id).await?).await
        }
        .await,
    )
}

/// What new weekly hours for the doctor would change, without changing anything.
#[server(prefix = "/api", endpoint = "preview_doctor_hours")]
pub async fn preview_doctor_hours(
    doctor_id: i64,
    #[server(flatten)] hours: HoursForm,
) -> Result<HoursOutcome, AppError> {
    request::respond(
        async {
            let call = doctor::staff_for(request::as_staff().await?, doctor_id).await?;
            doctor::set_hours(&call, hours, false).await
        }
        .await,
    )
}

/// Sets the doctor's weekly hours from `from` on (as the doctor's own form does).
#[server(prefix = "/api", endpoint = "save_doctor_hours")]
pub async fn save_doctor_hours(
    doctor_id: i64,
    #[server(flatten)] hours: HoursForm,
) -> Result<HoursOutcome, AppError> {
    request::respond(
        async {
            let call = doctor::staff_for(request::as_staff().await?, doctor_id).await?;
            doctor::set_hours(&call, hours, true).await
        }
        .await,
    )
}

/// What blocking the doctor's time (or leave: no times) would do, without doing it.
#[server(prefix = "/api", endpoint = "preview_doctor_leave")]
pub async fn preview_doctor_leave(
    doctor_id: i64,
    from_date: BoundedDate,
    to_date: Option<BoundedDate>,
    from_time: Option<String>,
    to_time: Option<String>,
    note: Option<String>,
) -> Result<BlockOutcome, AppError> {
    let form = BlockForm::new(from_date, to_date, from_time, to_time, note);
    request::respond(
        async {
            let call = doctor::staff_for(request::as_staff().await?, doctor_id).await?;
            doctor::block(&call, form, false).await
        }
        .await,
    )
}

/// Blocks the doctor's time or records their leave; booked visits move or wait for staff.
#[server(prefix = "/api", endpoint = "doctor_leave")]
pub async fn doctor_leave(
    doctor_id: i64,
    from_date: BoundedDate,
    to_date: Option<BoundedDate>,
    from_time: Option<String>,
    to_time: Option<String>,
    note: Option<String>,
) -> Result<BlockOutcome, AppError> {
    let form = BlockForm::new(from_date, to_date, from_time, to_time, note);
    request::respond(
        async {
            let call = doctor::staff_for(request::as_staff().await?, doctor_id).await?;
            doctor::block(&call, form, true).await
        }
        .await,
    )
}

/// What deactivating the doctor would do to their upcoming visits, without doing it.
#[server(prefix = "/api", endpoint = "preview_deactivation")]
pub async fn preview_deactivation(doctor_id: i64) -> Result<ClosingOutcome, AppError> {
    request::respond(
        async {
            staff::doctors::set_active(&request::as_staff().await?, doctor_id, false, false).await
        }
        .await,
    )
}

/// Deactivates (`active` false: never offered again, upcoming visits through rule 6, the
/// account signed out) or reactivates a doctor.
#[server(prefix = "/api", endpoint = "set_doctor_active")]
pub async fn set_doctor_active(doctor_id: i64, active: bool) -> Result<ClosingOutcome, AppError> {
    request::respond(
        async {
            staff::doctors::set_active(&request::as_staff().await?, doctor_id, active, true).await
        }
        .await,
    )
}
