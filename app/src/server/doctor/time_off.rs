//! Blocks and leave, by the doctor or by staff for them (previewed, then committed).

use chrono::{NaiveDate, NaiveTime, Utc};
use domain::audit::AuditAction;
use domain::schedule::{local_date, local_day_bounds, local_to_utc};

use crate::server::auth::guard;
use crate::server::blocks::{self, Block};
use crate::server::db;
use crate::server::state::app_state;
use crate::wire::doctor::BlockOutcome;
use crate::AppError;

use super::*;

/// A block or leave as typed into the doctor's form (the clinic's local dates and times).
#[derive(Debug, Clone)]
pub struct BlockForm {
    pub from_date: NaiveDate,
    pub to_date: Option<NaiveDate>,
    pub from_time: Option<String>,
    pub to_time: Option<String>,
    pub note: Option<String>,
}

fn time_field(field: &'static str, value: &Option<String>) -> Result<Option<NaiveTime>, AppError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveTime::parse_from_str(v, "%H:%M")
            .map(Some)
            .map_err(|_| AppError::validation(field, "Enter a time like 09:30.")),
    }
}

impl BlockForm {
    /// The UTC span and whether it is leave (whole days).
    fn span(
        &self,
        tz: chrono_tz::Tz,
        today: NaiveDate,
    ) -> Result<(chrono::DateTime<Utc>, chrono::DateTime<Utc>, bool), AppError> {
        if (self.from_date - today).num_days().abs() > 2 * 366 {
            return Err(AppError::validation(
                "from_date",
                "Choose a day within two years from today.",
            ));
        }
        let to_date = self.to_date.unwrap_or(self.from_date);
        if to_date < self.from_date {
            return Err(AppError::validation(
                "to_date",
                "The last day must not be before the first.",
            ));
        }
        if (to_date - self.from_date).num_days() > 366 {
            return Err(AppError::validation(
                "to_date",
                "Block at most a year at a time.",
            ));
        }
        match (
            time_field("from_time", &self.from_time)?,
            time_field("to_time", &self.to_time)?,
        ) {
            (None, None) => {
                let (from, _) = local_day_bounds(tz, self.from_date);
                let (_, to) = local_day_bounds(tz, to_date);
                Ok((from, to, true))
            }
            (Some(from), Some(to)) => {
                let start = local_to_utc(tz, self.from_date, from).ok_or_else(|| {
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
}

/// Blocks (`commit`) or previews a block of the doctor's own time.
pub async fn block(form: BlockForm, commit: bool) -> Result<BlockOutcome, AppError> {
    block_for(Editor::own().await?, form, commit).await
}

/// Blocks (`commit`) or previews a block of the editor's doctor's time.
pub async fn block_for(
    editor: Editor,
    form: BlockForm,
    commit: bool,
) -> Result<BlockOutcome, AppError> {
    let state = app_state()?;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let now = Utc::now();
    let (from, to, leave) = form.span(policy.time_zone(), local_date(policy.time_zone(), now))?;
    let block = Block {
        doctor_id: editor.doctor_id,
        from,
        to,
        leave,
        note: form.note.clone(),
    };
    let outcome = if commit {
        let outcome = blocks::block(&state.pool, &policy, editor.actor(), &block, now).await?;
        editor
            .audit(if leave {
                AuditAction::DoctorLeave
            } else {
                AuditAction::DoctorBlock
            })
            .await?;
        outcome
    } else {
        blocks::preview(&state.pool, &policy, editor.actor(), &block, now).await?
    };
    Ok(BlockOutcome {
        moved: outcome.moved,
        queued: outcome.queued,
    })
}

pub async fn unblock(form: BlockForm) -> Result<u64, AppError> {
    let (_, doctor_id) = guard::require_doctor().await?;
    let state = app_state()?;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let now = Utc::now();
    let (from, to, _) = form.span(policy.time_zone(), local_date(policy.time_zone(), now))?;
    blocks::unblock(&state.pool, doctor_id, from, to, now).await
}
