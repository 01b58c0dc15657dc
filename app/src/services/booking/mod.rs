//! The booking service: hold, confirm, cancel, reschedule. Each is one transaction that
//! reads the rules from `domain` and lets PostgreSQL enforce the invariants (see the
//! booking migration), and writes the visit's history, the patient's message (outbox)
//! and, for staff, the audit row in that same transaction. `new_visit.rs` holds and
//! confirms; `change.rs` cancels and moves; the doctor choice and locks shared by both
//! (and by rule-6 reassignment) are here.
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
//! `appointments_patient_no_overlap`). Lock order everywhere: patient, then appointment,
//! then doctor (share), then slots. A change of a doctor's time or account takes the doctor
//! first and then their visits, so a booking never waits for a doctor's row while it
//! holds a visit: it passes over a doctor being changed (`lock_if_bookable_now`). Rows
//! that others reference are locked `FOR NO KEY UPDATE`, so foreign key checks never wait.

use chrono::{DateTime, Utc};
use domain::assignment::{rank_candidates, rotation_key, Candidate};
use domain::booking::{Actor, BookingError};
use domain::schedule::{local_date, local_day_bounds};
use domain::visit_type::{Need, VisitType};
use domain::ClinicPolicy;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::db::{self};
use crate::error::AppError;
use crate::services::availability::{nearest_open_times, AvailabilityIndex};

mod attendance;
mod change;
mod from_offer;
mod new_visit;

pub use attendance::{confirm_attendance, ConfirmedVia};
pub use change::{cancel, reschedule};
use change::{record_change, ChangeRecord};
pub use from_offer::{take_offer, OfferTaken};
pub use new_visit::{confirm, confirm_with_answers, hold, hold_with_doctor, Confirmation};

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

impl<'a> From<&'a crate::services::state::AppState> for Store<'a> {
    fn from(state: &'a crate::services::state::AppState) -> Self {
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
    /// A patient (`patient_id` is their own record), acting for themselves or for someone
    /// they care for (a live family link, checked under that person's row lock).
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
}

/// A time reserved while the patient confirms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub token: Uuid,
    /// The visit type held for (its name, note and questions for the confirm page).
    pub visit_type: VisitType,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A visit type, active or retired (moving a visit keeps its type); an unknown id is
/// an unknown type.
async fn visit_type(
    conn: &mut PgConnection,
    appointment_type_id: i64,
) -> Result<VisitType, AppError> {
    db::visit_types::of(conn, appointment_type_id)
        .await?
        .ok_or(AppError::Booking(BookingError::UnknownAppointmentType))
}

/// A type a new visit may be booked for by `by`: active, and for patients offered online.
fn bookable_type(by: &ActingUser, visit_type: Option<VisitType>) -> Result<VisitType, AppError> {
    let Some(t) = visit_type.filter(|t| t.active) else {
        return Err(BookingError::UnknownAppointmentType.into());
    };
    if matches!(by.role, ActingRole::Patient { .. }) && !t.online {
        return Err(AppError::validation(
            "appointment_type_id",
            format!(
                "\"{}\" is booked by the clinic's staff: please call the clinic.",
                t.name
            ),
        ));
    }
    Ok(t)
}

/// The doctors with the open run `need` asks for from `start`, in the order they are
/// tried: `prefer` first when free (a moved visit stays with its doctor when it can),
/// then by the assignment policy; never `except`. Reads without locking.
pub(crate) async fn ranked_doctors(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    start: DateTime<Utc>,
    need: &Need,
    now: DateTime<Utc>,
    except: Option<i64>,
    prefer: Option<i64>,
) -> Result<Vec<i64>, AppError> {
    if !need.anyone() {
        return Ok(Vec::new());
    }
    let end = start + policy.slot_length() * need.slots();
    let mut doctors = db::slots::doctors_open_for(
        conn,
        start,
        end,
        i64::from(need.slots()),
        now,
        need.among.as_deref(),
    )
    .await?;
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

/// Takes the open run `need` asks for (the visit and its buffer) starting at `start` from
/// the first doctor of [`ranked_doctors`], falling through to the next doctor whenever a
/// concurrent transaction has locked one. Returns the doctor and the locked slot ids. New
/// bookings, moves and reassignment (`reassignment`) all take slots this way.
pub(crate) async fn take_slots(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    start: DateTime<Utc>,
    need: &Need,
    now: DateTime<Utc>,
    except: Option<i64>,
    prefer: Option<i64>,
) -> Result<Option<(i64, Vec<i64>)>, AppError> {
    let end = start + policy.slot_length() * need.slots();
    for doctor_id in ranked_doctors(conn, policy, start, need, now, except, prefer).await? {
        // A doctor whose time is being changed this moment is passed over, not waited for.
        if db::doctors::lock_if_bookable_now(conn, doctor_id).await? != Some(true) {
            continue;
        }
        let slot_ids = db::slots::lock_open_run(conn, doctor_id, start, end, now).await?;
        if slot_ids.len() == need.slots() as usize {
            return Ok(Some((doctor_id, slot_ids)));
        }
    }
    Ok(None)
}

/// Where a visit of `visit_type` at `start` ends, and its buffer (when it has one).
fn visit_span(
    policy: &ClinicPolicy,
    visit_type: &VisitType,
    start: DateTime<Utc>,
) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    let end = start + policy.slot_length() * visit_type.slot_count;
    let buffer =
        (visit_type.buffer_slots > 0).then(|| end + policy.slot_length() * visit_type.buffer_slots);
    (end, buffer)
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

/// Locks the patient's row, then checks that `by` may act for them: staff for anyone; a
/// patient for themselves and for the people they care for now. The link is read under
/// the person's lock, which an unlink takes too, so an unlink and a booking for that
/// person happen one after the other. Anyone else gets "not found", as for a missing id.
pub(crate) async fn lock_patient_for(
    conn: &mut PgConnection,
    by: &ActingUser,
    patient_id: i64,
) -> Result<(), AppError> {
    lock_patient(conn, patient_id).await?;
    match by.role {
        ActingRole::Staff { .. } => Ok(()),
        ActingRole::Patient { patient_id: own } if own == patient_id => Ok(()),
        ActingRole::Patient { patient_id: own } => {
            if db::family::cares_for(conn, own, patient_id).await? {
                Ok(())
            } else {
                Err(AppError::NotFound)
            }
        }
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
    need: &Need,
    around: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, AppError> {
    let sql_only = AvailabilityIndex::default();
    let index = store.availability.unwrap_or(&sql_only);
    Ok(nearest_open_times(index, store.pool, policy, need, around, now, ALTERNATIVES).await?)
}
