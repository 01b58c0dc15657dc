//! A new visit: a hold on a time (the doctor assigned), then its confirmation.

use chrono::{DateTime, Utc};
use domain::booking::{self, BookingError};
use domain::ClinicPolicy;
use uuid::Uuid;

use crate::db::{self, appointments::Appointment};
use crate::error::AppError;
use crate::services::counters;
use domain::notify::NotificationKind;

use super::*;

/// Reserves `start` for the patient for the policy's hold time, assigning a doctor who
/// offers the type. A patient has one hold at a time: a new hold replaces the previous one.
pub async fn hold(
    store: impl Into<Store<'_>>,
    policy: &ClinicPolicy,
    by: &ActingUser,
    patient_id: i64,
    start: DateTime<Utc>,
    appointment_type_id: i64,
    now: DateTime<Utc>,
) -> Result<Hold, AppError> {
    hold_with_doctor(
        store,
        policy,
        by,
        patient_id,
        start,
        appointment_type_id,
        None,
        now,
    )
    .await
}

/// [`hold`], with `doctor` when the patient chose one (their time only).
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, fields(patient_id, appointment_type_id))]
pub async fn hold_with_doctor(
    store: impl Into<Store<'_>>,
    policy: &ClinicPolicy,
    by: &ActingUser,
    patient_id: i64,
    start: DateTime<Utc>,
    appointment_type_id: i64,
    doctor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Hold, AppError> {
    let store = store.into();
    let pool = store.pool;
    // Cheap refusals before any lock: the rules for everyone, and for patients the booking
    // window; staff get the window below, with overrides.
    booking::check_bookable_start(policy, now, start)?;
    if matches!(by.role, ActingRole::Patient { .. }) {
        booking::check_new_start(policy, now, start)?;
    }
    let mut tx = pool.begin().await?;
    lock_patient_for(&mut tx, by, patient_id).await?;
    let facts = db::appointments::booking_facts(
        &mut tx,
        patient_id,
        appointment_type_id,
        start,
        None,
        policy.slot_length(),
        now,
    )
    .await?;
    let visit_type = bookable_type(by, facts.visit_type)?;
    booking::check_new_booking(policy, now, start, facts.upcoming, &by.actor())?;
    let (end, _) = visit_span(policy, &visit_type, start);
    let need = visit_type.need(doctor);
    refuse_overlap(facts.overlap)?;
    // Doctors before slots, as everywhere (a change of hours locks the doctor, then the
    // slots: the other order deadlocks with it).
    db::slots::lock_doctors_of_holds(&mut tx, patient_id).await?;
    db::slots::release_holds_of(&mut tx, patient_id).await?;

    let Some((_doctor_id, slot_ids)) =
        take_slots(&mut tx, policy, start, &need, now, None, None).await?
    else {
        tx.rollback().await?;
        let alternatives = alternatives(store, policy, &need, start, now).await?;
        counters::note(&counters::CONFLICTS);
        return Err(BookingError::SlotTaken { alternatives }.into());
    };
    let token = Uuid::new_v4();
    let expires_at = now + policy.hold_time();
    db::slots::mark_held(
        &mut tx,
        &slot_ids,
        token,
        patient_id,
        appointment_type_id,
        expires_at,
    )
    .await?;
    tx.commit().await?;
    counters::note(&counters::HOLDS);
    Ok(Hold {
        token,
        visit_type,
        start,
        end,
        expires_at,
    })
}

/// What confirming a hold needs to know besides who and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmation {
    pub patient_id: i64,
    pub hold_token: Uuid,
    /// The patient's private reason for the visit, if any.
    pub reason: Option<String>,
    /// Fresh per confirm page: a repeated submit books once.
    pub idempotency_key: Uuid,
}

