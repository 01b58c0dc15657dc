//! Running background jobs safely with N server instances: each run takes a PostgreSQL
//! advisory lock (another instance already running it → this one skips), and every run
//! is recorded in `job_runs` (start, duration, outcome) and in the logs.

use std::future::Future;

use chrono::Utc;
use sqlx::PgPool;

use crate::server::db;

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
    let locked = db::jobs::try_lock(&mut lock_conn, name).await?;
    if !locked {
        return Ok(JobOutcome::Skipped);
    }
    let started = Utc::now();
    let clock = std::time::Instant::now();
    let result = job().await;
    let duration_ms = clock.elapsed().as_millis() as i64;
    let _ = db::jobs::unlock(&mut lock_conn, name).await;
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
        db::jobs::record_run(pool, name, started, duration_ms, outcome, &detail).await?;
    }
    Ok(match result {
        Ok(detail) => JobOutcome::Ran(detail),
        Err(error) => JobOutcome::Failed(error),
    })
}
