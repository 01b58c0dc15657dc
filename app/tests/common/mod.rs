//! Fixtures for the booking tests: a clinic with doctors, patients and slots, at a fixed
//! `now` so the tests never depend on the real clock.

#![allow(dead_code)]

pub mod smtp;

use app::db;
use app::services::booking::{ActingRole, ActingUser};
use app::services::schedule;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use domain::schedule::WeeklyInterval;
use domain::ClinicPolicy;
use sqlx::PgPool;

pub const STANDARD: i64 = 1;
pub const LONG: i64 = 2;

/// Monday 2030-03-04 09:00 in New York (EST).
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, 4, 14, 0, 0).unwrap()
}

/// A wall time in New York on a March 2030 date before the DST change (UTC−5).
pub fn ny(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 3, day, hour + 5, minute, 0)
        .unwrap()
}

pub fn policy() -> ClinicPolicy {
    ClinicPolicy::default()
}

pub fn time(text: &str) -> NaiveTime {
    NaiveTime::parse_from_str(text, "%H:%M").unwrap()
}

pub async fn add_doctor(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar(
        "with u as (insert into users (email, role, password_hash) values ($1, 'doctor', 'x') returning user_id)
         insert into doctors (user_id, first_name, last_name) select user_id, 'Dr', $2 from u returning doctor_id",
    )
    .bind(format!("{}@doctors.test", name.to_lowercase()))
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Gives a doctor hours every day of the week from `start` to `end`.
pub async fn add_daily_hours(pool: &PgPool, doctor_id: i64, start: &str, end: &str) {
    let mut conn = pool.acquire().await.unwrap();
    for weekday in [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ] {
        let interval = WeeklyInterval {
            weekday,
            start: time(start),
            end: time(end),
            effective_from: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
            effective_until: None,
        };
        db::schedule::add_hours(&mut conn, doctor_id, &interval)
            .await
            .unwrap();
    }
}

/// `n` doctors working 09:00–17:00 every day, their slots materialised.
pub async fn nine_to_five_doctors(pool: &PgPool, prefix: &str, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let d = add_doctor(pool, &format!("{prefix}{i}")).await;
        add_daily_hours(pool, d, "09:00", "17:00").await;
        ids.push(d);
    }
    materialize(pool).await;
    ids
}

pub async fn add_patient(pool: &PgPool, n: usize) -> ActingUser {
    let (user_id, patient_id): (i64, i64) = sqlx::query_as(
        "with u as (insert into users (email, role, password_hash) values ($1, 'patient', 'x') returning user_id)
         insert into patients (user_id, first_name, last_name) select user_id, 'Pat', 'Ient' from u
         returning user_id, patient_id",
    )
    .bind(format!("patient{n}@example.test"))
    .fetch_one(pool)
    .await
    .unwrap();
    ActingUser {
        user_id,
        role: ActingRole::Patient { patient_id },
        request_id: None,
    }
}

pub async fn add_staff(pool: &PgPool, reason: Option<&str>) -> ActingUser {
    let user_id: i64 = sqlx::query_scalar(
        "insert into users (email, role, password_hash) values ('staff@clinic.test', 'admin', 'x') returning user_id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    ActingUser {
        user_id,
        role: ActingRole::Staff {
            override_reason: reason.map(str::to_owned),
        },
        request_id: None,
    }
}

pub fn patient_id(user: &ActingUser) -> i64 {
    match user.role {
        ActingRole::Patient { patient_id } => patient_id,
        ActingRole::Staff { .. } => panic!("not a patient"),
    }
}

/// Holds and confirms `start` for `by` at the fixture's `now`, as the patient would.
pub async fn book(
    pool: &PgPool,
    by: &ActingUser,
    start: DateTime<Utc>,
    kind: i64,
) -> Result<app::db::appointments::Appointment, app::AppError> {
    let p = policy();
    let hold =
        app::services::booking::hold(pool, &p, by, patient_id(by), start, kind, now()).await?;
    app::services::booking::confirm(
        pool,
        &p,
        by,
        app::services::booking::Confirmation {
            patient_id: patient_id(by),
            hold_token: hold.token,
            reason: None,
            idempotency_key: uuid::Uuid::new_v4(),
        },
        now(),
    )
    .await
}

