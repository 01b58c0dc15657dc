//! Demo data for local use (`cargo xtask run` loads it once): a named clinic, eight
//! doctors, one admin and three patients, all sharing [`DEMO_PASSWORD`]; upcoming visits
//! booked through the booking service, a few past visits (one completed, one no-show,
//! one waiting for its outcome) and one doctor on leave next week. The doctors and the
//! admin have two-step sign-in on (they must) with one published authenticator key,
//! [`DEMO_TOTP_KEY`]. Never run this against a production database: it creates accounts
//! with a published password and key.

use app::db;
use app::services::auth::password::hash_password;
use app::services::auth::two_step::TwoStepKey;
use app::services::booking::{self, ActingRole, ActingUser};
use app::services::reassignment::Actor;
use app::services::{availability, blocks, schedule};
use app::AppError;
use chrono::{Datelike, Duration, NaiveTime, Utc, Weekday};
use domain::schedule::{local_date, local_day_bounds, local_to_utc, week_start, WeeklyInterval};
use sqlx::PgPool;
use uuid::Uuid;

pub const DEMO_PASSWORD: &str = "clinic-demo-2026";
pub const DEMO_ADMIN: &str = "admin@riverside.test";
/// The demo doctors' and admin's authenticator key (base 32, as an authenticator app
/// takes it): two-step sign-in is required for them.
pub const DEMO_TOTP_KEY: &str = "CLINICDEMOTWOSTEPRIVERSIDEDEMOAA";

/// (first, last, specialty, email)
pub const DEMO_DOCTORS: [(&str, &str, &str, &str); 8] = [
    ("Ada", "Okafor", "Cardiology", "ada.okafor@riverside.test"),
    (
        "José",
        "Martínez",
        "Family medicine",
        "jose.martinez@riverside.test",
    ),
    ("Mei", "Chen", "Pediatrics", "mei.chen@riverside.test"),
    (
        "Samuel",
        "Adeyemi",
        "Dermatology",
        "samuel.adeyemi@riverside.test",
    ),
    (
        "Priya",
        "Raman",
        "Internal medicine",
        "priya.raman@riverside.test",
    ),
    (
        "Lena",
        "Fischer",
        "Family medicine",
        "lena.fischer@riverside.test",
    ),
    (
        "Tomás",
        "Novak",
        "Sports medicine",
        "tomas.novak@riverside.test",
    ),
    (
        "Hannah",
        "Goldberg",
        "Obstetrics and gynecology",
        "hannah.goldberg@riverside.test",
    ),
];

/// Languages and a public introduction per demo doctor (same order as [`DEMO_DOCTORS`]).
const DEMO_PROFILES: [(&[&str], &str); 8] = [
    (
        &["English", "Igbo"],
        "Looks after hearts of every age, with a focus on prevention.",
    ),
    (
        &["Spanish", "English"],
        "Family doctor for everyone from toddlers to grandparents.",
    ),
    (
        &["English", "Mandarin"],
        "Children's doctor; first visits are unhurried on purpose.",
    ),
    (
        &["English", "French"],
        "Skin checks, eczema, acne and everything in between.",
    ),
    (
        &["English", "Tamil", "Hindi"],
        "Adult medicine, long-term conditions and check-ups.",
    ),
    (
        &["German", "English"],
        "Family medicine with a special interest in travel health.",
    ),
    (
        &["Czech", "English"],
        "Sports injuries and getting back to moving.",
    ),
    (&["English", "Hebrew"], "Pregnancy care and women's health."),
];

use Weekday::{Fri, Mon, Sat, Thu, Tue, Wed};
const WEEKDAYS: &[Weekday] = &[Mon, Tue, Wed, Thu, Fri];

