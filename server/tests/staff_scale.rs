//! The staff pages' queries at clinic scale: 300 doctors, 10,000 patients and 50,000
//! appointments. Prints the p50/p95 of each server function over HTTP; nothing is asserted
//! about time (performance targets live in `cargo xtask bench`), only that the answers
//! are right.

mod common;

use std::time::{Duration, Instant};

use common::*;
use domain::role::Role;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

async fn seed(pool: &PgPool) {
    // 300 doctors working 08:00–16:00 every day; their slots for this week are made below.
    sqlx::query(
        "with u as (
            insert into users (email, role, password_hash, email_verified_at)
            select 'scale.doctor' || g || '@doctors.test', 'doctor', 'x', now() from generate_series(1, 300) g
            returning user_id, email)
         insert into doctors (user_id, first_name, last_name)
         select user_id, 'Doc', 'Scale' || split_part(split_part(email, '@', 1), 'doctor', 2) from u",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into weekly_hours (doctor_id, weekday, start_time, end_time, effective_from)
         select d.doctor_id, w, '08:00', '16:00', current_date - 30 from doctors d, generate_series(1, 7) w",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "with u as (
            insert into users (email, role, password_hash)
            select 'scale.patient' || g || '@people.test', 'patient', null from generate_series(1, 10000) g
            returning user_id, email)
         insert into patients (user_id, first_name, last_name, phone)
         select user_id, 'Pat', 'Scale' || split_part(split_part(email, '@', 1), 'patient', 2),
                '+1 555 ' || lpad((row_number() over ())::text, 7, '0')
         from u",
    )
    .execute(pool)
    .await
    .unwrap();
    // 50,100 visits: each doctor one a day for 167 days around today, at a time of their own.
    sqlx::query(
        "insert into appointments (patient_id, doctor_id, appointment_type_id, start_time, end_time, status,
                                   booked_by_user_id, booked_by_role, idempotency_key)
         select p.patient_id, d.doctor_id, 1, t, t + interval '30 minutes',
                case when t > now() then 'booked' when (k + d.doctor_id) % 10 = 0 then 'no_show' else 'completed' end,
                p.user_id, 'patient', gen_random_uuid()
         from (select doctor_id, row_number() over (order by doctor_id) as n from doctors) d
         cross join generate_series(0, 166) k
         cross join lateral (select date_trunc('day', now()) - interval '120 days' + k * interval '1 day'
                                    + interval '13 hours' + (d.n % 6) * interval '30 minutes' as t) x
         join patients p on p.patient_id = 1 + ((d.n * 167 + k) % 10000)",
    )
    .execute(pool)
    .await
    .unwrap();
    let policy = app::db::settings::clinic_policy(pool).await.unwrap();
    let now = chrono::Utc::now();
    // Only a week of slots: enough for Today's figures, quick to make.
    let short = domain::ClinicPolicy::parse(&domain::ClinicPolicyInput {
        booking_horizon_days: 7,
        ..domain::ClinicPolicyInput::default()
    })
    .unwrap();
    let _ = policy;
    app::services::schedule::materialize_slots(pool, &short, now)
        .await
        .unwrap();
    sqlx::query("analyze").execute(pool).await.unwrap();
}

fn percentile(times: &mut [Duration], p: f64) -> Duration {
    times.sort();
    times[((times.len() as f64 - 1.0) * p).round() as usize]
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn staff_pages_at_clinic_scale(pool: PgPool) {
    seed(&pool).await;
    let appointments: i64 = sqlx::query_scalar("select count(*) from appointments")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(appointments >= 50_000, "{appointments}");
    let base = spawn_app(pool.clone()).await;
    let admin = create_person(&pool, Role::Admin, "Scaledesk").await;
    let staff = client();
    log_in(&staff, &base, &admin.email).await;

    let today = chrono::Utc::now().date_naive().to_string();
    let month_ago = (chrono::Utc::now() - chrono::Duration::days(30))
        .date_naive()
        .to_string();
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("staff_today", vec![]),
        ("search_appointments", vec![]),
        (
            "search_appointments",
            vec![
                ("from", month_ago.clone()),
                ("to", today.clone()),
                ("patient", "scale42".into()),
            ],
        ),
        (
            "search_appointments",
            vec![
                ("from", month_ago),
                ("to", today),
                ("status", "no_show".into()),
                ("page", "3".into()),
            ],
        ),
        ("find_patients", vec![("query", "scale123".into())]),
        ("find_patients", vec![("query", "555 000 12".into())]),
        ("audit_log", vec![("action", "appointment.".into())]),
    ];
    for (endpoint, fields) in cases {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut times = Vec::new();
        for _ in 0..20 {
            let started = Instant::now();
            let response = call(&staff, &base, endpoint, &pairs).await;
            let status = response.status();
            let body = response.text().await.unwrap();
            times.push(started.elapsed());
            assert_eq!(status, 200, "{endpoint} {fields:?}: {body}");
        }
        println!(
            "scale: {endpoint} {fields:?}: p50 {:?}, p95 {:?}",
            percentile(&mut times, 0.5),
            percentile(&mut times, 0.95)
        );
    }
    // The answers are right at scale too: a patient's visits are found by name.
    let found: serde_json::Value = call(&staff, &base, "find_patients", &[("query", "Scale9999")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["rows"].as_array().unwrap().len(), 1);
}
