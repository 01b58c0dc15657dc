//! The doctors' portal, server side: each function acts on the calling doctor's own
//! calendar only (or, through an [`Editor`], staff on a doctor's). Here the week, visit outcomes and the
//! calendar feed; blocks and leave in `time_off.rs`; weekly hours in `hours.rs`.

use domain::audit::{AuditAction, AuditActor};
use domain::role::Role;
use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate};
use domain::booking::AppointmentStatus;
use domain::schedule::{local_date, local_day_bounds, week_start};

use crate::db;
use crate::error::AppError;
use crate::services::audit::{self, Outcome};
use crate::services::auth::tokens;
use crate::services::call::{Call, Doctor, Staff};
use crate::services::reassignment::Actor;
use crate::wire::doctor::{CalendarSlot, DoctorDay, SlotState, WeekCalendar};

mod hours;
mod time_off;

pub use hours::*;
pub use time_off::*;

/// Weeks a doctor can look at: a year back, a year ahead.
const WEEKS_EACH_WAY: i64 = 52;

/// The doctor's week (`week`: any day in it; default this week), today's visits first.
pub async fn week(call: &Call<Doctor>, week: Option<NaiveDate>) -> Result<WeekCalendar, AppError> {
    let (state, doctor_id, user) = (&call.state, call.who.doctor_id, &call.who.user);
    let request_id = &call.request_id;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let tz = policy.time_zone();
    let now = call.now;
    let today = local_date(tz, now);
    let this_week = week_start(today);
    let span = Duration::weeks(WEEKS_EACH_WAY);
    let week_start = match week.map(week_start) {
        None => this_week,
        Some(w) if (w - this_week).abs() <= span => w,
        Some(_) => {
            return Err(AppError::validation(
                "week",
                "The calendar shows a year back and a year ahead.",
            ))
        }
    };
    let (from, _) = local_day_bounds(tz, week_start);
    let (_, to) = local_day_bounds(tz, week_start + Duration::days(6));
    let rows = db::doctors::calendar_between(&state.pool, doctor_id, from, to).await?;
    // Today's visits head the page whichever week is shown.
    let today_rows = if (week_start..week_start + Duration::days(7)).contains(&today) {
        rows.iter()
            .filter(|r| local_date(tz, r.start_time) == today)
            .cloned()
            .collect()
    } else {
        let (from, to) = local_day_bounds(tz, today);
        db::doctors::calendar_between(&state.pool, doctor_id, from, to).await?
    };
    let today_visits: Vec<CalendarSlot> = today_rows
        .iter()
        .map(|r| CalendarSlot {
            start: r.start_time,
            end: r.end_time,
            state: slot_state(r),
        })
        .filter(|s| matches!(s.state, SlotState::Booked { .. }))
        .collect();

    // Patients' names are patient data: each patient shown is an audited read.
    let patients: BTreeSet<i64> = rows
        .iter()
        .chain(&today_rows)
        .filter_map(|r| r.patient_id)
        .collect();
    if !patients.is_empty() {
        let mut tx = state.pool.begin().await?;
        for patient_id in patients {
            audit::record(
                &mut tx,
                &audit::Entry {
                    actor_user_id: Some(user.user_id),
                    actor_role: AuditActor::Doctor,
                    action: AuditAction::CalendarRead,
                    patient_id: Some(patient_id),
                    target: Some(format!("week:{week_start}")),
                    outcome: Outcome::Success,
                    request_id: request_id.clone(),
                },
            )
            .await?;
        }
        tx.commit().await?;
    }

    let days = (0..7)
        .map(|i| {
            let date = week_start + Duration::days(i);
            let slots = rows
                .iter()
                .filter(|r| local_date(tz, r.start_time) == date)
                .map(|r| CalendarSlot {
                    start: r.start_time,
                    end: r.end_time,
                    state: slot_state(r),
                })
                .collect();
            DoctorDay { date, slots }
        })
        .collect();
    Ok(WeekCalendar {
        week_start,
        today,
        today_visits,
        time_zone: tz.name().to_owned(),
        days,
        prev_week: week_start - Duration::days(7),
        next_week: week_start + Duration::days(7),
    })
}

