//! The patient portal's server side: the finder's week, and the patient's own holds and
//! appointments through the booking service. The server function hands in the call (the
//! signed-in patient, the moment, the request id).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::booking::{self as rules, Actor, AppointmentFacts, AppointmentStatus};
use domain::schedule::{local_date, local_day_bounds};
use domain::visit_type::VisitType;
use domain::ClinicPolicy;
use uuid::Uuid;

use crate::db;
use crate::error::AppError;
use crate::services::availability;
use crate::services::booking;
use crate::services::call::{Call, Patient};
use crate::wire::appointments::AppointmentView;
use crate::wire::booking::{
    AppointmentTypeView, DayTimes, DoctorChoiceView, HoldView, MoveDoctor, WeekView,
};
use crate::wire::directory::DoctorCard;

/// The patient's call and the clinic's current policy.
async fn policy(call: &Call<Patient>) -> Result<ClinicPolicy, AppError> {
    db::settings::clinic_policy(&call.state.pool).await
}

/// What the finder is asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct FinderAsk {
    pub appointment_type_id: Option<i64>,
    pub week: Option<NaiveDate>,
    /// A chosen doctor (their times only).
    pub doctor: Option<i64>,
    /// Times to move a booked visit to: its type may be one only staff book new visits of.
    pub moving: bool,
}

pub async fn finder_week(call: &Call, ask: FinderAsk) -> Result<WeekView, AppError> {
    let FinderAsk {
        appointment_type_id,
        week,
        doctor,
        moving,
    } = ask;
    let state = &call.state;
    // The finder is the hottest read (anonymous too): policy, types and doctors from the
    // cache.
    let settings = state.availability.settings(&state.pool).await?;
    let policy = settings.policy;
    let now = call.now;
    let tz = policy.time_zone();
    let slot_minutes = policy.slot_length().num_minutes();
    // Patients see the types they may book online; staff-only ones are the staff's.
    let online: Vec<&VisitType> = settings.types.iter().filter(|t| t.online).collect();
    let types: Vec<AppointmentTypeView> = online
        .iter()
        .map(|t| AppointmentTypeView::of(t, slot_minutes))
        .collect();
    // A visit being moved keeps its type, online or not.
    let offered: Vec<&VisitType> = if moving {
        settings.types.iter().collect()
    } else {
        online.clone()
    };
    let visit_type = match appointment_type_id {
        None => *online.first().ok_or(AppError::NotFound)?,
        Some(id) => *offered.iter().find(|t| t.id == id).ok_or_else(|| {
            AppError::validation(
                "appointment_type_id",
                "That appointment type is not offered.",
            )
        })?,
    };
    let appointment_type = AppointmentTypeView::of(visit_type, slot_minutes);
    let chosen = match doctor {
        None => None,
        Some(id) => Some(
            settings
                .doctors
                .iter()
                .find(|d| d.doctor_id == id && visit_type.offered_by(id))
                .cloned()
                .ok_or_else(|| {
                    AppError::validation(
                        "doctor",
                        format!("That doctor does not offer {}.", visit_type.name),
                    )
                })?,
        ),
    };
    let need = visit_type.need(chosen.as_ref().map(|d| d.doctor_id));
    // Seven days from a day: today at the earliest, never a span wholly past.
    let today = local_date(tz, now);
    let last_day = local_date(tz, now + policy.booking_horizon());
    let next_available =
        availability::next_available_from(&state.availability, &state.pool, &policy, &need, now)
            .await?;
    // With a chosen doctor, say when another doctor has something sooner.
    let sooner_elsewhere = match chosen {
        Some(_) => availability::next_available_from(
            &state.availability,
            &state.pool,
            &policy,
            &visit_type.need(None),
            now,
        )
        .await?
        .filter(|any| next_available.is_none_or(|mine| *any < mine)),
        None => None,
    };
    let first_day = match week {
        // Without a day: the first day with openings (or today).
        None => next_available.map_or(today, |t| local_date(tz, t)),
        Some(d) if d < today && today - d <= Duration::days(7) => today,
        Some(d) if (today..=last_day).contains(&d) => d,
        Some(_) => {
            return Err(AppError::validation(
                "week",
                format!(
                    "Open times can be shown for the days from {} to {}.",
                    today.format("%B %-d, %Y"),
                    last_day.format("%B %-d, %Y")
                ),
            ))
        }
    };

    let (from, _) = local_day_bounds(tz, first_day);
    let (_, to) = local_day_bounds(tz, first_day + Duration::days(6));
    let open = availability::open_times_from(
        &state.availability,
        &state.pool,
        &policy,
        &need,
        from,
        to,
        now,
    )
    .await?;
    let mut days: Vec<DayTimes> = (0..7)
        .map(|i| DayTimes {
            date: first_day + Duration::days(i),
            times: Vec::new(),
        })
        .collect();
    // One time-zone conversion per time (this is the finder's hot path).
    for o in &open {
        let date = local_date(tz, o.start);
        if let Some(day) = days.iter_mut().find(|d| d.date == date) {
            day.times.push(o.start);
        }
    }
    // Nothing in these days but something later: the way there.
    let first_open_week = next_available
        .map(|t| local_date(tz, t))
        .filter(|d| days.iter().all(|x| x.times.is_empty()) && *d > first_day);
    Ok(WeekView {
        types,
        appointment_type,
        week_start: first_day,
        days,
        time_zone: tz.name().to_owned(),
        prev_week: (first_day > today).then(|| (first_day - Duration::days(7)).max(today)),
        next_week: (first_day + Duration::days(7) <= last_day)
            .then(|| first_day + Duration::days(7)),
        first_open_week,
        next_available,
        doctor: chosen,
        sooner_elsewhere,
    })
}

