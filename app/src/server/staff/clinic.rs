//! Clinic holidays, staff side.

use chrono::{NaiveDate, Utc};
use domain::audit::AuditAction;
use domain::schedule::local_date;

use crate::server::auth::guard;
use crate::server::db;
use crate::server::reassignment::Actor;
use crate::server::schedule;
use crate::server::staff::audit_staff;
use crate::server::state::app_state;
use crate::wire::staff::clinic::{ClosingOutcome, Holiday};
use crate::AppError;

pub async fn holidays() -> Result<Vec<Holiday>, AppError> {
    guard::require_admin().await?;
    let state = app_state()?;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let today = local_date(policy.time_zone(), Utc::now());
    Ok(db::schedule::holidays_from(&state.pool, today)
        .await?
        .into_iter()
        .map(|(date, name)| Holiday { date, name })
        .collect())
}

pub async fn add_holiday(
    date: NaiveDate,
    name: String,
    commit: bool,
) -> Result<ClosingOutcome, AppError> {
    let admin = guard::require_admin().await?;
    let state = app_state()?;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let actor = Actor {
        user_id: Some(admin.user_id),
        role: "admin",
    };
    let outcome =
        schedule::set_holiday(&state.pool, &policy, actor, date, &name, Utc::now(), commit).await?;
    if commit {
        let mut tx = state.pool.begin().await?;
        audit_staff(
            &mut tx,
            &admin,
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

pub async fn remove_holiday(date: NaiveDate) -> Result<(), AppError> {
    let admin = guard::require_admin().await?;
    let state = app_state()?;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    if !schedule::remove_holiday(&state.pool, &policy, date, Utc::now()).await? {
        return Err(AppError::NotFound);
    }
    let mut tx = state.pool.begin().await?;
    audit_staff(
        &mut tx,
        &admin,
        AuditAction::ClinicHolidayRemove,
        None,
        format!("date:{date}"),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
