//! The booking service: hold, confirm, cancel, reschedule. Each is one transaction that
//! reads the rules from `domain` and lets PostgreSQL enforce the invariants (see the
//! booking migration). Later work adds an outbox row and an audit row to the same
//! transactions.
//!
//! Concurrency design: READ COMMITTED transactions; candidate slots are taken with
//! `FOR UPDATE SKIP LOCKED`, one doctor at a time in the assignment policy's order, so
//! two patients booking the same time never wait on each other: the second simply finds
//! the first's doctor locked and moves on to the next doctor. The exclusion and unique
//! constraints are the last line of defence and map to `SlotTaken`.
//!
//! One patient's own operations, however, are serialised: each starts by locking the
//! patient's row (`lock_patient`), so two tabs of one patient cannot both pass the active
//! limit, keep two holds, or book overlapping visits (which the database refuses too:
//! `appointments_patient_no_overlap`). Lock order everywhere: patient, then doctor (share),
//! then slots.

use chrono::{DateTime, Utc};
use domain::assignment::{rank_candidates, rotation_key, Candidate};
use domain::booking::{self, Actor, AppointmentFacts, AppointmentStatus, BookingError};
use domain::schedule::{local_date, local_day_bounds};
use domain::ClinicPolicy;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::server::audit;
use crate::server::availability::{nearest_open_times, AvailabilityIndex};
use crate::server::counters;
use crate::server::db::{self, appointments::Appointment};
use crate::server::notify;
use crate::AppError;
use domain::notify::NotificationKind;

/// How many alternatives an error offers.
const ALTERNATIVES: usize = 5;
/// Longest visit reason we store.
const MAX_REASON_CHARS: usize = 1000;

/// Where the booking service reads and writes: the database, which decides; and, for the
/// alternatives it offers when a time is gone, this instance's availability index when
/// there is one (a `&PgPool` alone reads them from SQL, as tools and tests do).
#[derive(Clone, Copy)]
pub struct Store<'a> {
    pub pool: &'a PgPool,
    pub availability: Option<&'a AvailabilityIndex>,
}

impl<'a> From<&'a PgPool> for Store<'a> {
    fn from(pool: &'a PgPool) -> Self {
        Store {
            pool,
            availability: None,
        }
    }
}

impl<'a> From<&'a crate::server::state::AppState> for Store<'a> {
    fn from(state: &'a crate::server::state::AppState) -> Self {
        Store {
            pool: &state.pool,
            availability: Some(&state.availability),
        }
    }
}

/// Who is acting, established by the caller from the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActingUser {
    pub user_id: i64,
    pub role: ActingRole,
    /// The request this happens in, for audit rows (`None` outside a request).
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActingRole {
    /// A patient acting for themselves.
    Patient { patient_id: i64 },
    /// Staff acting on a patient's behalf; an override of the patient rules needs a reason.
    Staff { override_reason: Option<String> },
}

impl ActingUser {
    fn actor(&self) -> Actor {
        match &self.role {
            ActingRole::Patient { .. } => Actor::Patient,
            ActingRole::Staff { override_reason } => Actor::Staff {
                override_reason: override_reason.clone(),
            },
        }
    }

    fn role_name(&self) -> &'static str {
        match self.role {
            ActingRole::Patient { .. } => "patient",
            ActingRole::Staff { .. } => "admin",
        }
    }

    /// Patients reach only their own appointments; anything else looks like it does not exist.
    fn may_act_for(&self, patient_id: i64) -> bool {
        match self.role {
            ActingRole::Patient { patient_id: own } => own == patient_id,
            ActingRole::Staff { .. } => true,
        }
    }
}

/// A time reserved while the patient confirms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub token: Uuid,
    /// The appointment type's name.
    pub type_name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

async fn slot_count(conn: &mut PgConnection, appointment_type_id: i64) -> Result<i32, AppError> {
    db::appointments::type_slot_count(conn, appointment_type_id)
        .await?
        .ok_or(AppError::Booking(BookingError::UnknownAppointmentType))
}

/// The doctors with `slot_count` consecutive open slots from `start`, in the order they
/// are tried: `prefer` first when free (a moved visit stays with its doctor when it can),
/// then by the assignment policy; never `except`. Reads without locking.
pub(crate) async fn ranked_doctors(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    start: DateTime<Utc>,
    slot_count: i32,
    now: DateTime<Utc>,
    except: Option<i64>,
    prefer: Option<i64>,
) -> Result<Vec<i64>, AppError> {
    let end = start + policy.slot_length() * slot_count;
    let mut doctors =
        db::slots::doctors_open_for(conn, start, end, i64::from(slot_count), now).await?;
    doctors.retain(|&d| Some(d) != except);
    if doctors.is_empty() {
        return Ok(doctors);
    }
    let tz = policy.time_zone();
    let (day_start, day_end) = local_day_bounds(tz, local_date(tz, start));
    let load = db::appointments::counts_per_doctor(conn, &doctors, day_start, day_end).await?;
    let preferred = prefer.filter(|p| doctors.contains(p));
    let candidates = doctors
        .iter()
        .filter(|&&d| Some(d) != preferred)
        .map(|&doctor_id| Candidate {
            doctor_id,
            appointments_that_day: load.get(&doctor_id).copied().unwrap_or(0),
        })
        .collect();
    let ranked = rank_candidates(candidates, rotation_key(start, policy.slot_length()));
    Ok(preferred.into_iter().chain(ranked).collect())
}

