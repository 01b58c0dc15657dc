//! Clinic holidays, staff side.

use chrono::NaiveDate;
use domain::audit::AuditAction;
use domain::schedule::local_date;

use crate::db;
use crate::error::AppError;
use crate::services::call::{Call, Staff};
use crate::services::reassignment::Actor;
use crate::services::schedule;
use crate::services::staff::audit_staff;
use crate::wire::staff::clinic::{ClosingOutcome, Holiday};

pub async fn holidays(call: &Call<Staff>) -> Result<Vec<Holiday>, AppError> {
    let state = &call.state;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let today = local_date(policy.time_zone(), call.now);
    Ok(db::schedule::holidays_from(&state.pool, today)
        .await?
        .into_iter()
        .map(|(date, name)| Holiday { date, name })
        .collect())
}

pub async fn add_holiday(
    call: &Call<Staff>,
    date: NaiveDate,
    name: String,
    commit: bool,
) -> Result<ClosingOutcome, AppError> {
    let admin = &call.who.user;
    let state = &call.state;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let actor = Actor {
        user_id: Some(admin.user_id),
        role: "admin",
    };
    let outcome =
        schedule::set_holiday(&state.pool, &policy, actor, date, &name, call.now, commit).await?;
    if commit {
        let mut tx = state.pool.begin().await?;
        audit_staff(
            &mut tx,
            call,
            AuditAction::ClinicHolidayAdd,
            None,
            format!("date:{date}"),
            None,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(ClosingOutcome {
        moved: outcome.moved,
        queued: outcome.queued,
    })
}

pub async fn remove_holiday(call: &Call<Staff>, date: NaiveDate) -> Result<(), AppError> {
    let _admin = &call.who.user;
    let state = &call.state;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    if !schedule::remove_holiday(&state.pool, &policy, date, call.now).await? {
        return Err(AppError::NotFound);
    }
    let mut tx = state.pool.begin().await?;
    audit_staff(
        &mut tx,
        call,
        AuditAction::ClinicHolidayRemove,
        None,
        format!("date:{date}"),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