/// The doctors who offer a visit type patients book online, and for a signed-in patient
/// their usual doctor (the one they saw most recently) when that doctor offers it.
pub async fn doctor_choice(
    call: &Call,
    patient_id: Option<i64>,
    appointment_type_id: i64,
) -> Result<DoctorChoiceView, AppError> {
    let state = &call.state;
    let settings = state.availability.settings(&state.pool).await?;
    let slot_minutes = settings.policy.slot_length().num_minutes();
    let visit_type = settings
        .types
        .iter()
        .find(|t| t.id == appointment_type_id && t.online)
        .ok_or_else(|| {
            AppError::validation(
                "appointment_type_id",
                "That appointment type is not offered.",
            )
        })?;
    let doctors: Vec<DoctorCard> = settings
        .doctors
        .iter()
        .filter(|d| visit_type.offered_by(d.doctor_id))
        .cloned()
        .collect();
    let usual = match patient_id {
        Some(patient_id) => {
            let mut conn = state.pool.acquire().await?;
            let usual = db::visit_types::usual_doctor(&mut conn, patient_id, call.now).await?;
            usual.and_then(|id| doctors.iter().find(|d| d.doctor_id == id).cloned())
        }
        None => None,
    };
    Ok(DoctorChoiceView {
        appointment_type: AppointmentTypeView::of(visit_type, slot_minutes),
        doctors,
        usual,
    })
}

fn hold_to_view(hold: booking::Hold, tz: &str, now: DateTime<Utc>) -> HoldView {
    let visit_type = hold.visit_type;
    HoldView {
        for_name: None,
        note: visit_type.note,
        questions: visit_type.questions,
        idempotency_key: Uuid::new_v4(),
        appointment_type_id: visit_type.id,
        token: hold.token,
        start: hold.start,
        end: hold.end,
        expires_at: hold.expires_at,
        type_name: visit_type.name,
        time_zone: tz.to_owned(),
        server_now: now,
    }
}

/// Holds a time for the patient, or for `for_patient`, someone they look after (the booking
/// service checks the link under that person's lock; anyone else is "not found").
pub async fn hold_time(
    call: &Call<Patient>,
    start: DateTime<Utc>,
    appointment_type_id: i64,
    doctor: Option<i64>,
    for_patient: Option<i64>,
) -> Result<HoldView, AppError> {
    let start = domain::booking::parse_start(start)?.get();
    let policy = policy(call).await?;
    let patient_id = for_patient.unwrap_or(call.who.patient_id);
    let for_name = for_name(call, patient_id).await?;
    let hold = booking::hold_with_doctor(
        &call.state,
        &policy,
        &call.acting(),
        patient_id,
        start,
        appointment_type_id,
        doctor,
        call.now,
    )
    .await
    .map_err(|e| about(e, for_name.as_deref()))?;
    Ok(HoldView {
        for_name,
        ..hold_to_view(hold, policy.time_zone().name(), call.now)
    })
}