/// Turns a live hold into an appointment. Submitting again with the same idempotency key
/// returns the appointment the first submit created.
pub async fn confirm(
    store: impl Into<Store<'_>>,
    policy: &ClinicPolicy,
    by: &ActingUser,
    input: Confirmation,
    now: DateTime<Utc>,
) -> Result<Appointment, AppError> {
    confirm_with_answers(store, policy, by, input, &[], now).await
}

/// [`confirm`] with the answers to the type's intake questions, `(position, answer)`:
/// a required question must be answered; the answers go with the visit (never into
/// messages or logs).
#[tracing::instrument(skip_all, fields(patient_id = input.patient_id))]
pub async fn confirm_with_answers(
    store: impl Into<Store<'_>>,
    policy: &ClinicPolicy,
    by: &ActingUser,
    input: Confirmation,
    answers: &[(i32, String)],
    now: DateTime<Utc>,
) -> Result<Appointment, AppError> {
    let Confirmation {
        patient_id,
        hold_token,
        reason,
        idempotency_key,
    } = input;
    let store = store.into();
    let pool = store.pool;
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
    {
        return Err(AppError::validation(
            "reason",
            format!("Please keep the reason under {MAX_REASON_CHARS} characters."),
        ));
    }

    let mut tx = pool.begin().await?;
    // Lock first: a concurrent submit of the same hold waits here, then finds the
    // appointment it created through the idempotency key (or, from another tab with
    // another key, through the hold token).
    lock_patient_for(&mut tx, by, patient_id).await?;
    if let Some(existing) =
        db::appointments::find_by_idempotency_key(&mut tx, patient_id, idempotency_key).await?
    {
        return Ok(existing);
    }
    // The doctor's row before the hold's slots: the order every booking and every change
    // of a doctor's time (hours, leave, blocks) takes; the other order deadlocks with them.
    let held_doctor = match db::slots::doctor_of_hold(&mut tx, hold_token).await? {
        Some(doctor_id) => Some((
            doctor_id,
            db::doctors::lock_if_bookable(&mut tx, doctor_id).await?,
        )),
        None => None,
    };
    let held = db::slots::lock_hold(&mut tx, hold_token).await?;
    // Someone else's hold is answered exactly as an unknown one: telling them apart would
    // confirm that the token exists.
    let held = if held.iter().any(|s| s.hold_patient_id != patient_id) {
        Vec::new()
    } else {
        held
    };
    let Some(first) = held.first() else {
        if let Some(appointment_id) =
            db::appointments::find_by_hold_token(&mut tx, patient_id, hold_token).await?
        {
            return Err(BookingError::AlreadyBooked { appointment_id }.into());
        }
        // Lapsed and taken by someone else, swept, or never issued.
        tx.rollback().await?;
        return Err(BookingError::HoldExpired {
            alternatives: Vec::new(),
        }
        .into());
    };
    let (start, appointment_type_id) = (first.start_time, first.hold_appointment_type_id);
    // The held doctor may have been disabled since: their time is no longer offered.
    let doctor_gone = held_doctor != Some((first.doctor_id, true));
    let facts = db::appointments::booking_facts(
        &mut tx,
        patient_id,
        appointment_type_id,
        start,
        None,
        policy.slot_length(),
        now,
    )
    .await?;
    // Retired (or made staff-only) since the hold: no longer booked.
    let visit_type = bookable_type(by, facts.visit_type)?;
    if first.hold_expires_at <= now || doctor_gone {
        tx.rollback().await?;
        let need = visit_type.need(None);
        let alternatives = alternatives(store, policy, &need, start, now).await?;
        counters::note(&counters::CONFLICTS);
        return Err(BookingError::HoldExpired { alternatives }.into());
    }
    let answers = intake_answers(&visit_type, answers)?;
    // The visit ends after the type's slots; the rest of the run held is its buffer (the
    // held run is what the type asked for when the hold was made).
    let held_end = held.last().map_or(first.end_time, |s| s.end_time);
    let end = visit_span(policy, &visit_type, start).0.min(held_end);
    let buffer_until = (held_end > end).then_some(held_end);
    // A patient's hold was inside the window when taken; staff overrides are re-judged
    // (and recorded) here.
    let override_reason = match by.role {
        ActingRole::Patient { .. } => {
            booking::check_active_limit(policy, facts.upcoming)?;
            None
        }
        ActingRole::Staff { .. } => {
            booking::check_new_booking(policy, now, start, facts.upcoming, &by.actor())?
        }
    };
    refuse_overlap(facts.overlap)?;

    let slot_ids: Vec<i64> = held.iter().map(|s| s.slot_id).collect();
    let new = db::appointments::NewAppointment {
        patient_id,
        doctor_id: first.doctor_id,
        appointment_type_id,
        start,
        end,
        buffer_until,
        reason,
        booked_by_user_id: by.user_id,
        booked_by_role: by.role_name(),
        idempotency_key,
        hold_token: Some(hold_token),
    };
    let appointment = book_on(
        &mut tx,
        policy,
        by,
        &new,
        &slot_ids,
        override_reason.as_deref(),
        now,
    )
    .await?;
    db::visit_types::insert_answers(&mut tx, appointment.appointment_id, &answers).await?;
    tx.commit().await?;
    counters::note(&counters::BOOKINGS);
    Ok(appointment)
}

