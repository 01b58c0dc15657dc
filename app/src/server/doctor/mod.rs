//! The doctors' portal, server side: each function establishes the doctor from the
//! session and acts on their own calendar only. Here the week, visit outcomes and the
//! calendar feed; blocks and leave in `time_off.rs`; weekly hours in `hours.rs`.

use domain::audit::{AuditAction, AuditActor};
use domain::role::Role;
use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate, Utc};
use domain::booking::AppointmentStatus;
use domain::schedule::{local_date, local_day_bounds, week_start};

use crate::server::audit::{self, Outcome};
use crate::server::auth::{guard, tokens};
use crate::server::db;
use crate::server::reassignment::Actor;
use crate::server::state::app_state;
use crate::wire::doctor::{CalendarSlot, DoctorDay, SlotState, WeekCalendar};
use crate::AppError;

mod hours;
mod time_off;

pub use hours::*;
pub use time_off::*;

/// Weeks a doctor can look at: a year back, a year ahead.
const WEEKS_EACH_WAY: i64 = 52;

pub async fn week(week: Option<NaiveDate>) -> Result<WeekCalendar, AppError> {
    let (user, doctor_id) = guard::require_doctor().await?;
    let state = app_state()?;
    let request_id = guard::request_id().await;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let tz = policy.time_zone();
    let now = Utc::now();
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
    /// The signed-in doctor, on their own calendar.
    pub async fn own() -> Result<Self, AppError> {
        let (user, doctor_id) = guard::require_doctor().await?;
        Ok(Self {
            user_id: user.user_id,
            role: Role::Doctor,
            doctor_id,
        })
    }

    /// Signed-in staff, on an existing doctor's calendar.
    pub async fn staff_for(doctor_id: i64) -> Result<Self, AppError> {
        let admin = guard::require_admin().await?;
        let state = app_state()?;
        if !db::doctors::exists(&state.pool, doctor_id).await? {
            return Err(AppError::NotFound);
        }
        Ok(Self {
            user_id: admin.user_id,
            role: Role::Admin,
            doctor_id,
        })
    }

    fn actor(self) -> Actor {
        Actor {
            user_id: Some(self.user_id),
            role: self.role.as_str(),
        }
    }

    async fn audit(self, action: AuditAction) -> Result<(), AppError> {
        let state = app_state()?;
        let mut tx = state.pool.begin().await?;
        audit::record(
            &mut tx,
            &audit::Entry {
                actor_user_id: Some(self.user_id),
                actor_role: self.role.into(),
                action,
                patient_id: None,
                target: Some(format!("doctor:{}", self.doctor_id)),
                outcome: Outcome::Success,
                request_id: guard::request_id().await,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

pub async fn set_outcome(appointment_id: i64, outcome: String) -> Result<(), AppError> {
    let (user, doctor_id) = guard::require_doctor().await?;
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
    let state = app_state()?;
    let request_id = guard::request_id().await;
    let mut tx = state.pool.begin().await?;
    let now = Utc::now();
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

/// A new secret feed URL (path), replacing any earlier one.
pub async fn new_feed_url() -> Result<String, AppError> {
    let (_, doctor_id) = guard::require_doctor().await?;
    let state = app_state()?;
    let token = tokens::new_token();
    db::doctors::set_feed_token(&state.pool, doctor_id, &token).await?;
    let headers = leptos_axum::extract::<axum::http::HeaderMap>()
        .await
        .unwrap_or_default();
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    Ok(format!("{}/calendar/{token}.ics", state.link_origin(host)))
}

pub async fn revoke_feed() -> Result<(), AppError> {
    let (_, doctor_id) = guard::require_doctor().await?;
    let state = app_state()?;
    db::doctors::clear_feed_token(&state.pool, doctor_id).await?;
    Ok(())
}
