//! A doctor's weekly hours from a date, by the doctor or by staff for them.

use domain::audit::AuditAction;
use domain::schedule::local_date;

use domain::hours::{planned_changes_after, weekday_name, WeekPattern};

use crate::db;
use crate::error::AppError;
use crate::services::call::Call;
use crate::services::schedule;
use crate::wire::doctor::{HoursForm, HoursOutcome, HoursView, PlannedHours};

use super::*;

/// The editor's doctor's weekly hours: today's and any planned changes.
pub async fn hours(call: &Call<Editor>) -> Result<HoursView, AppError> {
    let pool = &call.state.pool;
    let policy = db::settings::clinic_policy(pool).await?;
    let tz = policy.time_zone();
    let today = local_date(tz, call.now);
    let schedule = db::schedule::hours_of(pool, call.who.doctor_id).await?;
    let planned = planned_changes_after(&schedule, today)
        .into_iter()
        .map(|from| PlannedHours {
            from,
            lines: WeekPattern::in_effect(&schedule, from).lines(),
        })
        .collect();
    Ok(HoursView {
        today,
        time_zone: tz.name().to_owned(),
        slot_minutes: policy.slot_length().num_minutes(),
        lines: WeekPattern::in_effect(&schedule, today).lines(),
        planned,
    })
}

/// Previews or saves (`commit`) new weekly hours for the editor's doctor.
pub async fn set_hours(
    call: &Call<Editor>,
    form: HoursForm,
    commit: bool,
) -> Result<HoursOutcome, AppError> {
    let (pool, editor) = (&call.state.pool, call.who);
    let from = form.from.get();
    let policy = db::settings::clinic_policy(pool).await?;
    let pattern = WeekPattern::parse(&form.lines(), policy.slot_length()).map_err(|err| {
        AppError::validation(
            weekday_name(err.day).to_ascii_lowercase(),
            format!("{err}."),
        )
    })?;
    let edit = schedule::PatternEdit {
        doctor_id: editor.doctor_id,
        pattern,
        from,
    };
    let change =
        schedule::set_pattern(pool, &policy, editor.actor(), &edit, call.now, commit).await?;
    if commit {
        audit(call, AuditAction::DoctorHours).await?;
    }
    Ok(HoursOutcome {
        from,
        days: change.days,
        replaced_plans: change.replaced_plans,
        added: change.change.added,
        removed: change.change.removed,
        moved: change.change.visits.moved,
        queued: change.change.visits.queued,
    })
}