/// A refusal about someone the patient looks after names them (the booking rules' own
/// words speak to the patient: "You already have …").
fn about(err: AppError, name: Option<&str>) -> AppError {
    use domain::booking::BookingError::{OverlapsOwnAppointment, TooManyActiveAppointments};
    let Some(name) = name else { return err };
    match err {
        AppError::Booking(TooManyActiveAppointments { limit }) => AppError::validation(
            "for_patient",
            format!("{name} already has {limit} upcoming appointments, the most allowed at once."),
        ),
        AppError::Booking(OverlapsOwnAppointment { .. }) => AppError::validation(
            "for_patient",
            format!("{name} already has an appointment at this time. Choose a time that does not overlap it."),
        ),
        other => other,
    }
}

/// The first name of the person a visit is for, when not the signed-in patient.
async fn for_name(call: &Call<Patient>, patient_id: i64) -> Result<Option<String>, AppError> {
    if patient_id == call.who.patient_id {
        return Ok(None);
    }
    let mut conn = call.state.pool.acquire().await?;
    Ok(db::family::first_names(&mut conn, &[patient_id])
        .await?
        .into_iter()
        .next()
        .map(|(_, name)| name))
}

/// The patient a hold token belongs to, among the signed-in patient and the people they
/// look after now; the patient themselves otherwise (so someone else's token is answered
/// exactly as an unknown one).
async fn holder(call: &Call<Patient>, token: Uuid) -> Result<i64, AppError> {
    let mut conn = call.state.pool.acquire().await?;
    Ok(
        db::slots::hold_patient_in_family(&mut conn, token, call.who.patient_id)
            .await?
            .unwrap_or(call.who.patient_id),
    )
}

pub async fn hold_view(call: &Call<Patient>, token: Uuid) -> Result<HoldView, AppError> {
    let policy = policy(call).await?;
    let patient_id = holder(call, token).await?;
    let row = db::slots::held_by(&call.state.pool, token, patient_id).await?;
    let db::slots::HeldTime {
        start,
        end,
        expires_at,
        type_name,
        appointment_type_id,
    } = row.ok_or(domain::booking::BookingError::HoldNotFound)?;
    let mut conn = call.state.pool.acquire().await?;
    let visit_type = db::visit_types::of(&mut conn, appointment_type_id).await?;
    drop(conn);
    Ok(HoldView {
        for_name: for_name(call, patient_id).await?,
        note: visit_type.as_ref().and_then(|t| t.note.clone()),
        questions: visit_type.map(|t| t.questions).unwrap_or_default(),
        idempotency_key: Uuid::new_v4(),
        appointment_type_id,
        token,
        start,
        end,
        expires_at,
        type_name,
        time_zone: policy.time_zone().name().to_owned(),
        server_now: call.now,
    })
}

/// Books the held time; returns the new appointment's id.
pub async fn confirm_booking(
    call: &Call<Patient>,
    hold: Uuid,
    reason: Option<String>,
    idempotency_key: Uuid,
    answers: &[(i32, String)],
) -> Result<i64, AppError> {
    let policy = policy(call).await?;
    let patient_id = holder(call, hold).await?;
    let name = for_name(call, patient_id).await?;
    let appointment = booking::confirm_with_answers(
        &call.state,
        &policy,
        &call.acting(),
        booking::Confirmation {
            patient_id,
            hold_token: hold,
            reason,
            idempotency_key,
        },
        answers,
        call.now,
    )
    .await
    .map_err(|e| about(e, name.as_deref()))?;
    Ok(appointment.appointment_id)
}

