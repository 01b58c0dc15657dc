//! Changing a booked visit: cancel, reschedule, and the history, audit and message
//! every change leaves behind.

use chrono::{DateTime, Utc};
use domain::audit::{AuditAction, AuditActor};
use domain::booking::{self, AppointmentFacts, AppointmentStatus, BookingError};
use domain::ClinicPolicy;
use sqlx::{PgConnection, PgPool};

use crate::db::{self, appointments::Appointment};
use crate::error::AppError;
use crate::services::audit;
use crate::services::counters;
use crate::services::notify;
use domain::notify::NotificationKind;

use super::*;

/// What every appointment change leaves behind, in the change's own transaction: its
/// history row, an audit row when staff made it (a change of a patient's data by staff),
/// and the patient's notification.
pub(super) struct ChangeRecord<'a> {
    pub(super) appointment_id: i64,
    pub(super) patient_id: i64,
    pub(super) kind: NotificationKind,
    pub(super) old: Option<(i64, DateTime<Utc>)>,
    pub(super) new: Option<(i64, DateTime<Utc>)>,
    pub(super) override_reason: Option<&'a str>,
}

pub(super) async fn record_change(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    by: &ActingUser,
    change: ChangeRecord<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (event_kind, audit_action) = match change.kind {
        NotificationKind::AppointmentBooked => ("booked", AuditAction::AppointmentBook),
        NotificationKind::AppointmentRescheduled => {
            ("rescheduled", AuditAction::AppointmentReschedule)
        }
        NotificationKind::AppointmentReassigned => ("reassigned", AuditAction::AppointmentReassign),
        NotificationKind::AppointmentCancelled => ("cancelled", AuditAction::AppointmentCancel),
        other => {
            return Err(AppError::internal(format!(
                "{other:?} is not an appointment change"
            )))
        }
    };
    db::appointments::record_event(
        conn,
        &db::appointments::Event {
            appointment_id: change.appointment_id,
            kind: event_kind,
            actor_user_id: Some(by.user_id),
            actor_role: by.role_name(),
            old: change.old,
            new: change.new,
            override_reason: change.override_reason,
        },
        now,
    )
    .await?;
    // A visit waiting for staff that is moved or cancelled (by anyone) is dealt with.
    if matches!(event_kind, "rescheduled" | "cancelled") {
        db::attention::resolve_for_appointment(
            conn,
            change.appointment_id,
            by.user_id,
            &format!("{event_kind} by the {}", by.role_name()),
            now,
        )
        .await?;
    }
    if matches!(by.role, ActingRole::Staff { .. }) {
        let entry = audit::Entry {
            actor_user_id: Some(by.user_id),
            actor_role: AuditActor::Admin,
            action: audit_action,
            patient_id: Some(change.patient_id),
            target: Some(format!("appointment:{}", change.appointment_id)),
            outcome: audit::Outcome::Success,
            request_id: by.request_id.clone(),
        };
        audit::record_with_detail(conn, &entry, change.override_reason).await?;
    }
    notify::appointment_changed(
        conn,
        policy,
        change.appointment_id,
        change.patient_id,
        change.kind,
        now,
    )
    .await?;
    Ok(())
}

