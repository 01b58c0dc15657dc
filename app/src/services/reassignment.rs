//! PRODUCT.md rule 6: what happens to appointments whose doctor can no longer see them
//! (account disabled; holiday; hours that drop a booked time; and with the doctor
//! portal, blocks and leave). It runs inside the transaction that makes the time
//! unavailable, so no appointment is left behind.
//!
//! Each affected appointment outside the change freeze moves to another doctor free for
//! the whole visit at the same time — slots taken exactly as a new booking takes them
//! (`booking::take_slots`: assignment policy, `SKIP LOCKED`) — and the patient is told
//! their new doctor. Inside the freeze, or with nobody free, it goes to the staff
//! attention queue, keeping its slots, and the patient is told the clinic will contact
//! them (`domain::reassignment`).

use chrono::{DateTime, Utc};
use domain::notify::NotificationKind;
use domain::reassignment::{may_move, QueueReason};
use domain::ClinicPolicy;
use sqlx::PgConnection;

use crate::db::{self, attention::Cause};
use crate::error::AppError;
use crate::services::booking::take_slots;
use crate::services::notify;

/// What became of the affected appointments.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub moved: u32,
    pub queued: u32,
}

/// Who made the time unavailable, for each appointment's history.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// `admin`, `doctor` or `system`
    pub role: &'static str,
}

impl Actor {
    /// The scheduler itself (e.g. a change whose author is not recorded here).
    pub const SYSTEM: Self = Self {
        user_id: None,
        role: "system",
    };
}

/// Moves each `(appointment id, patient id)` to another free doctor, or queues it.
pub async fn reassign_appointments(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    actor: Actor,
    affected: &[(i64, i64)],
    cause: Cause,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    let mut outcome = Outcome::default();
    for &(appointment_id, patient_id) in affected {
        let Some(appointment) = db::appointments::lock(conn, appointment_id).await? else {
            continue;
        };
        let moved_to = match may_move(policy, now, appointment.start) {
            Ok(()) => move_to_free_doctor(conn, policy, &appointment, now).await?,
            Err(QueueReason::InsideFreeze | QueueReason::NobodyFree) => None,
        };
        match moved_to {
            Some(doctor_id) => {
                record_handover(conn, policy, actor, &appointment, doctor_id, now).await?;
                outcome.moved += 1;
            }
            None => {
                // Its slots stay booked while it waits; freed later, they stay closed.
                if let Some(release_to) = release_to(cause) {
                    db::slots::set_release(conn, appointment_id, release_to).await?;
                }
                if db::attention::open_item(conn, appointment_id, cause, now).await? {
                    notify::appointment_changed(
                        conn,
                        policy,
                        appointment_id,
                        patient_id,
                        NotificationKind::AppointmentNeedsAttention,
                        now,
                    )
                    .await?;
                    outcome.queued += 1;
                }
            }
        }
    }
    Ok(outcome)
}

/// The history row and the patient's message of a visit handed to `doctor_id`.
async fn record_handover(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    actor: Actor,
    appointment: &db::appointments::Appointment,
    doctor_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    db::appointments::record_event(
        conn,
        &db::appointments::Event {
            appointment_id: appointment.appointment_id,
            kind: "reassigned",
            actor_user_id: actor.user_id,
            actor_role: actor.role,
            old: Some((appointment.doctor_id, appointment.start)),
            new: Some((doctor_id, appointment.start)),
            override_reason: None,
        },
        now,
    )
    .await?;
    notify::appointment_changed(
        conn,
        policy,
        appointment.appointment_id,
        appointment.patient_id,
        NotificationKind::AppointmentReassigned,
        now,
    )
    .await?;
    Ok(())
}

/// Staff hand a waiting visit to a colleague free at the same time (whatever the freeze
/// window: staff decide). `None`: nobody is free then; nothing changed.
pub async fn hand_to_free_colleague(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    actor: Actor,
    appointment_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let Some(appointment) = db::appointments::lock(conn, appointment_id).await? else {
        return Err(AppError::NotFound);
    };
    if appointment.status != domain::booking::AppointmentStatus::Booked || appointment.start <= now
    {
        return Ok(None);
    }
    let Some(doctor_id) = move_to_free_doctor(conn, policy, &appointment, now).await? else {
        return Ok(None);
    };
    record_handover(conn, policy, actor, &appointment, doctor_id, now).await?;
    Ok(Some(doctor_id))
}

/// What a waiting visit's slots become when staff move or cancel it, by why the time
/// closed. An inactive doctor's slots are never offered anyway.
fn release_to(cause: Cause) -> Option<&'static str> {
    match cause {
        Cause::DoctorBlocked | Cause::DoctorLeave => Some("blocked"),
        Cause::Holiday => Some("holiday"),
        Cause::HoursChanged => Some("removed"),
        Cause::DoctorInactive => None,
    }
}

/// Takes the same time from another doctor and hands the appointment over; its old slots
/// are freed for the caller to close. `None` when no other doctor has it all free.
async fn move_to_free_doctor(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    appointment: &db::appointments::Appointment,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let slots = db::appointments::linked_slot_count(conn, appointment.appointment_id).await? as i32;
    if slots == 0 {
        return Ok(None);
    }
    // The same run of slots (the visit and its buffer, as booked), from a doctor who
    // offers the visit's type.
    let among = db::visit_types::of(conn, appointment.appointment_type_id)
        .await?
        .and_then(|t| t.doctors);
    let need = domain::visit_type::Need {
        visit: slots,
        buffer: 0,
        among,
    };
    let Some((doctor_id, new_slots)) = take_slots(
        conn,
        policy,
        appointment.start,
        &need,
        now,
        Some(appointment.doctor_id),
        None,
    )
    .await?
    else {
        return Ok(None);
    };
    let old_slots = db::appointments::unlink_slots(conn, appointment.appointment_id).await?;
    db::slots::mark_free(conn, &old_slots).await?;
    db::appointments::reassign_to(conn, appointment.appointment_id, doctor_id, now).await?;
    db::appointments::link_slots(conn, appointment.appointment_id, &new_slots).await?;
    db::slots::mark_booked(conn, &new_slots).await?;
    Ok(Some(doctor_id))
}

/// A doctor's account was disabled: they are no longer offered or assigned, and their
/// upcoming visits go through rule 6. The caller has locked the doctor's row first
/// (`db::doctors::set_active_for_user`), so bookings in flight for them finish before the
/// visits are gathered (see `db::doctors::lock_if_bookable`).
pub async fn doctor_deactivated(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    actor: Actor,
    doctor_id: i64,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    let affected = db::doctors::upcoming_appointments(conn, doctor_id, now).await?;
    reassign_appointments(conn, policy, actor, &affected, Cause::DoctorInactive, now).await
}
