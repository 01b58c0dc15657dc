//! A doctor blocks time or takes leave: the time stops being offered at once; visits in
//! it move to a free doctor or wait for staff; the preview says exactly that beforehand.

mod common;

use app::services::blocks::{self, Block};
use app::services::reassignment::Actor;
use chrono::Duration;
use common::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::task::JoinSet;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

async fn doctors(pool: &PgPool, n: usize) -> Vec<i64> {
    nine_to_five_doctors(pool, "B", n).await
}

fn doctor_actor() -> Actor {
    Actor {
        user_id: None,
        role: "doctor",
    }
}

async fn status_count(
    pool: &PgPool,
    doctor: i64,
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    status: &str,
) -> i64 {
    sqlx::query_scalar(
        "select count(*) from availability_slots where doctor_id = $1 and start_time >= $2 and start_time < $3 and status = $4",
    )
    .bind(doctor)
    .bind(from)
    .bind(to)
    .bind(status)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_block_over_booked_visits_moves_or_queues_them_as_previewed(pool: PgPool) {
    let d = doctors(&pool, 2).await;
    // Give every visit to the first doctor: the second is busy meanwhile only at 11:00.
    let mut visits = Vec::new();
    for (i, start) in [ny(4, 15, 0), ny(6, 10, 0), ny(6, 11, 0)]
        .into_iter()
        .enumerate()
    {
        sqlx::query("update availability_slots set status = 'blocked' where doctor_id = $1 and start_time = $2")
            .bind(d[1])
            .bind(start)
            .execute(&pool)
            .await
            .unwrap();
        let patient = add_patient(&pool, i).await;
        visits.push(book(&pool, &patient, start, STANDARD).await.unwrap());
    }
    // The second doctor frees 15:00 and 10:00 again, stays busy at 11:00.
    sqlx::query("update availability_slots set status = 'free' where doctor_id = $1 and start_time <> $2 and status = 'blocked'")
        .bind(d[1])
        .bind(ny(6, 11, 0))
        .execute(&pool)
        .await
        .unwrap();
    let leave = Block {
        doctor_id: d[0],
        from: ny(4, 9, 0),
        to: ny(7, 0, 0),
        leave: true,
        note: Some("Conference".into()),
    };
    let policy = policy();
    let preview = blocks::preview(&pool, &policy, doctor_actor(), &leave, now())
        .await
        .unwrap();
    // 15:00 today is inside the freeze; 10:00 on the 6th can move; 11:00 nobody is free.
    assert_eq!((preview.moved, preview.queued), (1, 2));
    assert_eq!(
        status_count(&pool, d[0], ny(4, 9, 0), ny(7, 0, 0), "blocked").await,
        0,
        "the preview changed nothing"
    );

    let done = blocks::block(&pool, &policy, doctor_actor(), &leave, now())
        .await
        .unwrap();
    assert_eq!(done, preview, "the preview said what confirming does");
    // Nothing of the first doctor is offered in the range any more.
    assert_eq!(
        status_count(&pool, d[0], now(), ny(7, 0, 0), "free").await,
        0
    );
    let moved_to: i64 =
        sqlx::query_scalar("select doctor_id from appointments where appointment_id = $1")
            .bind(visits[1].appointment_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(moved_to, d[1]);
    let note: String = sqlx::query_scalar(
        "select block_note from availability_slots where doctor_id = $1 and start_time = $2",
    )
    .bind(d[0])
    .bind(ny(6, 10, 0))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        note, "Conference",
        "the moved visit's old time is blocked too"
    );
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());

    // Unblocking frees the time again (queued visits keep their booked slots).
    let freed = blocks::unblock(&pool, d[0], ny(6, 9, 0), ny(6, 17, 0), now())
        .await
        .unwrap();
    assert_eq!(freed, 15, "16 slots on the 6th less the queued 11:00 visit");
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

/// While a doctor blocks a day, thirty patients book times on that day at once.
#[sqlx::test(migrator = "MIGRATOR")]
async fn blocking_a_day_during_a_booking_rush_leaves_nobody_on_blocked_time(
    _: PgPoolOptions,
    opts: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(40)
        .connect_with(opts)
        .await
        .unwrap();
    let d = doctors(&pool, 3).await;
    let mut patients = Vec::new();
    for i in 0..30 {
        patients.push(add_patient(&pool, i).await);
    }
    let day = Block {
        doctor_id: d[0],
        from: ny(6, 0, 0),
        to: ny(7, 0, 0),
        leave: true,
        note: None,
    };
    let mut tasks = JoinSet::new();
    for (i, patient) in patients.into_iter().enumerate() {
        let pool = pool.clone();
        tasks.spawn(async move {
            let start = ny(6, 9, 0) + Duration::minutes(30 * (i as i64 % 12));
            book(&pool, &patient, start, STANDARD)
                .await
                .map(|a| a.doctor_id)
        });
    }
    let blocker = {
        let (pool, day) = (pool.clone(), day.clone());
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            blocks::block(&pool, &policy(), doctor_actor(), &day, now()).await
        })
    };
    let mut results = std::collections::BTreeMap::<String, u32>::new();
    while let Some(joined) = tasks.join_next().await {
        let key = match joined.unwrap() {
            Ok(doctor) => format!(
                "booked with {}",
                if doctor == d[0] {
                    "the blocked doctor"
                } else {
                    "another"
                }
            ),
            Err(e) => format!("{e:?}").chars().take(40).collect(),
        };
        *results.entry(key).or_default() += 1;
    }
    println!("rush: {results:?}");
    let outcome = blocker.await.unwrap().unwrap();
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
    // Every live visit the first doctor still has that day waits for staff.
    let unhandled: i64 = sqlx::query_scalar(
        "select count(*) from appointments a
         where a.doctor_id = $1 and a.status = 'booked' and a.start_time >= $2 and a.start_time < $3
           and not exists (select 1 from attention_items i where i.appointment_id = a.appointment_id and i.resolved_at is null)",
    )
    .bind(d[0])
    .bind(day.from)
    .bind(day.to)
    .fetch_one(&pool)
    .await
    .unwrap();
    let total: i64 = sqlx::query_scalar(
        "select count(*) from appointments where doctor_id = $1 and status = 'booked'",
    )
    .bind(d[0])
    .fetch_one(&pool)
    .await
    .unwrap();
    println!("rush: {total} visits with the blocked doctor, outcome {outcome:?}");
    assert_eq!(unhandled, 0, "outcome {outcome:?}");
    assert_eq!(status_count(&pool, d[0], day.from, day.to, "free").await, 0);
    assert_eq!(status_count(&pool, d[0], day.from, day.to, "held").await, 0);
}