/// Longest answer kept.
const MAX_ANSWER_CHARS: usize = 500;

/// The answers to keep, `(position, prompt as asked, answer)`: each to one of the type's
/// questions, yes/no ones "yes" or "no", required ones given.
fn intake_answers(
    visit_type: &VisitType,
    given: &[(i32, String)],
) -> Result<Vec<(i32, String, String)>, AppError> {
    let field = "answers";
    if given
        .iter()
        .filter(|(_, a)| !a.trim().is_empty())
        .any(|(p, _)| !visit_type.questions.iter().any(|q| q.position == *p))
    {
        return Err(AppError::validation(
            field,
            "An answer does not match a question of this visit type.",
        ));
    }
    let mut kept = Vec::new();
    for q in &visit_type.questions {
        let answer = given
            .iter()
            .find(|(p, _)| *p == q.position)
            .map(|(_, a)| a.trim())
            .filter(|a| !a.is_empty());
        let Some(answer) = answer else {
            if q.required {
                return Err(AppError::validation(
                    field,
                    format!("Please answer \"{}\".", q.prompt),
                ));
            }
            continue;
        };
        let answer = match q.kind {
            domain::visit_type::QuestionKind::YesNo => match answer.to_ascii_lowercase().as_str() {
                "yes" => "yes".to_owned(),
                "no" => "no".to_owned(),
                _ => {
                    return Err(AppError::validation(
                        field,
                        format!("Please answer \"{}\" with yes or no.", q.prompt),
                    ))
                }
            },
            domain::visit_type::QuestionKind::Text => {
                if answer.chars().count() > MAX_ANSWER_CHARS {
                    return Err(AppError::validation(
                        field,
                        format!("Please keep each answer under {MAX_ANSWER_CHARS} characters."),
                    ));
                }
                answer.to_owned()
            }
        };
        kept.push((q.position, q.prompt.clone(), answer));
    }
    Ok(kept)
}

/// Books `new` on `slot_ids` (locked by the caller) and records it. Confirmed holds and
/// taken waitlist offers both end here.
pub(super) async fn book_on(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    by: &ActingUser,
    new: &db::appointments::NewAppointment,
    slot_ids: &[i64],
    override_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Appointment, AppError> {
    let appointment = db::appointments::insert_booked(conn, new, slot_ids, now).await?;
    record_change(
        conn,
        policy,
        by,
        ChangeRecord {
            appointment_id: appointment.appointment_id,
            patient_id: new.patient_id,
            kind: NotificationKind::AppointmentBooked,
            old: None,
            new: Some((appointment.doctor_id, appointment.start)),
            override_reason,
        },
        now,
    )
    .await?;
    Ok(appointment)
}