pub async fn materialize(pool: &PgPool) -> schedule::MaterializeReport {
    schedule::materialize_slots(pool, &policy(), now())
        .await
        .unwrap()
}

/// The invariants of PRODUCT.md rule 1, checked over the whole final state. Returns a
/// list of violations (empty when all hold).
pub async fn invariant_violations(pool: &PgPool) -> Vec<String> {
    let checks = [
        (
            "overlapping live appointments of one doctor",
            "select count(*) from appointments a join appointments b
               on a.doctor_id = b.doctor_id and a.appointment_id < b.appointment_id
              and tstzrange(a.start_time, a.end_time) && tstzrange(b.start_time, b.end_time)
             where a.status <> 'cancelled' and b.status <> 'cancelled'",
        ),
        (
            "slot linked to two live appointments",
            "select count(*) from (select l.slot_id from appointment_slots l join appointments a using (appointment_id)
              where a.status <> 'cancelled' group by l.slot_id having count(*) > 1) x",
        ),
        (
            "booked slot not linked to exactly one live appointment",
            "select count(*) from availability_slots s where s.status = 'booked' and
               (select count(*) from appointment_slots l join appointments a using (appointment_id)
                 where l.slot_id = s.slot_id and a.status <> 'cancelled') <> 1",
        ),
        (
            "free or held slot linked to an appointment",
            "select count(*) from availability_slots s where s.status in ('free', 'held')
               and exists (select 1 from appointment_slots l where l.slot_id = s.slot_id)",
        ),
        (
            "cancelled appointment still holding slots",
            "select count(*) from appointments a where a.status = 'cancelled'
               and exists (select 1 from appointment_slots l where l.appointment_id = a.appointment_id)",
        ),
        (
            "live appointment whose slots do not tile its span with its own doctor",
            // The visit and its buffer (when it has one): slots never overlap, so slots
            // inside the span that add up to it tile it.
            "select count(*) from appointments a
              where a.status = 'booked' and (
                (select coalesce(sum(s.end_time - s.start_time), interval '0')
                   from appointment_slots l join availability_slots s using (slot_id)
                  where l.appointment_id = a.appointment_id)
                  <> coalesce(a.buffer_until, a.end_time) - a.start_time
                or exists (select 1 from appointment_slots l join availability_slots s using (slot_id)
                            where l.appointment_id = a.appointment_id
                              and (s.doctor_id <> a.doctor_id or s.start_time < a.start_time
                                   or s.end_time > coalesce(a.buffer_until, a.end_time)
                                   or s.status <> 'booked')))",
        ),
        (
            "patient with two overlapping live visits",
            "select count(*) from appointments a join appointments b
               on a.patient_id = b.patient_id and a.appointment_id < b.appointment_id
              and tstzrange(a.start_time, a.end_time) && tstzrange(b.start_time, b.end_time)
             where a.status <> 'cancelled' and b.status <> 'cancelled'",
        ),
        (
            "patient above the active-appointment limit",
            "select count(*) from (select a.patient_id from appointments a
               where a.status = 'booked' and a.start_time > now() and a.booked_by_role = 'patient'
               group by a.patient_id
               having count(*) > (select max_active_appointments from clinic_settings)) x",
        ),
        (
            "patient with more than one hold",
            "select count(*) from (select hold_patient_id from availability_slots where status = 'held'
               group by hold_patient_id having count(distinct hold_token) > 1) x",
        ),
        (
            "live appointment with an inactive doctor outside the attention queue",
            "select count(*) from appointments a join doctors d using (doctor_id)
              where a.status = 'booked' and not d.active
                and not exists (select 1 from attention_items i
                                 where i.appointment_id = a.appointment_id and i.resolved_at is null)",
        ),
    ];
    let mut violations = Vec::new();
    for (what, sql) in checks {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(pool).await.unwrap();
        if n > 0 {
            violations.push(format!("{n} × {what}"));
        }
    }
    violations
}
