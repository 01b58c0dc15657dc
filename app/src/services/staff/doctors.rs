//! Doctors, staff side: the list, their details, and deactivation with a preview.

use domain::account::PersonName;
use domain::audit::AuditAction;

use crate::db;
use crate::error::AppError;
use crate::services::auth::accounts;
use crate::services::call::{Call, Staff};
use crate::services::staff::audit_staff;
use crate::wire::staff::clinic::ClosingOutcome;
use crate::wire::staff::doctors::DoctorRow;

pub async fn list(call: &Call<Staff>) -> Result<Vec<DoctorRow>, AppError> {
    let state = &call.state;
    Ok(db::doctors::staff_list(&state.pool)
        .await?
        .into_iter()
        .map(|r| DoctorRow {
            doctor_id: r.doctor_id,
            user_id: r.user_id,
            first_name: r.first_name,
            last_name: r.last_name,
            specialty: r.specialty,
            email: r.email,
            active: r.active,
            upcoming: r.upcoming,
        })
        .collect())
}

pub async fn update(
    call: &Call<Staff>,
    doctor_id: i64,
    first_name: String,
    last_name: String,
    specialty: String,
) -> Result<(), AppError> {
    let _admin = &call.who.user;
    let first_name = PersonName::parse("first_name", &first_name)?;
    let last_name = PersonName::parse("last_name", &last_name)?;
    let specialty = specialty.trim();
    if specialty.is_empty() || specialty.chars().count() > 100 {
        return Err(AppError::validation(
            "specialty",
            "Give the specialty (at most 100 characters).",
        ));
    }
    domain::text::check_field(specialty)
        .map_err(|e| AppError::validation("specialty", e.to_string()))?;
    let state = &call.state;
    let mut tx = state.pool.begin().await?;
    if !db::doctors::update_details(
        &mut tx,
        doctor_id,
        first_name.as_str(),
        last_name.as_str(),
        specialty,
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    audit_staff(
        &mut tx,
        call,
        AuditAction::DoctorUpdate,
        None,
        format!("doctor:{doctor_id}"),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deactivates or reactivates a doctor (through their account, so they are signed out
/// too), committing when `commit`, otherwise rolling the same change back (the preview).
pub async fn set_active(
    call: &Call<Staff>,
    doctor_id: i64,
    active: bool,
    commit: bool,
) -> Result<ClosingOutcome, AppError> {
    let admin = &call.who.user;
    let state = &call.state;
    let request_id = call.request_id.clone();
    let user_id = db::doctors::user_of(&state.pool, doctor_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = state.pool.begin().await?;
    let (_, outcome) =
        accounts::apply_disabled(&mut tx, admin, request_id, user_id, !active, call.now).await?;
    if commit {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok(ClosingOutcome {
        moved: outcome.moved,
        queued: outcome.queued,
    })
}
