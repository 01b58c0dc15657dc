//! Staff acting on appointments: search, book, move and cancel on a patient's behalf,
//! through the same booking service as the patients (same locks, same invariants), with
//! the staff override rules of `domain::booking`.

use domain::audit::AuditAction;
use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::availability::open_start_times;
use domain::booking::AppointmentStatus;
use domain::schedule::{local_date, local_day_bounds};

use crate::db;
use crate::error::AppError;
use crate::services::booking::{self, ActingUser};
use crate::services::call::{Call, Staff};
use crate::services::staff::audit_staff_reads;
use crate::services::visits::view_of;
use crate::wire::staff::appointments::{AppointmentPage, MessageRow, StaffAppointment};

const PAGE_SIZE: i64 = 50;

/// The appointment search form.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub doctor_id: Option<i64>,
    pub patient: Option<String>,
    pub status: Option<String>,
    pub page: u32,
}

pub async fn search(call: &Call<Staff>, search: Search) -> Result<AppointmentPage, AppError> {
    let _admin = &call.who.user;
    let state = &call.state;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let tz = policy.time_zone();
    let today = local_date(tz, call.now);
    let near = |d: NaiveDate| (d - today).num_days().abs() <= 5 * 366;
    let from = search.from.unwrap_or(today);
    if !near(from) || !search.to.is_none_or(near) {
        return Err(AppError::validation(
            "from",
            "Search within five years of today.",
        ));
    }
    let to = search.to.unwrap_or(from + Duration::days(6));
    if to < from {
        return Err(AppError::validation(
            "to",
            "The last day must not be before the first.",
        ));
    }
    if (to - from).num_days() > 366 {
        return Err(AppError::validation(
            "to",
            "Search at most a year at a time.",
        ));
    }
    let status = match search.status.as_deref().map(str::trim) {
        None | Some("") | Some("any") => None,
        Some(s) => Some(
            AppointmentStatus::parse(s)
                .ok_or_else(|| AppError::validation("status", "Choose a status from the list."))?,
        ),
    };
    let patient = search
        .patient
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if patient.is_some_and(|p| p.chars().count() > 100) {
        return Err(AppError::validation(
            "patient",
            "Type at most 100 characters.",
        ));
    }
    if search.page > 10_000 {
        return Err(AppError::validation(
            "page",
            "There are not that many pages.",
        ));
    }
    let (start, _) = local_day_bounds(tz, from);
    let (_, end) = local_day_bounds(tz, to);
    let filter = db::appointments::StaffFilter {
        from: start,
        to: end,
        doctor_id: search.doctor_id,
        patient,
        status: status.map(AppointmentStatus::as_str),
    };
    let mut rows = db::appointments::staff_search(
        &state.pool,
        &filter,
        PAGE_SIZE + 1,
        i64::from(search.page) * PAGE_SIZE,
    )
    .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let patients: Vec<i64> = rows
        .iter()
        .map(|record| record.patient_id)
        .collect::<BTreeSet<i64>>()
        .into_iter()
        .collect();
    let mut tx = state.pool.begin().await?;
    audit_staff_reads(&mut tx, call, AuditAction::AppointmentSearch, &patients).await?;
    tx.commit().await?;
    Ok(AppointmentPage {
        rows: rows
            .into_iter()
            .map(|record| StaffAppointment {
                patient_id: record.patient_id,
                view: view_of(record),
            })
            .collect(),
        page: search.page,
        more,
    })
}

pub async fn open_times(
    call: &Call<Staff>,
    date: NaiveDate,
    appointment_type_id: i64,
) -> Result<Vec<DateTime<Utc>>, AppError> {
    let state = &call.state;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let now = call.now;
    let tz = policy.time_zone();
    if (date - local_date(tz, now)).num_days().abs() > 400 {
        return Err(AppError::validation("date", "Choose a day within a year."));
    }
    let mut conn = state.pool.acquire().await?;
    // Any type (online or staff-only; a retired one's visits still move), among the
    // doctors who offer it. Booking a retired type is refused by the hold itself.
    let need = db::visit_types::of(&mut conn, appointment_type_id)
        .await?
        .ok_or_else(|| {
            AppError::validation("appointment_type_id", "Choose a visit type from the list.")
        })?
        .need(None);
    drop(conn);
    let (day_start, day_end) = local_day_bounds(tz, date);
    let from = day_start.max(now);
    if from >= day_end {
        return Ok(Vec::new());
    }
    let reach = policy.slot_length() * need.slots();
    let free = db::slots::open_slots_between(
        &state.pool,
        from,
        day_end + reach,
        now,
        need.among.as_deref(),
    )
    .await?;
    Ok(
        open_start_times(&free, need.slots() as usize, from, day_end)
            .into_iter()
            .map(|t| t.start)
            .collect(),
    )
}

