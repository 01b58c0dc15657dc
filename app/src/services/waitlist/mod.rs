//! The waitlist (issue 25, first part): a patient asks to hear of an earlier time for a
//! visit of theirs, or — when nothing suited — of any time of a visit type, with limits
//! (days of the week, part of the day, not before a date); they can leave at any time.
//! [`waiting_for`] answers who would be offered a freed time, in the fair order of
//! `domain::waitlist`. The engine (`engine.rs`) offers freed times in waves; an offer's
//! one-action link is served by `offers.rs` (taking it books through `booking`).

use chrono::{DateTime, NaiveDate, Utc};
use domain::booking::AppointmentStatus;
use domain::waitlist::{fair_order, Limits, PartOfDay, Waiting, EVERY_DAY};
use domain::ClinicPolicy;
use sqlx::{PgConnection, PgPool};

use crate::db;
use crate::error::AppError;
use crate::services::call::{Call, Patient};
use crate::wire::waitlist::{JoinForm, WaitlistEntry};

pub mod engine;
pub mod offers;

fn id_field(field: &'static str, text: &str) -> Result<Option<i64>, AppError> {
    match text.trim() {
        "" => Ok(None),
        text => text
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::validation(field, "This is not a number.")),
    }
}

/// The limits as posted: ticked days (none: every day), part of the day, first date.
fn limits(form: &JoinForm, policy: &ClinicPolicy, now: DateTime<Utc>) -> Result<Limits, AppError> {
    let days = [
        &form.monday,
        &form.tuesday,
        &form.wednesday,
        &form.thursday,
        &form.friday,
        &form.saturday,
        &form.sunday,
    ];
    let ticked = days
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.trim().is_empty())
        .fold(0u8, |mask, (i, _)| mask | (1 << i));
    let weekdays = if ticked == 0 { EVERY_DAY } else { ticked };
    let part = match form.part_of_day.trim() {
        "" => PartOfDay::Any,
        text => PartOfDay::parse(text).ok_or_else(|| {
            AppError::validation(
                "part_of_day",
                "Choose any time, mornings, afternoons or evenings.",
            )
        })?,
    };
    let not_before = match form.not_before.trim() {
        "" => None,
        text => {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                AppError::validation("not_before", "Please give a date such as 2027-01-14.")
            })?;
            let tz = policy.time_zone();
            let today = domain::schedule::local_date(tz, now);
            let last = domain::schedule::local_date(tz, now + policy.booking_horizon());
            if date > last {
                return Err(AppError::validation(
                    "not_before",
                    format!("Times can be booked up to {last}: choose that day or earlier."),
                ));
            }
            // A date already past means no limit.
            (date > today).then_some(date)
        }
    };
    Limits::new(weekdays, part, not_before)
        .map_err(|e| AppError::validation("weekdays", e.to_string()))
}

/// Puts the signed-in patient on the waitlist: for a booked, upcoming visit of theirs
/// (another's is "not found"), or for a visit type. Once per visit, or per type without a
/// visit.
pub async fn join(call: &Call<Patient>, form: JoinForm) -> Result<i64, AppError> {
    let patient_id = acting_for(call, &form).await?;
    join_for(&call.state.pool, patient_id, form, true, call.now).await
}

/// Whom a patient's waitlist place is for: the patient of the visit to bring earlier when
/// it is theirs or of someone they look after, else the person chosen (someone they look
/// after now; anyone else is "not found"), else the patient themselves.
async fn acting_for(call: &Call<Patient>, form: &JoinForm) -> Result<i64, AppError> {
    let own = call.who.patient_id;
    let visit = id_field("appointment_id", &form.appointment_id)?;
    let chosen = id_field("for_patient", &form.for_patient)?;
    if visit.is_none() && chosen.is_none_or(|p| p == own) {
        return Ok(own);
    }
    let mut conn = call.state.pool.acquire().await?;
    let family = db::family::family_ids(&mut conn, own).await?;
    match (visit, chosen) {
        (Some(appointment_id), _) => Ok(db::appointments::patient_of(&mut conn, appointment_id)
            .await?
            .filter(|p| family.contains(p))
            .unwrap_or(own)),
        (None, Some(p)) if family.contains(&p) => Ok(p),
        _ => Err(AppError::NotFound),
    }
}

