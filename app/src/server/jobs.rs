//! Running background jobs safely with N server instances: each run takes a PostgreSQL
//! advisory lock (another instance already running it → this one skips), and every run
//! is recorded in `job_runs` (start, duration, outcome) and in the logs.

use std::future::Future;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Ran; the detail says what it did.
    Ran(String),
    /// Another instance holds the job's lock.
    Skipped,
    Failed(String),
}

/// Runs `job` under the advisory lock named `name`, recording the run. `record_idle`
/// false skips recording runs whose detail is empty (a frequent job that found nothing).
pub async fn run_exclusive<F, Fut>(
    pool: &PgPool,
    name: &'static str,
    record_idle: bool,
    job: F,
) -> Result<JobOutcome, sqlx::Error>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, String>>,
{
    // A session-level lock on a dedicated connection: released when we unlock, or when
    // the connection closes if this process dies.
    let mut lock_conn = pool.acquire().await?;
    let locked: bool =
        sqlx::query_scalar("select pg_try_advisory_lock(hashtext('clinic-job:' || $1))")
            .bind(name)
            .fetch_one(&mut *lock_conn)
            .await?;
    if !locked {
        return Ok(JobOutcome::Skipped);
    }
    let started = Utc::now();
    let clock = std::time::Instant::now();
    let result = job().await;
    let duration_ms = clock.elapsed().as_millis() as i64;
    let _ = sqlx::query("select pg_advisory_unlock(hashtext('clinic-job:' || $1))")
        .bind(name)
        .execute(&mut *lock_conn)
        .await;
    drop(lock_conn);

    let (outcome, detail) = match &result {
        Ok(detail) => ("ok", detail.clone()),
        Err(error) => ("failed", error.clone()),
    };
    match &result {
        Ok(detail) if !detail.is_empty() => {
            tracing::info!(job = name, duration_ms, detail = %detail, "job ran")
        }
        Ok(_) => tracing::debug!(job = name, duration_ms, "job ran"),
        Err(error) => tracing::warn!(job = name, duration_ms, error = %error, "job failed"),
    }
    if record_idle || result.is_err() || !detail.is_empty() {
        record(pool, name, started, duration_ms, outcome, &detail).await?;
    }
    Ok(match result {
        Ok(detail) => JobOutcome::Ran(detail),
        Err(error) => JobOutcome::Failed(error),
    })
}

/// Records one run of a job in `job_runs`.
pub async fn record(
    pool: &PgPool,
    job: &str,
    started: DateTime<Utc>,
    duration_ms: i64,
    outcome: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    let detail: String = detail.chars().take(1000).collect();
    sqlx::query(
        "insert into job_runs (job, started_at, finished_at, duration_ms, outcome, detail)
         values ($1, $2, $2 + make_interval(secs => $3::double precision / 1000), $3, $4, nullif($5, ''))",
    )
    .bind(job)
    .bind(started)
    .bind(duration_ms)
    .bind(outcome)
    .bind(detail)
    .execute(pool)
    .await?;
    Ok(())
}

/// The last run of each job, for operators and the staff portal.
pub async fn last_runs(
    pool: &PgPool,
) -> Result<Vec<(String, DateTime<Utc>, i64, String, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "select distinct on (job) job, started_at, duration_ms, outcome, detail
         from job_runs order by job, started_at desc",
    )
    .fetch_all(pool)
    .await
}
