//! PRODUCT.md rule 6: a doctor's unavailable visits move to another doctor free at the
//! same time, or wait for staff — never lost, never double-booked.

mod common;

use app::db;
use app::db::attention::Cause;
use app::services::reassignment::{self, Actor};
use common::*;
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

async fn doctors(pool: &PgPool, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let d = add_doctor(pool, &format!("R{i}")).await;
        add_daily_hours(pool, d, "09:00", "17:00").await;
        ids.push(d);
    }
    materialize(pool).await;
    ids
}

/// Books `start` for a new patient with `doctor` (the others' slots taken away for the moment).
async fn visit_with(
    pool: &PgPool,
    n: usize,
    doctor: i64,
    start: chrono::DateTime<chrono::Utc>,
    kind: i64,
) -> (i64, i64) {
    let patient = add_patient(pool, n).await;
    // Only `doctor` is offered while this visit is booked.
    sqlx::query("update availability_slots set status = 'blocked' where doctor_id <> $1 and status = 'free'")
        .bind(doctor)
        .execute(pool)
        .await
        .unwrap();
    let booked = book(pool, &patient, start, kind).await.unwrap();
    sqlx::query("update availability_slots set status = 'free' where status = 'blocked'")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(booked.doctor_id, doctor);
    (booked.appointment_id, patient_id(&patient))
}

async fn run(pool: &PgPool, affected: &[(i64, i64)]) -> reassignment::Outcome {
    let mut tx = pool.begin().await.unwrap();
    let outcome = reassignment::reassign_appointments(
        &mut tx,
        &policy(),
        Actor::SYSTEM,
        affected,
        Cause::DoctorBlocked,
        now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    outcome
}

async fn doctor_of(
    pool: &PgPool,
    appointment_id: i64,
) -> (i64, chrono::DateTime<chrono::Utc>, i32) {
    sqlx::query_as(
        "select doctor_id, start_time, change_count from appointments where appointment_id = $1",
    )
    .bind(appointment_id)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_visit_moves_to_a_free_doctor_at_the_same_time_or_waits_for_staff(pool: PgPool) {
    let d = doctors(&pool, 3).await;
    let movable = visit_with(&pool, 1, d[0], ny(6, 10, 0), STANDARD).await;
    // Inside the 24-hour freeze: always for staff, even with doctors free.
    let soon = visit_with(&pool, 2, d[0], ny(4, 15, 0), STANDARD).await;
    // Everyone else is busy at 11:00.
    let crowded = visit_with(&pool, 3, d[0], ny(6, 11, 0), STANDARD).await;
    visit_with(&pool, 4, d[1], ny(6, 11, 0), STANDARD).await;
    visit_with(&pool, 5, d[2], ny(6, 11, 0), STANDARD).await;

    // The booking confirmations went out already (otherwise the next message merges
    // into them, as the outbox debounces changes).
    sqlx::query("update notifications set status = 'sent', sent_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    let outcome = run(&pool, &[movable, soon, crowded]).await;
    assert_eq!((outcome.moved, outcome.queued), (1, 2));

    let (doctor, start, changes) = doctor_of(&pool, movable.0).await;
    assert_ne!(doctor, d[0], "another doctor");
    assert_eq!(start, ny(6, 10, 0), "the patient keeps their time");
    assert_eq!(changes, 0, "not a change the patient made");
    let events: i64 = sqlx::query_scalar(
        "select count(*) from appointment_events where appointment_id = $1 and kind = 'reassigned'",
    )
    .bind(movable.0)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(events, 1);
    let told: String = sqlx::query_scalar("select kind from notifications where appointment_id = $1 order by notification_id desc limit 1")
        .bind(movable.0)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(told, "appointment_reassigned");

    let queued: Vec<i64> = sqlx::query_scalar("select appointment_id from attention_items where resolved_at is null order by appointment_id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(queued, vec![soon.0, crowded.0]);
    // Queued visits keep their doctor and slots.
    assert_eq!(doctor_of(&pool, soon.0).await.0, d[0]);
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_long_visit_needs_both_slots_free_at_the_other_doctor(pool: PgPool) {
    let d = doctors(&pool, 2).await;
    let long = visit_with(&pool, 1, d[0], ny(6, 10, 0), LONG).await;
    // The other doctor is free at 10:00 but not at 10:30.
    visit_with(&pool, 2, d[1], ny(6, 10, 30), STANDARD).await;
    assert_eq!(run(&pool, &[long]).await.queued, 1);
    assert_eq!(doctor_of(&pool, long.0).await.0, d[0]);

    let long_later = visit_with(&pool, 3, d[0], ny(6, 14, 0), LONG).await;
    let outcome = run(&pool, &[long_later]).await;
    assert_eq!(outcome.moved, 1);
    assert_eq!(doctor_of(&pool, long_later.0).await.0, d[1]);
    let slots: i64 = sqlx::query_scalar(
        "select count(*) from appointment_slots l join availability_slots s using (slot_id)
         where l.appointment_id = $1 and s.doctor_id = $2 and s.status = 'booked'",
    )
    .bind(long_later.0)
    .bind(d[1])
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(slots, 2, "both of the new doctor's slots");
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn shorter_hours_move_a_booked_visit_and_stop_offering_its_old_time(pool: PgPool) {
    let d = doctors(&pool, 2).await;
    let late = visit_with(&pool, 1, d[0], ny(6, 16, 0), STANDARD).await;
    let hours: Vec<domain::schedule::WeeklyInterval> = (1..=7)
        .map(|n| domain::schedule::WeeklyInterval {
            weekday: chrono::Weekday::try_from(n as u8 - 1).unwrap(),
            start: time("09:00"),
            end: time("15:00"),
            effective_from: chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
            effective_until: None,
        })
        .collect();
    let outcome =
        app::services::schedule::replace_weekly_hours(&pool, &policy(), d[0], &hours, now())
            .await
            .unwrap();
    assert_eq!((outcome.moved, outcome.queued), (1, 0));
    assert_eq!(doctor_of(&pool, late.0).await.0, d[1]);
    let offered = db::slots::open_slots_between(&pool, ny(6, 15, 0), ny(6, 17, 0), now(), None)
        .await
        .unwrap();
    assert!(offered.iter().all(|s| s.doctor_id == d[1]), "{offered:?}");
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}
