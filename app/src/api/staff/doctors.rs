//! Doctors as staff manage them: details, weekly hours and leave (the doctor-portal
//! forms, for any doctor), and deactivation — each with the preview of what happens to
//! booked visits.

// The hours forms send one argument per weekday (a plain HTML form's wire format), in
// the server and the browser builds alike.
#![allow(clippy::too_many_arguments)]

use domain::bounded::BoundedDate;

use leptos::prelude::*;

use crate::api::doctor::{BlockOutcome, HoursOutcome, HoursView};
use crate::api::staff::clinic::ClosingOutcome;
use crate::AppError;

pub use crate::wire::staff::doctors::*;

/// Every doctor, active or not, by last name.
#[server(prefix = "/api", endpoint = "list_doctors")]
pub async fn list_doctors() -> Result<Vec<DoctorRow>, AppError> {
    crate::server::respond(crate::server::staff::doctors::list().await)
}

/// Renames a doctor or changes their specialty.
#[server(prefix = "/api", endpoint = "update_doctor")]
pub async fn update_doctor(
    doctor_id: i64,
    first_name: String,
    last_name: String,
    specialty: String,
) -> Result<(), AppError> {
    crate::server::respond(
        crate::server::staff::doctors::update(doctor_id, first_name, last_name, specialty).await,
    )
}

/// A doctor's weekly hours, as the doctor sees them.
#[server(prefix = "/api", endpoint = "doctor_hours_for")]
pub async fn doctor_hours_for(doctor_id: i64) -> Result<HoursView, AppError> {
    use crate::server::doctor::{hours_of, Editor};
    crate::server::respond(async { hours_of(Editor::staff_for(doctor_id).await?).await }.await)
}

/// What new weekly hours for the doctor would change, without changing anything.
#[server(prefix = "/api", endpoint = "preview_doctor_hours")]
pub async fn preview_doctor_hours(
    doctor_id: i64,
    from: BoundedDate,
    monday: String,
    tuesday: String,
    wednesday: String,
    thursday: String,
    friday: String,
    saturday: String,
    sunday: String,
) -> Result<HoursOutcome, AppError> {
    use crate::server::doctor::{set_hours_for, Editor};
    let lines = [
        monday, tuesday, wednesday, thursday, friday, saturday, sunday,
    ];
    crate::server::respond(
        async {
            set_hours_for(
                Editor::staff_for(doctor_id).await?,
                from.into(),
                lines,
                false,
            )
            .await
        }
        .await,
    )
}

/// Sets the doctor's weekly hours from `from` on (as the doctor's own form does).
#[server(prefix = "/api", endpoint = "save_doctor_hours")]
pub async fn save_doctor_hours(
    doctor_id: i64,
    from: BoundedDate,
    monday: String,
    tuesday: String,
    wednesday: String,
    thursday: String,
    friday: String,
    saturday: String,
    sunday: String,
) -> Result<HoursOutcome, AppError> {
    use crate::server::doctor::{set_hours_for, Editor};
    let lines = [
        monday, tuesday, wednesday, thursday, friday, saturday, sunday,
    ];
    crate::server::respond(
        async {
            set_hours_for(
                Editor::staff_for(doctor_id).await?,
                from.into(),
                lines,
                true,
            )
            .await
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
    use crate::server::doctor::{block_for, BlockForm, Editor};
    let form = BlockForm {
        from_date: from_date.into(),
        to_date: to_date.map(Into::into),
        from_time,
        to_time,
        note,
    };
    crate::server::respond(
        async { block_for(Editor::staff_for(doctor_id).await?, form, false).await }.await,
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
    use crate::server::doctor::{block_for, BlockForm, Editor};
    let form = BlockForm {
        from_date: from_date.into(),
        to_date: to_date.map(Into::into),
        from_time,
        to_time,
        note,
    };
    crate::server::respond(
        async { block_for(Editor::staff_for(doctor_id).await?, form, true).await }.await,
    )
}

/// What deactivating the doctor would do to their upcoming visits, without doing it.
#[server(prefix = "/api", endpoint = "preview_deactivation")]
pub async fn preview_deactivation(doctor_id: i64) -> Result<ClosingOutcome, AppError> {
    crate::server::respond(crate::server::staff::doctors::set_active(doctor_id, false, false).await)
}

/// Deactivates (`active` false: never offered again, upcoming visits through rule 6, the
/// account signed out) or reactivates a doctor.
#[server(prefix = "/api", endpoint = "set_doctor_active")]
pub async fn set_doctor_active(doctor_id: i64, active: bool) -> Result<ClosingOutcome, AppError> {
    crate::server::respond(crate::server::staff::doctors::set_active(doctor_id, active, true).await)
}