/// [`join`] for `patient_id` (the patient themselves, or staff for a caller). A patient
/// waits without a visit only for a type patients book online (`online_only`).
pub(crate) async fn join_for(
    pool: &PgPool,
    patient_id: i64,
    form: JoinForm,
    online_only: bool,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let policy = db::settings::clinic_policy(pool).await?;
    let limits = limits(&form, &policy, now)?;
    let appointment_id = id_field("appointment_id", &form.appointment_id)?;
    let type_id = id_field("appointment_type_id", &form.appointment_type_id)?;
    let appointment_type_id = match (appointment_id, type_id) {
        (Some(appointment_id), _) => {
            let visit = db::appointments::get(pool, appointment_id)
                .await?
                .filter(|a| a.patient_id == patient_id)
                .ok_or(AppError::NotFound)?;
            if visit.status != AppointmentStatus::Booked || visit.start <= now {
                return Err(AppError::validation(
                    "appointment_id",
                    "Only a booked visit that is still to come can be brought earlier.",
                ));
            }
            visit.appointment_type_id
        }
        (None, Some(type_id)) => type_id,
        (None, None) => {
            return Err(AppError::validation(
                "appointment_type_id",
                "Choose the kind of visit you are waiting for.",
            ))
        }
    };
    let mut conn = pool.acquire().await?;
    if !db::visit_types::of(&mut conn, appointment_type_id)
        .await?
        .is_some_and(|t| t.active && (t.online || !online_only || appointment_id.is_some()))
    {
        return Err(AppError::validation(
            "appointment_type_id",
            "That kind of visit cannot be booked.",
        ));
    }
    let entry = db::waitlist::NewEntry {
        patient_id,
        appointment_type_id,
        appointment_id,
        weekdays: i16::from(limits.weekdays),
        part_of_day: limits.part_of_day.as_str(),
        not_before: limits.not_before,
    };
    db::waitlist::join(&mut conn, &entry, now)
        .await?
        .ok_or_else(|| {
            AppError::validation(
                "appointment_type_id",
                match appointment_id {
                    Some(_) => "You are already on the waitlist for this visit.",
                    None => "You are already on the waitlist for this kind of visit.",
                },
            )
        })
}

/// Takes the signed-in patient off the waitlist (one entry of theirs; another's is "not
/// found").
pub async fn leave(call: &Call<Patient>, waitlist_entry_id: i64) -> Result<(), AppError> {
    let mut conn = call.state.pool.acquire().await?;
    let family = db::family::family_ids(&mut conn, call.who.patient_id).await?;
    drop(conn);
    // The entry's person, when it is the patient or someone they look after.
    for patient_id in family {
        match leave_as(&call.state.pool, patient_id, waitlist_entry_id, call.now).await {
            Err(AppError::NotFound) => continue,
            done => return done,
        }
    }
    Err(AppError::NotFound)
}

/// Ends `patient_id`'s entry (theirs only: else "not found"); its open offers are withdrawn.
pub(crate) async fn leave_as(
    pool: &PgPool,
    patient_id: i64,
    waitlist_entry_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let which = db::waitlist::Ending::Entry {
        waitlist_entry_id,
        of_patient: Some(patient_id),
    };
    end_locked(pool, patient_id, which, "left", now)
        .await?
        .map(|_| ())
        .ok_or(AppError::NotFound)
}

/// Ends an entry of `patient_id` under their row lock, the lock taking an offer starts
/// with (patient, then the offer and the entry): one waits for the other, never both.
pub(crate) async fn end_locked(
    pool: &PgPool,
    patient_id: i64,
    which: db::waitlist::Ending,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let mut tx = pool.begin().await?;
    if !db::users::lock_patient(&mut tx, patient_id).await? {
        return Ok(None);
    }
    let ended = db::waitlist::end(&mut tx, which, reason, now).await?;
    tx.commit().await?;
    Ok(ended)
}

