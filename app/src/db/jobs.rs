//! Scheduled jobs' advisory locks and their record (`job_runs`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// Takes the session-level advisory lock of job `name` on `conn`; false when another
/// session holds it.
pub async fn try_lock(conn: &mut PgConnection, name: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select pg_try_advisory_lock(hashtext('clinic-job:' || $1))")
        .bind(name)
        .fetch_one(conn)
        .await
}

pub async fn unlock(conn: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_advisory_unlock(hashtext('clinic-job:' || $1))")
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records one run of a job.
pub async fn record_run(
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

/// Deletes job records older than 30 days; how many.
pub async fn prune_runs(pool: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from job_runs where started_at < now() - interval '30 days'")
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// For each job run in the last 7 days: seconds since its last success (if any) and
/// since its last run.
pub async fn seconds_since_runs(
    pool: &PgPool,
) -> Result<Vec<(String, Option<f64>, f64)>, sqlx::Error> {
    sqlx::query_as(
        "select job,
                extract(epoch from now() - max(finished_at) filter (where outcome = 'ok'))::float8,
                extract(epoch from now() - max(finished_at))::float8
           from job_runs where started_at > now() - interval '7 days'
          group by job order by job",
    )
    .fetch_all(pool)
    .await
}