/// Weekly hours per demo doctor (same order as [`DEMO_DOCTORS`]): varied, some part-time.
/// Each entry: (weekdays, [(start, end) local wall times]).
type WeekPattern = (&'static [Weekday], &'static [(&'static str, &'static str)]);
const DEMO_HOURS: [WeekPattern; 8] = [
    (WEEKDAYS, &[("09:00", "17:00")]),
    (WEEKDAYS, &[("08:00", "12:00"), ("13:00", "16:00")]),
    (&[Mon, Wed, Fri], &[("09:00", "15:00")]),
    (&[Tue, Thu], &[("10:00", "18:00")]),
    (&[Mon, Tue, Wed, Thu], &[("12:00", "20:00")]),
    (WEEKDAYS, &[("09:00", "13:00")]),
    (&[Tue, Wed, Thu, Fri, Sat], &[("09:00", "17:00")]),
    (&[Mon, Tue, Thu], &[("08:30", "16:30")]),
];

/// (first, last, phone, email)
pub const DEMO_PATIENTS: [(&str, &str, Option<&str>, &str); 3] = [
    (
        "Alice",
        "Moreno",
        Some("+15550104411"),
        "alice@example.test",
    ),
    ("Ben", "Carter", None, "ben@example.test"),
    (
        "Chloe",
        "Nguyen",
        Some("+15550107788"),
        "chloe@example.test",
    ),
];

/// Loads the demo data unless it is already there. Returns whether anything was added.
pub async fn seed_demo(pool: &PgPool, key: &TwoStepKey) -> Result<bool, AppError> {
    let mut tx = pool.begin().await?;
    // Two servers started at once must not both seed.
    sqlx::query("select pg_advisory_xact_lock(hashtext('clinic-demo-seed'))")
        .execute(&mut *tx)
        .await?;
    let seeded: bool = sqlx::query_scalar("select exists (select 1 from users where email = $1)")
        .bind(DEMO_ADMIN)
        .fetch_one(&mut *tx)
        .await?;
    if seeded {
        return Ok(false);
    }

    sqlx::query(
        "update clinic_settings set clinic_name = 'Riverside Family Clinic',
                clinic_phone = '+1 (555) 010-2030', clinic_email = 'frontdesk@riverside.test',
                clinic_address = '120 River Street, Springfield', updated_at = now()",
    )
    .execute(&mut *tx)
    .await?;

    let hash = |_: &str| hash_password(DEMO_PASSWORD.to_owned());

    sqlx::query("insert into users (email, role, password_hash, email_verified_at) values ($1, 'admin', $2, now())")
        .bind(DEMO_ADMIN)
        .bind(hash(DEMO_ADMIN).await?)
        .execute(&mut *tx)
        .await?;

    let policy = db::settings::clinic_policy(pool).await?;
    let effective_from = local_date(policy.time_zone(), Utc::now()) - Duration::days(7);
    for (((first, last, specialty, email), (days, intervals)), (languages, introduction)) in
        DEMO_DOCTORS.into_iter().zip(DEMO_HOURS).zip(DEMO_PROFILES)
    {
        let doctor_id: i64 = sqlx::query_scalar(
            "with u as (insert into users (email, role, password_hash, email_verified_at) values ($1, 'doctor', $2, now()) returning user_id)
             insert into doctors (user_id, first_name, last_name, specialty, languages, introduction)
             select user_id, $3, $4, $5, $6, $7 from u returning doctor_id",
        )
        .bind(email)
        .bind(hash(email).await?)
        .bind(first)
        .bind(last)
        .bind(specialty)
        .bind(languages)
        .bind(introduction)
        .fetch_one(&mut *tx)
        .await?;
        for &weekday in days {
            for (start, end) in intervals {
                let time =
                    |t: &str| NaiveTime::parse_from_str(t, "%H:%M").expect("demo hours are valid");
                let interval = WeeklyInterval {
                    weekday,
                    start: time(start),
                    end: time(end),
                    effective_from,
                    effective_until: None,
                };
                db::schedule::add_hours(&mut tx, doctor_id, &interval).await?;
            }
        }
    }

    let mut patients = Vec::new();
    for (first, last, phone, email) in DEMO_PATIENTS {
        let ids: (i64, i64) = sqlx::query_as(
            "with u as (insert into users (email, role, password_hash, email_verified_at) values ($1, 'patient', $2, now()) returning user_id)
             insert into patients (user_id, first_name, last_name, phone)
             select user_id, $3, $4, $5 from u returning user_id, patient_id",
        )
        .bind(email)
        .bind(hash(email).await?)
        .bind(first)
        .bind(last)
        .bind(phone)
        .fetch_one(&mut *tx)
        .await?;
        patients.push(ids);
    }
    // A family: Ben looks after his son Leo (a patient of his own, without a login).
    if let Some(&(ben_user, ben)) = patients.get(1) {
        let leo: i64 = sqlx::query_scalar(
            "insert into patients (first_name, last_name, date_of_birth)
             values ('Leo', 'Carter', date '2018-09-12') returning patient_id",
        )
        .fetch_one(&mut *tx)
        .await?;
        db::family::link(&mut tx, ben, leo, "Parent", ben_user, Utc::now()).await?;
    }

    // Two-step sign-in on for the staff, one step already used (every code from now on
    // is new), as if each had set it up with the demo key.
    let secret = totp_rs::Secret::try_from_base32(DEMO_TOTP_KEY)
        .map_err(|e| AppError::internal(format!("demo key: {e:?}")))?;
    let staff: Vec<i64> =
        sqlx::query_scalar("select user_id from users where role in ('admin', 'doctor')")
            .fetch_all(&mut *tx)
            .await?;
    for user_id in staff {
        let sealed = key.seal(secret.as_bytes())?;
        db::two_factor::start_enrolment(&mut tx, user_id, &sealed, Utc::now()).await?;
        db::two_factor::accept_step(&mut tx, user_id, 0, Utc::now()).await?;
    }

    tx.commit().await?;
    schedule::materialize_slots(pool, &policy, Utc::now()).await?;
    book_demo_appointments(pool, &patients).await?;
    add_past_visits(pool, &patients).await?;
    add_demo_leave(pool).await?;
    Ok(true)
}