fn limits_of(entry: &db::waitlist::EntryRecord) -> Limits {
    stored_limits(entry.weekdays, &entry.part_of_day, entry.not_before)
}

/// Limits as stored (a value the database would refuse reads as no limit).
pub(crate) fn stored_limits(
    weekdays: i16,
    part_of_day: &str,
    not_before: Option<NaiveDate>,
) -> Limits {
    Limits {
        weekdays: u8::try_from(weekdays).unwrap_or(EVERY_DAY) & EVERY_DAY,
        part_of_day: PartOfDay::parse(part_of_day).unwrap_or(PartOfDay::Any),
        not_before,
    }
}

/// The limits in words: "Mondays and Wednesdays, mornings, from 2027-01-14".
pub fn describe(limits: &Limits) -> String {
    const DAYS: [&str; 7] = [
        "Mondays",
        "Tuesdays",
        "Wednesdays",
        "Thursdays",
        "Fridays",
        "Saturdays",
        "Sundays",
    ];
    let days: Vec<&str> = (0..7)
        .filter(|i| limits.weekdays & (1 << i) != 0)
        .map(|i| DAYS[i])
        .collect();
    let mut parts = vec![match days.len() {
        7 => "Any day".to_owned(),
        1 => days[0].to_owned(),
        n => format!("{} and {}", days[..n - 1].join(", "), days[n - 1]),
    }];
    match limits.part_of_day {
        PartOfDay::Any => {}
        PartOfDay::Morning => parts.push("mornings".to_owned()),
        PartOfDay::Afternoon => parts.push("afternoons".to_owned()),
        PartOfDay::Evening => parts.push("evenings".to_owned()),
    }
    if let Some(date) = limits.not_before {
        parts.push(format!("from {date}"));
    }
    parts.join(", ")
}

/// The signed-in patient's places on the waitlist, newest first.
pub async fn mine(call: &Call<Patient>) -> Result<Vec<WaitlistEntry>, AppError> {
    let tz = db::settings::clinic_policy(&call.state.pool)
        .await?
        .time_zone();
    let mut conn = call.state.pool.acquire().await?;
    let own = call.who.patient_id;
    let family = db::family::family_ids(&mut conn, own).await?;
    let names = db::family::first_names(&mut conn, &family).await?;
    let mut entries = Vec::new();
    for patient_id in family {
        let for_name = names
            .iter()
            .find(|(id, _)| *id == patient_id && patient_id != own)
            .map(|(_, name)| name.clone());
        entries.extend(
            db::waitlist::live_of_patient(&mut conn, patient_id)
                .await?
                .into_iter()
                .map(|e| WaitlistEntry {
                    waitlist_entry_id: e.waitlist_entry_id,
                    type_name: e.type_name.clone(),
                    appointment_id: e.appointment_id,
                    limits: describe(&limits_of(&e)),
                    since: domain::schedule::local_date(tz, e.created_at).to_string(),
                    for_name: for_name.clone(),
                }),
        );
    }
    Ok(entries)
}

/// Who would be offered a freed time of this type starting at `start`, in the fair order:
/// the live entries whose limits it suits (clinic local time) and whom it brings earlier.
pub async fn waiting_for(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    appointment_type_id: i64,
    start: DateTime<Utc>,
) -> Result<Vec<db::waitlist::EntryRecord>, AppError> {
    let local = start.with_timezone(&policy.time_zone()).naive_local();
    let entries = db::waitlist::live_of_type(conn, appointment_type_id).await?;
    let suited: Vec<Waiting> = entries
        .iter()
        // A visit no longer booked has nothing to bring earlier.
        .filter(|e| e.appointment_id.is_none() || e.visit_start.is_some())
        .filter(|e| limits_of(e).suit(local))
        .map(|e| Waiting {
            entry_id: e.waitlist_entry_id,
            since: e.created_at,
            current_visit: e.visit_start,
        })
        .collect();
    let order = fair_order(suited, start);
    Ok(order
        .into_iter()
        .filter_map(|w| {
            entries
                .iter()
                .find(|e| e.waitlist_entry_id == w.entry_id)
                .cloned()
        })
        .collect())
}
