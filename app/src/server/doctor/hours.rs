//! A doctor's weekly hours from a date, by the doctor or by staff for them.

use chrono::{NaiveDate, Utc};
use domain::audit::AuditAction;
use domain::schedule::local_date;

use domain::hours::{planned_changes_after, weekday_name, WeekPattern};

use crate::server::db;
use crate::server::schedule;
use crate::server::state::app_state;
use crate::wire::doctor::{HoursOutcome, HoursView, PlannedHours};
use crate::AppError;

use super::*;

pub async fn weekly_hours() -> Result<HoursView, AppError> {
    hours_of(Editor::own().await?).await
}

/// The editor's doctor's weekly hours: today's and any planned changes.
pub async fn hours_of(editor: Editor) -> Result<HoursView, AppError> {
    let state = app_state()?;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let tz = policy.time_zone();
    let today = local_date(tz, Utc::now());
    let schedule = db::schedule::hours_of(&state.pool, editor.doctor_id).await?;
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

/// Previews or saves (`commit`) new weekly hours for the signed-in doctor.
pub async fn set_hours(
    from: NaiveDate,
    lines: [String; 7],
    commit: bool,
) -> Result<HoursOutcome, AppError> {
    set_hours_for(Editor::own().await?, from, lines, commit).await
}

/// Previews or saves (`commit`) new weekly hours for the editor's doctor.
pub async fn set_hours_for(
    editor: Editor,
    from: NaiveDate,
    lines: [String; 7],
    commit: bool,
) -> Result<HoursOutcome, AppError> {
    let state = app_state()?;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let pattern = WeekPattern::parse(&lines, policy.slot_length()).map_err(|err| {
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
    let change = schedule::set_pattern(
        &state.pool,
        &policy,
        editor.actor(),
        &edit,
        Utc::now(),
        commit,
    )
    .await?;
    if commit {
        editor.audit(AuditAction::DoctorHours).await?;
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