/// Visits on the last three weekdays with the first demo doctor (Dr. Okafor, weekdays
/// 09:00–17:00), so outcomes can be shown: one completed, one no-show, one waiting.
/// Written directly (booking refuses the past), slots and history included, so the
/// booking invariants hold for them too.
async fn add_past_visits(pool: &PgPool, patients: &[(i64, i64)]) -> Result<(), AppError> {
    let policy = db::settings::clinic_policy(pool).await?;
    let tz = policy.time_zone();
    let doctor_id: i64 = sqlx::query_scalar(
        "select d.doctor_id from doctors d join users u using (user_id) where u.email = $1",
    )
    .bind(DEMO_DOCTORS[0].3)
    .fetch_one(pool)
    .await?;
    let mut days = Vec::new();
    let mut date = local_date(tz, Utc::now());
    while days.len() < 3 {
        date = date.pred_opt().unwrap_or(date);
        if WEEKDAYS.contains(&date.weekday()) {
            days.push(date);
        }
    }
    let visits = [
        (0, days[2], "10:00", "completed"),
        (2, days[1], "11:00", "no_show"),
        (1, days[0], "14:00", "booked"),
    ];
    let mut tx = pool.begin().await?;
    for (patient, date, at, status) in visits {
        let Some(&(user_id, patient_id)) = patients.get(patient) else {
            continue;
        };
        let time = NaiveTime::parse_from_str(at, "%H:%M").expect("demo times are valid");
        let Some(start) = local_to_utc(tz, date, time) else {
            continue;
        };
        let end = start + policy.slot_length();
        let appointment_id: i64 = sqlx::query_scalar(
            "with s as (insert into availability_slots (doctor_id, start_time, end_time, status)
                        values ($1, $3, $4, 'booked') returning slot_id),
                  a as (insert into appointments (patient_id, doctor_id, appointment_type_id, start_time, end_time,
                                                  status, booked_by_user_id, booked_by_role, idempotency_key, created_at)
                        values ($2, $1, 1, $3, $4, $5, $6, 'patient', gen_random_uuid(), $3 - interval '7 days')
                        returning appointment_id),
                  l as (insert into appointment_slots (appointment_id, slot_id) select a.appointment_id, s.slot_id from a, s)
             select appointment_id from a",
        )
        .bind(doctor_id)
        .bind(patient_id)
        .bind(start)
        .bind(end)
        .bind(status)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "insert into appointment_events (appointment_id, kind, actor_user_id, actor_role, new_doctor_id, new_start_time, created_at)
             values ($1, 'booked', $2, 'patient', $3, $4, $4 - interval '7 days')",
        )
        .bind(appointment_id)
        .bind(user_id)
        .bind(doctor_id)
        .bind(start)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Dr. Chen (the third demo doctor) is on leave Wednesday to Friday next week, set the