/// Locks the appointment's patient, then the appointment, if the actor may change it;
/// anything else is reported as not found.
pub(super) async fn lock_for_change(
    conn: &mut PgConnection,
    by: &ActingUser,
    appointment_id: i64,
) -> Result<Appointment, AppError> {
    let patient_id = db::appointments::patient_of(conn, appointment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    lock_patient_for(conn, by, patient_id).await?;
    match db::appointments::lock(conn, appointment_id).await? {
        Some(a) if a.patient_id == patient_id => Ok(a),
        _ => Err(AppError::NotFound),
    }
}

fn facts(a: &Appointment) -> AppointmentFacts {
    AppointmentFacts {
        start: a.start,
        status: a.status,
        change_count: a.change_count,
    }
}

/// Cancels an appointment and frees its slots. Cancelling again is a no-op.
#[tracing::instrument(skip_all, fields(appointment_id))]
pub async fn cancel(
    pool: &PgPool,
    policy: &ClinicPolicy,
    by: &ActingUser,
    appointment_id: i64,
    now: DateTime<Utc>,
) -> Result<Appointment, AppError> {
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, by, appointment_id).await?;
    if current.status == AppointmentStatus::Cancelled {
        return Ok(current);
    }
    let override_reason = booking::check_cancel(policy, now, &facts(&current), &by.actor())?;
    let cancelled = db::appointments::set_cancelled(&mut tx, appointment_id, now).await?;
    // Its place on the waitlist (an earlier time for this visit) goes with it.
    db::waitlist::end(
        &mut tx,
        db::waitlist::Ending::OfVisit(appointment_id),
        "visit_gone",
        now,
    )
    .await?;
    let freed = db::appointments::unlink_slots(&mut tx, appointment_id).await?;
    db::slots::mark_free(&mut tx, &freed).await?;
    record_change(
        &mut tx,
        policy,
        by,
        ChangeRecord {
            appointment_id,
            patient_id: current.patient_id,
            kind: NotificationKind::AppointmentCancelled,
            old: Some((current.doctor_id, current.start)),
            new: None,
            override_reason: override_reason.as_deref(),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    counters::note(&counters::CANCELLATIONS);
    Ok(cancelled)
}

/// Moves an appointment to `new_start`: with the same doctor when they are free then,
/// else any doctor free then, by the assignment policy.
/// The new slots are taken before the old ones are freed, in one transaction; asking
/// again for the time it already has changes nothing.
#[tracing::instrument(skip_all, fields(appointment_id))]
pub async fn reschedule(
    store: impl Into<Store<'_>>,
    policy: &ClinicPolicy,
    by: &ActingUser,
    appointment_id: i64,
    new_start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Appointment, AppError> {
    let store = store.into();
    let pool = store.pool;
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, by, appointment_id).await?;
    if current.status == AppointmentStatus::Booked && current.start == new_start {
        return Ok(current);
    }
    let move_override = booking::check_reschedule(policy, now, &facts(&current), &by.actor())?;
    // The new time follows the booking window; staff may go inside the notice with a
    // reason (a move adds no appointment: the active limit does not apply).
    let start_override = match by.role {
        ActingRole::Patient { .. } => {
            booking::check_new_start(policy, now, new_start)?;
            None
        }
        ActingRole::Staff { .. } => {
            booking::check_new_booking(policy, now, new_start, 0, &by.actor())?
        }
    };
    let override_reason = move_override.or(start_override);
    // The visit keeps its type (retired or not) and the doctors who offer it.
    let visit_type = visit_type(&mut tx, current.appointment_type_id).await?;
    let need = visit_type.need(None);
    let (new_end, buffer_until) = visit_span(policy, &visit_type, new_start);
    check_no_overlap(
        &mut tx,
        current.patient_id,
        new_start,
        new_end,
        Some(appointment_id),
    )
    .await?;

    let Some((doctor_id, new_slots)) = take_slots(
        &mut tx,
        policy,
        new_start,
        &need,
        now,
        None,
        Some(current.doctor_id),
    )
    .await?
    else {
        tx.rollback().await?;
        let alternatives = alternatives(store, policy, &need, new_start, now).await?;
        counters::note(&counters::CONFLICTS);
        return Err(BookingError::SlotTaken { alternatives }.into());
    };
    let moved = move_onto(
        &mut tx,
        policy,
        by,
        &current,
        (doctor_id, &new_slots),
        (new_start, new_end, buffer_until),
        override_reason.as_deref(),
        now,
    )
    .await?;
    tx.commit().await?;
    counters::note(&counters::RESCHEDULES);
    Ok(moved)
}

/// Moves `current` onto `new_slots` of `doctor_id` (locked by the caller) at
/// `[start, end)` with its buffer until `buffer_until`: the old slots freed, the new ones
/// booked, and the change recorded.
/// Reschedules and taken waitlist offers both end here.
#[allow(clippy::too_many_arguments)]
pub(super) async fn move_onto(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    by: &ActingUser,
    current: &Appointment,
    (doctor_id, new_slots): (i64, &[i64]),
    (new_start, new_end, buffer_until): (DateTime<Utc>, DateTime<Utc>, Option<DateTime<Utc>>),
    override_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Appointment, AppError> {
    let appointment_id = current.appointment_id;
    let old_slots = db::appointments::unlink_slots(conn, appointment_id).await?;
    db::slots::mark_free(conn, &old_slots).await?;
    let moved = db::appointments::move_to(
        conn,
        appointment_id,
        doctor_id,
        (new_start, new_end, buffer_until),
        now,
    )
    .await?;
    db::appointments::link_slots(conn, appointment_id, new_slots).await?;
    db::slots::mark_booked(conn, new_slots).await?;
    record_change(
        conn,
        policy,
        by,
        ChangeRecord {
            appointment_id,
            patient_id: current.patient_id,
            kind: NotificationKind::AppointmentRescheduled,
            old: Some((current.doctor_id, current.start)),
            new: Some((doctor_id, new_start)),
            override_reason,
        },
        now,
    )
    .await?;
    Ok(moved)
}
