//! Stopping the server lets the delivery worker finish the message it is sending: it is
//! recorded as sent, not left claimed (to be sent a second time once the claim lapsed).
//! And the background jobs' runner: one instance at a time, every run recorded.

mod common;
#[path = "../../app/tests/common/smtp.rs"]
mod smtp;

use std::time::{Duration, Instant};

use common::*;
use domain::role::Role;
use server::jobs::{run_exclusive, JobOutcome};
use sqlx::PgPool;

type M = sqlx::migrate::Migrator;
static MIGRATOR: &M = &app::db::MIGRATOR;

async fn status_of(pool: &PgPool, id: i64) -> String {
    sqlx::query_scalar("select status from notifications where notification_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn shutting_down_finishes_the_message_being_sent(pool: PgPool) {
    // A booking queues its confirmation.
    let base = spawn_app(pool.clone()).await;
    let doctor = create_person(&pool, Role::Doctor, "Stopdoc").await;
    daily_hours_and_slots(&pool, &[&doctor], "09:00", "17:00").await;
    let patient = create_person(&pool, Role::Patient, "Stoppat").await;
    let start = first_free_time_after_a_day(&pool).await;
    let c = client();
    log_in(&c, &base, &patient.email).await;
    let (status, hold) = json(
        call(
            &c,
            &base,
            "hold_time",
            &[("start", &start.to_rfc3339()), ("appointment_type_id", "1")],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{hold}");
    let (status, booked) = json(
        call(
            &c,
            &base,
            "confirm_booking",
            &[
                ("hold", hold["token"].as_str().unwrap()),
                ("idempotency_key", hold["idempotency_key"].as_str().unwrap()),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{booked}");
    let message: i64 = sqlx::query_scalar(
        "select notification_id from notifications where channel = 'email' and status = 'pending'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    // Due now (a confirmation waits out the clinic's debounce first).
    sqlx::query("update notifications set next_attempt_at = now() where notification_id = $1")
        .bind(message)
        .execute(&pool)
        .await
        .unwrap();

    // An SMTP server that takes 1.5 s to accept each message; the worker starts sending.
    let sink = smtp::SmtpSink::start_on(0, Duration::from_millis(1500)).await;
    let config = test_config(&[("CLINIC_SMTP_URL", &sink.url())]);
    let channels = server::notifications::channels(&config).unwrap();
    let jobs = server::jobs::spawn(pool.clone(), channels);
    let started = Instant::now();
    while status_of(&pool, message).await != "sending" {
        assert!(started.elapsed() < Duration::from_secs(10), "never claimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Stopping now waits for the message in flight, which ends up sent, once.
    jobs.shutdown(Duration::from_secs(10)).await;
    assert_eq!(status_of(&pool, message).await, "sent");
    assert_eq!(sink.messages().len(), 1);
}

#[sqlx::test(migrator = "MIGRATOR")]
async fn a_job_runs_on_one_instance_at_a_time_and_is_recorded(pool: PgPool) {
    let job = || async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok("did the work".to_owned())
    };
    let (a, b) = tokio::join!(
        run_exclusive(&pool, "test-job", true, job),
        run_exclusive(&pool, "test-job", true, job)
    );
    let mut outcomes = [a.unwrap(), b.unwrap()];
    outcomes.sort_by_key(|o| matches!(o, JobOutcome::Skipped));
    assert_eq!(
        outcomes,
        [JobOutcome::Ran("did the work".into()), JobOutcome::Skipped]
    );
    let runs: Vec<(String, String, Option<String>, i64)> =
        sqlx::query_as("select job, outcome, detail, duration_ms from job_runs")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (runs[0].0.as_str(), runs[0].1.as_str(), runs[0].2.as_deref()),
        ("test-job", "ok", Some("did the work"))
    );
    assert!(runs[0].3 >= 300);
    // Later runs take the lock again.
    let failing = run_exclusive(&pool, "test-job", true, || async { Err("boom".to_owned()) })
        .await
        .unwrap();
    assert_eq!(failing, JobOutcome::Failed("boom".into()));
}
