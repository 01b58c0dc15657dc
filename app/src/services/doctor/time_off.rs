//! Blocks and leave, by the doctor or by staff for them (previewed, then committed).

use chrono::{NaiveDate, NaiveTime, Utc};
use domain::audit::AuditAction;
use domain::schedule::{local_date, local_day_bounds, local_to_utc};

use crate::db;
use crate::error::AppError;
use crate::services::blocks::{self, Block};
use crate::services::call::{Call, Doctor};
use crate::wire::doctor::{BlockForm, BlockOutcome};

use super::*;

fn time_field(field: &'static str, value: &Option<String>) -> Result<Option<NaiveTime>, AppError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveTime::parse_from_str(v, "%H:%M")
            .map(Some)
            .map_err(|_| AppError::validation(field, "Enter a time like 09:30.")),
    }
}

/// The form's UTC span and whether it is leave (whole days).
fn span(
    form: &BlockForm,
    tz: chrono_tz::Tz,
    today: NaiveDate,
) -> Result<(chrono::DateTime<Utc>, chrono::DateTime<Utc>, bool), AppError> {
    if (form.from_date - today).num_days().abs() > 2 * 366 {
        return Err(AppError::validation(
            "from_date",
            "Choose a day within two years from today.",
        ));
    }
    let to_date = form.to_date.unwrap_or(form.from_date);
    if to_date < form.from_date {
        return Err(AppError::validation(
            "to_date",
            "The last day must not be before the first.",
        ));
    }
    if (to_date - form.from_date).num_days() > 366 {
        return Err(AppError::validation(
            "to_date",
            "Block at most a year at a time.",
        ));
    }
    match (
        time_field("from_time", &form.from_time)?,
        time_field("to_time", &form.to_time)?,
    ) {
        (None, None) => {
            let (from, _) = local_day_bounds(tz, form.from_date);
            let (_, to) = local_day_bounds(tz, to_date);
            Ok((from, to, true))
        }
        (Some(from), Some(to)) => {
            let start = local_to_utc(tz, form.from_date, from).ok_or_else(|| {
                AppError::validation(
                    "from_time",
                    "That time does not exist on that day (the clocks change).",
                )
            })?;
            let end = local_to_utc(tz, to_date, to).ok_or_else(|| {
                AppError::validation(
                    "to_time",
                    "That time does not exist on that day (the clocks change).",
                )
            })?;
            if end <= start {
                return Err(AppError::validation(
                    "to_time",
                    "The end must be after the start.",
                ));
            }
            Ok((start, end, false))
        }
        (None, Some(_)) => Err(AppError::validation(
            "from_time",
            "Enter the start time too, or neither for whole days.",
        )),
        (Some(_), None) => Err(AppError::validation(
            "to_time",
            "Enter the end time too, or neither for whole days.",
        )),
    }
}

/// Blocks (`commit`) or previews a block of the editor's doctor's time.
pub async fn block(
    call: &Call<Editor>,
    form: BlockForm,
    commit: bool,
) -> Result<BlockOutcome, AppError> {
    let (pool, now, editor) = (&call.state.pool, call.now, call.who);
    let policy = db::settings::clinic_policy(pool).await?;
    let (from, to, leave) = span(
        &form,
        policy.time_zone(),
        local_date(policy.time_zone(), now),
    )?;
    let block = Block {
        doctor_id: editor.doctor_id,
        from,
        to,
        leave,
        note: form.note.clone(),
    };
    let outcome = if commit {
        let outcome = blocks::block(pool, &policy, editor.actor(), &block, now).await?;
        audit(
            call,
            if leave {
                AuditAction::DoctorLeave
            } else {
                AuditAction::DoctorBlock
            },
        )
        .await?;
        outcome
    } else {
        blocks::preview(pool, &policy, editor.actor(), &block, now).await?
    };
    Ok(BlockOutcome {
        moved: outcome.moved,
        queued: outcome.queued,
    })
}

/// Frees the doctor's own blocked time in the form's span; returns how many slots.
pub async fn unblock(call: &Call<Doctor>, form: BlockForm) -> Result<u64, AppError> {
    let pool = &call.state.pool;
    let policy = db::settings::clinic_policy(pool).await?;
    let today = local_date(policy.time_zone(), call.now);
    let (from, to, _) = span(&form, policy.time_zone(), today)?;
    blocks::unblock(pool, call.who.doctor_id, from, to, call.now).await
}