fn slot_state(row: &db::doctors::CalendarRow) -> SlotState {
    match (row.status.as_str(), row.appointment_id) {
        ("booked", Some(appointment_id)) => SlotState::Booked {
            appointment_id,
            patient_name: row.patient_name.clone().unwrap_or_default(),
            type_name: row.type_name.clone().unwrap_or_default(),
            status: row
                .appointment_status
                .as_deref()
                .and_then(AppointmentStatus::parse)
                .unwrap_or(AppointmentStatus::Booked),
            confirmed: row.confirmed.unwrap_or(false),
        },
        ("held", _) => SlotState::Held,
        ("blocked", _) => SlotState::Blocked {
            note: row.block_note.clone(),
        },
        ("holiday", _) => SlotState::Holiday,
        _ => SlotState::Free,
    }
}

/// Who changes a doctor's time: the doctor themselves, or staff acting for them.
#[derive(Debug, Clone, Copy)]
pub struct Editor {
    pub user_id: i64,
    /// `doctor` or `admin`
    pub role: Role,
    pub doctor_id: i64,
}

impl Editor {
    fn actor(self) -> Actor {
        Actor {
            user_id: Some(self.user_id),
            role: self.role.as_str(),
        }
    }
}

/// The signed-in doctor, on their own calendar.
pub fn own(call: Call<Doctor>) -> Call<Editor> {
    let editor = Editor {
        user_id: call.who.user.user_id,
        role: Role::Doctor,
        doctor_id: call.who.doctor_id,
    };
    call.with(editor)
}

/// Signed-in staff, on an existing doctor's calendar (else "not found").
pub async fn staff_for(call: Call<Staff>, doctor_id: i64) -> Result<Call<Editor>, AppError> {
    if !db::doctors::exists(&call.state.pool, doctor_id).await? {
        return Err(AppError::NotFound);
    }
    let editor = Editor {
        user_id: call.who.user.user_id,
        role: Role::Admin,
        doctor_id,
    };
    Ok(call.with(editor))
}

/// Audits the editor's change of the doctor's time.
async fn audit(call: &Call<Editor>, action: AuditAction) -> Result<(), AppError> {
    let editor = call.who;
    let mut tx = call.state.pool.begin().await?;
    audit::record(
        &mut tx,
        &audit::Entry {
            actor_user_id: Some(editor.user_id),
            actor_role: editor.role.into(),
            action,
            patient_id: None,
            target: Some(format!("doctor:{}", editor.doctor_id)),
            outcome: Outcome::Success,
            request_id: call.request_id.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks one of the doctor's visits that has started as `completed` or `no_show`.
pub async fn set_outcome(
    call: &Call<Doctor>,
    appointment_id: i64,
    outcome: String,
) -> Result<(), AppError> {
    let (user, doctor_id) = (&call.who.user, call.who.doctor_id);
    let status = match outcome.as_str() {
        "completed" => "completed",
        "no_show" => "no_show",
        _ => {
            return Err(AppError::validation(
                "outcome",
                "Choose completed or no-show.",
            ))
        }
    };
    let request_id = call.request_id.clone();
    let mut tx = call.state.pool.begin().await?;
    let now = call.now;
    let Some(patient_id) =
        db::doctors::set_outcome(&mut tx, doctor_id, appointment_id, status, now).await?
    else {
        // Another doctor's visit, a cancelled one, or one that has not started: the same
        // answer, so nothing is learned about visits that are not theirs.
        return Err(AppError::validation(
            "outcome",
            "Only a visit of yours that has started can be marked.",
        ));
    };
    db::appointments::record_event(
        &mut tx,
        &db::appointments::Event {
            appointment_id,
            kind: status,
            actor_user_id: Some(user.user_id),
            actor_role: "doctor",
            old: None,
            new: None,
            override_reason: None,
        },
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        &audit::Entry {
            actor_user_id: Some(user.user_id),
            actor_role: AuditActor::Doctor,
            action: AuditAction::AppointmentOutcome,
            patient_id: Some(patient_id),
            target: Some(format!("appointment:{appointment_id}")),
            outcome: Outcome::Success,
            request_id,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A new secret feed URL, replacing any earlier one; absolute, from the configured
/// public origin or else the request's `host`.
pub async fn new_feed_url(call: &Call<Doctor>, host: Option<&str>) -> Result<String, AppError> {
    let token = tokens::new_token();
    db::doctors::set_feed_token(&call.state.pool, call.who.doctor_id, &token).await?;
    Ok(format!(
        "{}/calendar/{token}.ics",
        call.state.link_origin(host)
    ))
}

/// Turns the doctor's calendar feed off.
pub async fn revoke_feed(call: &Call<Doctor>) -> Result<(), AppError> {
    db::doctors::clear_feed_token(&call.state.pool, call.who.doctor_id).await?;
    Ok(())
}