/// Takes `slot_count` consecutive open slots starting at `start` from the first doctor of
/// [`ranked_doctors`], falling through to the next doctor whenever a concurrent
/// transaction has locked one. Returns the doctor and the locked slot ids. New bookings,
/// moves and reassignment (`reassignment`) all take slots this way.
pub(crate) async fn take_slots(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    start: DateTime<Utc>,
    slot_count: i32,
    now: DateTime<Utc>,
    except: Option<i64>,
    prefer: Option<i64>,
) -> Result<Option<(i64, Vec<i64>)>, AppError> {
    let end = start + policy.slot_length() * slot_count;
    for doctor_id in ranked_doctors(conn, policy, start, slot_count, now, except, prefer).await? {
        if !db::doctors::lock_if_bookable(conn, doctor_id).await? {
            continue;
        }
        let slot_ids = db::slots::lock_open_run(conn, doctor_id, start, end, now).await?;
        if slot_ids.len() == slot_count as usize {
            return Ok(Some((doctor_id, slot_ids)));
        }
    }
    Ok(None)
}

/// Locks the patient's row first (see the module comment); a patient that does not exist
/// is not found.
async fn lock_patient(conn: &mut PgConnection, patient_id: i64) -> Result<(), AppError> {
    if db::users::lock_patient(conn, patient_id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Refuses a time that overlaps `overlap`, another live visit of the same patient.
fn refuse_overlap(overlap: Option<i64>) -> Result<(), AppError> {
    match overlap {
        Some(appointment_id) => Err(BookingError::OverlapsOwnAppointment {
            appointment_id: Some(appointment_id),
        }
        .into()),
        None => Ok(()),
    }
}

/// Refuses a time that overlaps another live visit of the same patient.
async fn check_no_overlap(
    conn: &mut PgConnection,
    patient_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    except: Option<i64>,
) -> Result<(), AppError> {
    refuse_overlap(db::appointments::patient_overlap(conn, patient_id, start, end, except).await?)
}

async fn alternatives(
    store: Store<'_>,
    policy: &ClinicPolicy,
    slot_count: i32,
    around: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, AppError> {
    let sql_only = AvailabilityIndex::default();
    let index = store.availability.unwrap_or(&sql_only);
    Ok(nearest_open_times(
        index,
        store.pool,
        policy,
        slot_count as usize,
        around,
        now,
        ALTERNATIVES,
    )
    .await?)
}

/// Reserves `start` for the patient for the policy's hold time, assigning a doctor.
/// A patient has one hold at a time: a new hold replaces the previous one.
#[tracing::instrument(skip_all, fields(patient_id, appointment_type_id))]
pub async fn hold(
    store: impl Into<Store<'_>>,
    policy: &ClinicPolicy,
    by: &ActingUser,
    patient_id: i64,
    start: DateTime<Utc>,
    appointment_type_id: i64,
    now: DateTime<Utc>,
) -> Result<Hold, AppError> {
    let store = store.into();
    let pool = store.pool;
    if !by.may_act_for(patient_id) {
        return Err(AppError::Forbidden);
    }
    // Cheap refusals before any lock: the rules for everyone, and for patients the booking
    // window; staff get the window below, with overrides.
    booking::check_bookable_start(policy, now, start)?;
    if matches!(by.role, ActingRole::Patient { .. }) {
        booking::check_new_start(policy, now, start)?;
    }
    let mut tx = pool.begin().await?;
    lock_patient(&mut tx, patient_id).await?;
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
    let (Some(slots_needed), Some(type_name)) = (facts.slot_count, facts.type_name) else {
        return Err(BookingError::UnknownAppointmentType.into());
    };
    booking::check_new_booking(policy, now, start, facts.upcoming, &by.actor())?;
    let end = start + policy.slot_length() * slots_needed;
    refuse_overlap(facts.overlap)?;
    db::slots::release_holds_of(&mut tx, patient_id).await?;

    let Some((_doctor_id, slot_ids)) =
        take_slots(&mut tx, policy, start, slots_needed, now, None, None).await?
    else {
        tx.rollback().await?;
        let alternatives = alternatives(store, policy, slots_needed, start, now).await?;
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
        type_name,
        start,
        end,
        expires_at,
    })
}

/// Turns a live hold into an appointment. Submitting again with the same idempotency key
/// returns the appointment the first submit created.
#[tracing::instrument(skip_all, fields(patient_id))]
#[allow(clippy::too_many_arguments)]
pub async fn confirm(
    store: impl Into<Store<'_>>,
    policy: &ClinicPolicy,
    by: &ActingUser,
    patient_id: i64,
    hold_token: Uuid,
    reason: Option<String>,
    idempotency_key: Uuid,
    now: DateTime<Utc>,
) -> Result<Appointment, AppError> {
    let store = store.into();
    let pool = store.pool;
    if !by.may_act_for(patient_id) {
        return Err(AppError::Forbidden);
    }
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
    lock_patient(&mut tx, patient_id).await?;
    if let Some(existing) =
        db::appointments::find_by_idempotency_key(&mut tx, patient_id, idempotency_key).await?
    {
        return Ok(existing);
    }
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
    let doctor_gone = !db::doctors::lock_if_bookable(&mut tx, first.doctor_id).await?;
    if first.hold_expires_at <= now || doctor_gone {
        tx.rollback().await?;
        let alternatives = alternatives(store, policy, held.len() as i32, start, now).await?;
        counters::note(&counters::CONFLICTS);
        return Err(BookingError::HoldExpired { alternatives }.into());
    }
    let end = held.last().map_or(first.end_time, |s| s.end_time);
    let facts = db::appointments::booking_facts(
        &mut tx,
        patient_id,
        appointment_type_id,
        start,
        Some(end),
        policy.slot_length(),
        now,
    )
    .await?;
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
        reason,
        booked_by_user_id: by.user_id,
        booked_by_role: by.role_name(),
        idempotency_key,
        hold_token: Some(hold_token),
    };
    let appointment = db::appointments::insert_booked(&mut tx, &new, &slot_ids, now).await?;
    record_change(
        &mut tx,
        policy,
        by,
        ChangeRecord {
            appointment_id: appointment.appointment_id,
            patient_id,
            kind: NotificationKind::AppointmentBooked,
            old: None,
            new: Some((appointment.doctor_id, appointment.start)),
            override_reason: override_reason.as_deref(),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    counters::note(&counters::BOOKINGS);
    Ok(appointment)
}

/// What every appointment change leaves behind, in the change's own transaction: its
/// history row, an audit row when staff made it (a change of a patient's data by staff),
/// and the patient's notification.
struct ChangeRecord<'a> {
    appointment_id: i64,
    patient_id: i64,
    kind: NotificationKind,
    old: Option<(i64, DateTime<Utc>)>,
    new: Option<(i64, DateTime<Utc>)>,
    override_reason: Option<&'a str>,
}

async fn record_change(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    by: &ActingUser,
    change: ChangeRecord<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let (event_kind, audit_action) = match change.kind {
        NotificationKind::AppointmentBooked => ("booked", "appointment.book"),
        NotificationKind::AppointmentRescheduled => ("rescheduled", "appointment.reschedule"),
        NotificationKind::AppointmentReassigned => ("reassigned", "appointment.reassign"),
        NotificationKind::AppointmentCancelled => ("cancelled", "appointment.cancel"),
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
            actor_role: "admin",
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
async fn lock_for_change(
    conn: &mut PgConnection,
    by: &ActingUser,
    appointment_id: i64,
) -> Result<Appointment, AppError> {
    let patient_id = db::appointments::patient_of(conn, appointment_id)
        .await?
        .filter(|&p| by.may_act_for(p))
        .ok_or(AppError::NotFound)?;
    lock_patient(conn, patient_id).await?;
    match db::appointments::lock(conn, appointment_id).await? {
        Some(a) if by.may_act_for(a.patient_id) => Ok(a),
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
    let slots_needed = slot_count(&mut tx, current.appointment_type_id).await?;
    let new_end = new_start + policy.slot_length() * slots_needed;
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
        slots_needed,
        now,
        None,
        Some(current.doctor_id),
    )
    .await?
    else {
        tx.rollback().await?;
        let alternatives = alternatives(store, policy, slots_needed, new_start, now).await?;
        counters::note(&counters::CONFLICTS);
        return Err(BookingError::SlotTaken { alternatives }.into());
    };
    let old_slots = db::appointments::unlink_slots(&mut tx, appointment_id).await?;
    db::slots::mark_free(&mut tx, &old_slots).await?;
    let moved =
        db::appointments::move_to(&mut tx, appointment_id, doctor_id, new_start, new_end, now)
            .await?;
    db::appointments::link_slots(&mut tx, appointment_id, &new_slots).await?;
    db::slots::mark_booked(&mut tx, &new_slots).await?;
    record_change(
        &mut tx,
        policy,
        by,
        ChangeRecord {
            appointment_id,
            patient_id: current.patient_id,
            kind: NotificationKind::AppointmentRescheduled,
            old: Some((current.doctor_id, current.start)),
            new: Some((doctor_id, new_start)),
            override_reason: override_reason.as_deref(),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    counters::note(&counters::RESCHEDULES);
    Ok(moved)
}