/// Staff as the booking service's acting user, with their override reason (if any).
fn staff(call: &Call<Staff>, override_reason: Option<String>) -> Result<ActingUser, AppError> {
    let override_reason = override_reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if override_reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > 500)
    {
        return Err(AppError::validation(
            "override_reason",
            "Please keep the reason under 500 characters.",
        ));
    }
    Ok(call.acting(override_reason))
}

/// A booking on a patient's behalf.
#[derive(Debug, Clone)]
pub struct BookFor {
    pub patient_id: i64,
    pub start: DateTime<Utc>,
    pub appointment_type_id: i64,
    pub reason: Option<String>,
    pub override_reason: Option<String>,
}

pub async fn book(call: &Call<Staff>, input: BookFor) -> Result<i64, AppError> {
    let _admin = &call.who.user;
    let start = domain::booking::parse_start(input.start)?.get();
    let by = staff(call, input.override_reason)?;
    let state = &call.state;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let now = call.now;
    {
        let mut conn = state.pool.acquire().await?;
        if db::patients::by_id(&mut conn, input.patient_id)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound);
        }
    }
    let hold = booking::hold(
        state,
        &policy,
        &by,
        input.patient_id,
        start,
        input.appointment_type_id,
        now,
    )
    .await?;
    let appointment = booking::confirm(
        state,
        &policy,
        &by,
        booking::Confirmation {
            patient_id: input.patient_id,
            hold_token: hold.token,
            reason: input.reason,
            idempotency_key: uuid::Uuid::new_v4(),
        },
        now,
    )
    .await?;
    Ok(appointment.appointment_id)
}

pub async fn reschedule(
    call: &Call<Staff>,
    appointment_id: i64,
    start: DateTime<Utc>,
    override_reason: Option<String>,
) -> Result<i64, AppError> {
    let _admin = &call.who.user;
    let start = domain::booking::parse_start(start)?.get();
    let by = staff(call, override_reason)?;
    let state = &call.state;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let moved = booking::reschedule(state, &policy, &by, appointment_id, start, call.now).await?;
    Ok(moved.appointment_id)
}

pub async fn cancel(
    call: &Call<Staff>,
    appointment_id: i64,
    override_reason: Option<String>,
) -> Result<i64, AppError> {
    let _admin = &call.who.user;
    let by = staff(call, override_reason)?;
    let state = &call.state;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    let cancelled = booking::cancel(&state.pool, &policy, &by, appointment_id, call.now).await?;
    Ok(cancelled.appointment_id)
}

/// The patient told staff (on the phone, at the desk) they will come: recorded as their
/// confirmation, by staff. Confirming again changes nothing.
pub async fn confirm(call: &Call<Staff>, appointment_id: i64) -> Result<i64, AppError> {
    let _admin = &call.who.user;
    let by = staff(call, None)?;
    let (visit, _) = booking::confirm_attendance(
        &call.state.pool,
        &by,
        appointment_id,
        booking::ConfirmedVia::Staff,
        call.now,
    )
    .await?;
    Ok(visit.appointment_id)
}

pub async fn messages(
    call: &Call<Staff>,
    appointment_id: i64,
) -> Result<Vec<MessageRow>, AppError> {
    let state = &call.state;
    let rows = db::notifications::of_appointment(&state.pool, appointment_id).await?;
    Ok(rows
        .into_iter()
        .map(|r| MessageRow {
            kind: r.kind,
            channel: r.channel,
            status: r.status,
            attempts: r.attempts,
            created_at: r.created_at,
            sent_at: r.sent_at,
        })
        .collect())
}
