//! Concurrency proofs: many clients at once against one PostgreSQL, then an SQL check of
//! the final state. Figures are printed (run with `--nocapture` to see them).

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use app::services::booking::{self, ActingUser};
use app::AppError;
use chrono::{DateTime, Utc};
use common::*;
use domain::booking::BookingError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::task::JoinSet;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

fn outcome_name(result: &Result<&'static str, AppError>) -> String {
    match result {
        Ok(done) => (*done).to_owned(),
        Err(AppError::Booking(err)) => {
            let debug = format!("{err:?}");
            format!(
                "refused: {}",
                debug.split([' ', '{', '(']).next().unwrap_or("?")
            )
        }
        Err(other) => panic!("unexpected error under concurrency: {other:?}"),
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn fifty_patients_race_for_the_last_free_slot(
    _: PgPoolOptions,
    connect_opts: PgConnectOptions,
) {
    // A pool of our own (not a child of the test harness pool) so every task can hold a
    // connection at once, as separate server instances would.
    let pool = PgPoolOptions::new()
        .max_connections(55)
        .connect_with(connect_opts)
        .await
        .unwrap();
    for name in ["A", "B", "C"] {
        let d = add_doctor(&pool, name).await;
        add_daily_hours(&pool, d, "10:00", "11:00").await;
    }
    materialize(&pool).await;
    let t = ny(5, 10, 0);
    // Two of the three doctors are already booked at 10:00: one slot is left.
    for i in 0..2 {
        let early = add_patient(&pool, 1000 + i).await;
        book(&pool, &early, t, STANDARD).await.unwrap();
    }

    let mut patients = Vec::new();
    for i in 0..50 {
        patients.push(add_patient(&pool, i).await);
    }
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for patient in patients {
        let pool = pool.clone();
        tasks.spawn(async move {
            book(&pool, &patient, t, STANDARD)
                .await
                .map(|a| a.appointment_id)
        });
    }
    let (mut successes, mut conflicts) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        match joined.unwrap() {
            Ok(_) => successes += 1,
            Err(AppError::Booking(BookingError::SlotTaken { .. })) => conflicts += 1,
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    let took = started.elapsed();
    println!(
        "last-slot race: 50 attempts, {successes} succeeded, {conflicts} got SlotTaken, {took:?}"
    );

    assert_eq!((successes, conflicts), (1, 49));
    let live: i64 = sqlx::query_scalar(
        "select count(*) from appointments where start_time = $1 and status = 'booked'",
    )
    .bind(t)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        live, 3,
        "three doctors, three appointments at 10:00, never more"
    );
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}

/// A tiny deterministic generator, so a failure can be replayed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Book { start: usize, kind: i64 },
    Cancel,
    Reschedule { start: usize },
}

async fn run_op(
    pool: &PgPool,
    by: &ActingUser,
    starts: &[DateTime<Utc>],
    op: Op,
) -> Result<&'static str, AppError> {
    let p = policy();
    match op {
        Op::Book { start, kind } => book(pool, by, starts[start], kind).await.map(|_| "booked"),
        Op::Cancel | Op::Reschedule { .. } => {
            let mine: Option<i64> = sqlx::query_scalar(
                "select appointment_id from appointments where patient_id = $1 and status = 'booked'
                 order by appointment_id limit 1",
            )
            .bind(patient_id(by))
            .fetch_optional(pool)
            .await
            .unwrap();
            match (mine, op) {
                (None, _) => Ok("nothing to change"),
                (Some(id), Op::Cancel) => booking::cancel(pool, &p, by, id, now())
                    .await
                    .map(|_| "cancelled"),
                (Some(id), Op::Reschedule { start }) => {
                    booking::reschedule(pool, &p, by, id, starts[start], now())
                        .await
                        .map(|_| "rescheduled")
                }
                (Some(_), Op::Book { .. }) => unreachable!(),
            }
        }
    }
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn two_hundred_random_operations_keep_every_invariant(
    _: PgPoolOptions,
    connect_opts: PgConnectOptions,
) {
    // A pool of our own (not a child of the test harness pool) so every task can hold a
    // connection at once, as separate server instances would.
    let pool = PgPoolOptions::new()
        .max_connections(40)
        .connect_with(connect_opts)
        .await
        .unwrap();
    for i in 0..10 {
        let d = add_doctor(&pool, &format!("D{i}")).await;
        add_daily_hours(&pool, d, "09:00", "12:00").await;
    }
    materialize(&pool).await;
    // Twelve start times over two days: 10 doctors × 12 slots for 40 eager patients.
    let starts: Arc<Vec<DateTime<Utc>>> = Arc::new(
        [5, 6]
            .into_iter()
            .flat_map(|day| (0..6).map(move |i| ny(day, 9, 0) + chrono::Duration::minutes(30 * i)))
            .collect(),
    );
    let mut patients = Vec::new();
    for i in 0..40 {
        patients.push(Arc::new(add_patient(&pool, i).await));
    }

    let mut rng = Lcg(20261122);
    let ops: Vec<(usize, Op)> = (0..200)
        .map(|_| {
            let patient = rng.next(40) as usize;
            let op = match rng.next(10) {
                0..=5 => Op::Book {
                    start: rng.next(12) as usize,
                    kind: if rng.next(4) == 0 { LONG } else { STANDARD },
                },
                6 | 7 => Op::Cancel,
                _ => Op::Reschedule {
                    start: rng.next(12) as usize,
                },
            };
            (patient, op)
        })
        .collect();

    // Each patient is one person doing one thing at a time; the 40 of them act at once.
    let mut per_patient: Vec<Vec<Op>> = vec![Vec::new(); 40];
    for (patient, op) in ops {
        per_patient[patient].push(op);
    }
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for (patient, ops) in per_patient.into_iter().enumerate() {
        let (pool, by, starts) = (pool.clone(), patients[patient].clone(), starts.clone());
        tasks.spawn(async move {
            let mut outcomes = Vec::new();
            for op in ops {
                outcomes.push(outcome_name(&run_op(&pool, &by, &starts, op).await));
            }
            outcomes
        });
    }
    let mut tally: BTreeMap<String, u32> = BTreeMap::new();
    while let Some(outcomes) = tasks.join_next().await {
        for outcome in outcomes.unwrap() {
            *tally.entry(outcome).or_default() += 1;
        }
    }
    let took = started.elapsed();
    println!("random mix: 200 operations by 40 patients over 10 doctors in {took:?}: {tally:?}");

    assert_eq!(tally.values().sum::<u32>(), 200);
    for needed in ["booked", "cancelled", "rescheduled"] {
        assert!(
            tally.get(needed).copied().unwrap_or(0) > 0,
            "no {needed} in {tally:?}"
        );
    }
    assert!(
        tally.keys().any(|k| k.starts_with("refused")),
        "the mix should produce contention: {tally:?}"
    );
    assert_eq!(invariant_violations(&pool).await, Vec::<String>::new());
}