/// way she would set it: her visits then move to free colleagues or wait for staff.
async fn add_demo_leave(pool: &PgPool) -> Result<(), AppError> {
    let policy = db::settings::clinic_policy(pool).await?;
    let tz = policy.time_zone();
    let (user_id, doctor_id): (i64, i64) = sqlx::query_as(
        "select u.user_id, d.doctor_id from doctors d join users u using (user_id) where u.email = $1",
    )
    .bind(DEMO_DOCTORS[2].3)
    .fetch_one(pool)
    .await?;
    let next_monday = week_start(local_date(tz, Utc::now())) + Duration::days(7);
    let (from, _) = local_day_bounds(tz, next_monday + Duration::days(2));
    let (_, to) = local_day_bounds(tz, next_monday + Duration::days(4));
    let leave = blocks::Block {
        doctor_id,
        from,
        to,
        leave: true,
        note: Some("Conference".to_owned()),
    };
    let actor = Actor {
        user_id: Some(user_id),
        role: "doctor",
    };
    blocks::block(pool, &policy, actor, &leave, Utc::now()).await?;
    Ok(())
}

/// A few upcoming visits booked through the real booking service, as the patients would.
/// (patient index, index into the open Standard times of the next two weeks, type id)
async fn book_demo_appointments(pool: &PgPool, patients: &[(i64, i64)]) -> Result<(), AppError> {
    const BOOKINGS: [(usize, usize, i64); 5] =
        [(0, 12, 1), (0, 140, 2), (1, 40, 1), (1, 220, 1), (2, 90, 2)];
    let policy = db::settings::clinic_policy(pool).await?;
    let now = Utc::now();
    let open = availability::open_times(
        pool,
        &policy,
        &domain::visit_type::Need::slots_of_anyone(2),
        now,
        now + Duration::days(14),
        now,
    )
    .await?;
    for (patient, index, appointment_type_id) in BOOKINGS {
        let (Some(&(user_id, patient_id)), Some(time)) = (patients.get(patient), open.get(index))
        else {
            continue;
        };
        let by = ActingUser {
            user_id,
            role: ActingRole::Patient { patient_id },
            request_id: None,
        };
        let hold = booking::hold(
            pool,
            &policy,
            &by,
            patient_id,
            time.start,
            appointment_type_id,
            now,
        )
        .await;
        // A time can be gone if another demo booking took the last doctor: skip it.
        if let Ok(hold) = hold {
            booking::confirm(
                pool,
                &policy,
                &by,
                booking::Confirmation {
                    patient_id,
                    hold_token: hold.token,
                    reason: None,
                    idempotency_key: Uuid::new_v4(),
                },
                now,
            )
            .await?;
        }
    }
    Ok(())
}
