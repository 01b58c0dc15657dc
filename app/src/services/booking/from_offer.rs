//! Taking a waitlist offer: a booking like any other. The patient's row is locked first,
//! then the offer's opening (every taker of one opening queues there, so exactly one
//! books it and the rest are told it was taken), then the doctor and the slots with
//! `SKIP LOCKED` as in every booking — an ordinary booker racing for the same time gets
//! it or loses it by the same rules, and the database constraints stay the last word. A
//! time whose slots another transaction holds locked but which still reads open is
//! "busy" (that booker may only be looking): the offer stays open to press again.
//! A patient with a visit has it moved (the old time freed in the same transaction,
//! which the waitlist then offers on); one without gets a new visit.

use chrono::{DateTime, Utc};
use domain::booking::{self, AppointmentFacts, AppointmentStatus};
use domain::ClinicPolicy;
use uuid::Uuid;

use crate::db::{self, appointments::Appointment, waitlist::offers::OfferRecord};
use crate::error::AppError;
use crate::services::counters;

use super::change::move_onto;
use super::new_visit::book_on;
use super::*;

/// What pressing "Take this time" came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferTaken {
    /// Booked (or, for a patient with a visit, moved there).
    Booked(Appointment),
    /// Someone else got the time first; the patient stays on the list.
    ByAnother,
    /// Someone is booking the time at this moment; nothing changed (try again).
    Busy,
}

/// Books the offer's time for its patient (see the module comment). `offer` is what the
/// link found; everything is read again under the locks. `invalid` is returned for an
/// offer no longer open (used, expired, withdrawn): the same answer as a forged link.
pub async fn take_offer(
    store: impl Into<Store<'_>>,
    policy: &ClinicPolicy,
    offer: &OfferRecord,
    request_id: Option<String>,
    now: DateTime<Utc>,
    invalid: impl Fn() -> AppError,
) -> Result<OfferTaken, AppError> {
    let store = store.into();
    let mut tx = store.pool.begin().await?;
    lock_patient(&mut tx, offer.patient_id).await?;
    let Some(offer) =
        db::waitlist::offers::lock_for_taking(&mut tx, offer.offer_id, offer.opening_id).await?
    else {
        return Err(invalid());
    };
    match offer.outcome.as_deref() {
        None => {}
        Some("taken_by_other") => return Ok(OfferTaken::ByAnother),
        Some(_) => return Err(invalid()),
    }
    let Some(user_id) = offer.patient_user_id else {
        return Err(invalid());
    };
    if offer.expires_at <= now || !offer.entry_live {
        return Err(invalid());
    }
    if offer.opening_closed {
        return Ok(OfferTaken::ByAnother);
    }
    // A visit type retired since the offer was made is no longer booked, nor one the
    // offered doctor no longer offers.
    let visit_type = db::visit_types::of(&mut tx, offer.appointment_type_id)
        .await?
        .filter(|t| t.active && t.offered_by(offer.doctor_id));
    let Some(visit_type) = visit_type else {
        db::waitlist::offers::close(&mut tx, offer.opening_id, "gone", now).await?;
        tx.commit().await?;
        return Ok(OfferTaken::ByAnother);
    };
    let by = ActingUser {
        user_id,
        role: ActingRole::Patient {
            patient_id: offer.patient_id,
        },
        request_id,
    };
    let start = offer.start_time;
    let (end, buffer_until) = visit_span(policy, &visit_type, start);
    let run = visit_type.slot_count + visit_type.buffer_slots;
    let run_end = start + policy.slot_length() * run;
    // The time may have come inside the booking notice since it was offered.
    if let Err(refused) = booking::check_new_start(policy, now, start) {
        db::waitlist::offers::close(&mut tx, offer.opening_id, "passed", now).await?;
        tx.commit().await?;
        return Err(refused.into());
    }
    let current = match offer.appointment_id {
        Some(appointment_id) => {
            let current = db::appointments::lock(&mut tx, appointment_id)
                .await?
                .filter(|a| a.patient_id == offer.patient_id)
                .ok_or_else(&invalid)?;
            booking::check_reschedule(
                policy,
                now,
                &AppointmentFacts {
                    start: current.start,
                    status: current.status,
                    change_count: current.change_count,
                },
                &by.actor(),
            )?;
            if current.status != AppointmentStatus::Booked || current.start <= start {
                return Err(invalid());
            }
            Some(current)
        }
        None => {
            let facts = db::appointments::booking_facts(
                &mut tx,
                offer.patient_id,
                offer.appointment_type_id,
                start,
                Some(end),
                policy.slot_length(),
                now,
            )
            .await?;
            booking::check_active_limit(policy, facts.upcoming)?;
            None
        }
    };
    check_no_overlap(&mut tx, offer.patient_id, start, end, offer.appointment_id).await?;

    // The offered doctor's time, and only theirs: the offer named them.
    // A doctor whose time is being changed this moment: busy, try again (waiting here,
    // holding the patient's visit, could close a cycle with that change).
    let Some(bookable) = db::doctors::lock_if_bookable_now(&mut tx, offer.doctor_id).await? else {
        tx.rollback().await?;
        return Ok(OfferTaken::Busy);
    };
    let slot_ids = if bookable {
        db::slots::lock_open_run(&mut tx, offer.doctor_id, start, run_end, now).await?
    } else {
        Vec::new()
    };
    if slot_ids.len() != run as usize {
        counters::note(&counters::CONFLICTS);
        // Skipped rows may only be held by a booker who is looking (and may move on):
        // while the time still reads open, it is not gone.
        let open = db::slots::doctors_open_for(
            &mut tx,
            start,
            run_end,
            i64::from(run),
            now,
            Some(&[offer.doctor_id]),
        )
        .await?;
        if bookable && open.contains(&offer.doctor_id) {
            tx.rollback().await?;
            return Ok(OfferTaken::Busy);
        }
        db::waitlist::offers::close(&mut tx, offer.opening_id, "gone", now).await?;
        tx.commit().await?;
        return Ok(OfferTaken::ByAnother);
    }
    let (appointment, days_gained) = match current {
        Some(current) => {
            let days = i32::try_from((current.start - start).num_days()).ok();
            let moved = move_onto(
                &mut tx,
                policy,
                &by,
                &current,
                (offer.doctor_id, &slot_ids),
                (start, end, buffer_until),
                None,
                now,
            )
            .await?;
            (moved, days)
        }
        None => {
            let new = db::appointments::NewAppointment {
                patient_id: offer.patient_id,
                doctor_id: offer.doctor_id,
                appointment_type_id: offer.appointment_type_id,
                start,
                end,
                buffer_until,
                reason: None,
                booked_by_user_id: user_id,
                booked_by_role: by.role_name(),
                idempotency_key: Uuid::new_v4(),
                hold_token: None,
            };
            (
                book_on(&mut tx, policy, &by, &new, &slot_ids, None, now).await?,
                None,
            )
        }
    };
    db::waitlist::offers::record_taken(
        &mut tx,
        &offer,
        appointment.appointment_id,
        days_gained,
        now,
    )
    .await?;
    tx.commit().await?;
    counters::note(if offer.appointment_id.is_some() {
        &counters::RESCHEDULES
    } else {
        &counters::BOOKINGS
    });
    Ok(OfferTaken::Booked(appointment))
}