/// Moves the patient's own appointment; returns its (new) id.
pub async fn reschedule(
    call: &Call<Patient>,
    appointment_id: i64,
    start: DateTime<Utc>,
) -> Result<i64, AppError> {
    let start = domain::booking::parse_start(start)?.get();
    let policy = policy(call).await?;
    let moved = booking::reschedule(
        &call.state,
        &policy,
        &call.acting(),
        appointment_id,
        start,
        call.now,
    )
    .await?;
    Ok(moved.appointment_id)
}

/// Who moving the patient's own visit to `start` would be with, as things stand now (the
/// move itself decides again, under locks).
pub async fn move_preview(
    call: &Call<Patient>,
    appointment_id: i64,
    start: DateTime<Utc>,
) -> Result<MoveDoctor, AppError> {
    let state = &call.state;
    let start = domain::booking::parse_start(start)?.get();
    let policy = policy(call).await?;
    // The rules no one may pass, as the move itself applies them: the preview answers as
    // the move would.
    domain::booking::check_bookable_start(&policy, call.now, start)?;
    let current = db::appointments::get(&state.pool, appointment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut conn = state.pool.acquire().await?;
    let family = db::family::family_ids(&mut conn, call.who.patient_id).await?;
    if !family.contains(&current.patient_id) {
        return Err(AppError::NotFound);
    }
    let Some(visit_type) = db::visit_types::of(&mut conn, current.appointment_type_id).await?
    else {
        return Ok(MoveDoctor {
            doctor_name: None,
            same_doctor: false,
        });
    };
    let ranked = booking::ranked_doctors(
        &mut conn,
        &policy,
        start,
        &visit_type.need(None),
        call.now,
        None,
        Some(current.doctor_id),
    )
    .await?;
    let doctor_name = match ranked.first() {
        Some(&doctor_id) => db::doctors::display_name(&mut conn, doctor_id).await?,
        None => None,
    };
    Ok(MoveDoctor {
        doctor_name,
        same_doctor: ranked.first() == Some(&current.doctor_id),
    })
}

/// "I'll be there" from the patient's own visit page; returns its id. Again: no change.
pub async fn confirm(call: &Call<Patient>, appointment_id: i64) -> Result<i64, AppError> {
    let (visit, _) = booking::confirm_attendance(
        &call.state.pool,
        &call.acting(),
        appointment_id,
        booking::ConfirmedVia::Web,
        call.now,
    )
    .await?;
    Ok(visit.appointment_id)
}

/// Cancels the patient's own appointment; returns its id.
pub async fn cancel(call: &Call<Patient>, appointment_id: i64) -> Result<i64, AppError> {
    let policy = policy(call).await?;
    let cancelled = booking::cancel(
        &call.state.pool,
        &policy,
        &call.acting(),
        appointment_id,
        call.now,
    )
    .await?;
    Ok(cancelled.appointment_id)
}

/// Says why the patient may not cancel or move `view` online now (the page shows this
/// instead of the buttons).
pub fn explain_blocks(view: &mut AppointmentView, policy: &ClinicPolicy, now: DateTime<Utc>) {
    let facts = AppointmentFacts {
        start: view.start,
        status: view.status,
        change_count: view.change_count,
    };
    let explain =
        |result: Result<Option<String>, rules::BookingError>| result.err().map(|e| e.to_string());
    if view.status == AppointmentStatus::Booked && view.start > now {
        view.cancel_blocked = explain(rules::check_cancel(policy, now, &facts, &Actor::Patient));
        view.reschedule_blocked = explain(rules::check_reschedule(
            policy,
            now,
            &facts,
            &Actor::Patient,
        ));
    } else {
        let done = "This appointment can no longer be changed.".to_owned();
        view.cancel_blocked = Some(done.clone());
        view.reschedule_blocked = Some(done);
    }
}

/// The patient lets go of a time they were holding ("Choose another time"), so it is
/// offered again at once instead of when the hold runs out; then back to the finder.
pub async fn release_hold(call: &Call<Patient>, token: Uuid) -> Result<(), AppError> {
    let patient_id = holder(call, token).await?;
    let mut conn = call.state.pool.acquire().await?;
    db::slots::release_hold(&mut conn, patient_id, token).await?;
    Ok(())
}
