//! Background work inside the server process. Scheduled jobs run under a PostgreSQL
//! advisory lock (with N instances exactly one runs each tick) and are recorded in
//! `job_runs`; the notification worker runs on every instance, since claims with
//! `SKIP LOCKED` already keep workers apart.

use std::future::Future;
use std::time::Duration;

use app::db;
use app::services::notify::channels::Channels;
use app::services::notify::deliver::{deliver_due, queue_reminders};
use app::services::schedule;
use chrono::Utc;
use sqlx::PgPool;
use tokio::task::JoinHandle;

const DELIVER_EVERY: Duration = Duration::from_secs(3);
/// The waitlist engine looks for freed times this often: an offer goes out within about
/// a second of the commit that freed its time (and its message with the next delivery).
const WAITLIST_EVERY: Duration = Duration::from_secs(1);
const DELIVERY_BATCH: i64 = 20;

pub struct Jobs {
    scheduled: Vec<JoinHandle<()>>,
    delivery: JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Jobs {
    /// Stops the scheduled jobs at once (a job cut short rolls back and runs again next
    /// time) and lets the delivery worker finish the batch it is sending, so no message
    /// is left claimed but unrecorded (it would be sent again after its claim lapsed).
    /// Gives up waiting after `within`.
    pub async fn shutdown(self, within: Duration) {
        for handle in self.scheduled {
            handle.abort();
        }
        let _ = self.stop.send(true);
        let delivery = self.delivery.abort_handle();
        if tokio::time::timeout(within, self.delivery).await.is_err() {
            tracing::warn!(
                waited_s = within.as_secs(),
                "the delivery worker did not finish in time; stopping it"
            );
            delivery.abort();
        }
    }
}

/// The scheduled jobs' pools: `work` for what they do, `locks` for their advisory locks
/// only. A job holds its lock connection while it waits for working ones; with every job
/// starting at once, locks taken from the working pool could take all of it (each job
/// then waiting for a connection only another can give back).
#[derive(Clone)]
struct JobPools {
    work: PgPool,
    locks: PgPool,
}

impl JobPools {
    fn new(work: &PgPool, jobs: u32) -> Self {
        let locks = sqlx::postgres::PgPoolOptions::new()
            .max_connections(jobs)
            .acquire_timeout(Duration::from_secs(30))
            .connect_lazy_with((*work.connect_options()).clone());
        Self {
            work: work.clone(),
            locks,
        }
    }
}

/// Runs `job` every `period` (first run at once) under its advisory lock.
fn every<F, Fut>(pools: &JobPools, name: &'static str, period: Duration, job: F) -> JoinHandle<()>
where
    F: Fn(PgPool) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<String, String>> + Send,
{
    every_recording(pools, name, period, true, job)
}

/// [`every`], recording only runs that did something when `record_idle` is false (a
/// frequent job that mostly finds nothing).
fn every_recording<F, Fut>(
    pools: &JobPools,
    name: &'static str,
    period: Duration,
    record_idle: bool,
    job: F,
) -> JoinHandle<()>
where
    F: Fn(PgPool) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<String, String>> + Send,
{
    let JobPools { work: pool, locks } = pools.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let run = run_exclusive_on(&locks, &pool, name, record_idle, || job(pool.clone()));
            if let Err(err) = run.await {
                tracing::warn!(job = name, error = %err, "job could not run");
            }
        }
    })
}

/// How many jobs `spawn` schedules (each may hold one lock connection).
const SCHEDULED_JOBS: u32 = 5;

fn text<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

pub fn spawn(pool: PgPool, channels: Channels) -> Jobs {
    let pools = JobPools::new(&pool, SCHEDULED_JOBS);
    let scheduled = vec![
        every_recording(
            &pools,
            "waitlist-offers",
            WAITLIST_EVERY,
            false,
            |pool| async move {
                let report = app::services::waitlist::engine::run(&pool, Utc::now())
                    .await
                    .map_err(text)?;
                Ok(report.summary())
            },
        ),
        every(
            &pools,
            "release-expired-holds",
            Duration::from_secs(60),
            |pool| async move {
                let n = db::slots::release_expired_holds(&pool, Utc::now())
                    .await
                    .map_err(text)?;
                Ok(format!("{n} holds released"))
            },
        ),
        every(
            &pools,
            "queue-reminders",
            Duration::from_secs(60),
            |pool| async move {
                let policy = db::settings::clinic_policy(&pool).await.map_err(text)?;
                let n = queue_reminders(&pool, policy.reminder_lead(), Utc::now())
                    .await
                    .map_err(text)?;
                Ok(format!("{n} reminders queued"))
            },
        ),
        every(
            &pools,
            "materialize-slots",
            Duration::from_secs(24 * 60 * 60),
            |pool| async move {
                let policy = db::settings::clinic_policy(&pool).await.map_err(text)?;
                let r = schedule::materialize_slots(&pool, &policy, Utc::now())
                    .await
                    .map_err(text)?;
                Ok(format!(
                    "{} doctors: {} slots added, {} removed",
                    r.doctors, r.inserted, r.removed
                ))
            },
        ),
        every(
            &pools,
            "delete-expired-sessions",
            Duration::from_secs(60 * 60),
            |pool| async move {
                use tower_sessions::session_store::ExpiredDeletion;
                tower_sessions_sqlx_store::PostgresStore::new(pool.clone())
                    .delete_expired()
                    .await
                    .map_err(text)?;
                let pruned = db::jobs::prune_runs(&pool).await.map_err(text)?;
                // Throttling looks back 15 minutes; a day of attempts is plenty to investigate.
                let attempts = db::users::prune_login_attempts(&pool).await.map_err(text)?;
                // Visit links die when their visit starts; texts repeat within minutes.
                let now = Utc::now();
                let mut conn = pool.acquire().await.map_err(text)?;
                let links = db::visit_links::prune(&mut conn, now - chrono::Duration::days(1))
                    .await
                    .map_err(text)?;
                let texts = db::sms::prune(
                    &mut conn,
                    now - chrono::Duration::days(1),
                    now - chrono::Duration::hours(1),
                )
                .await
                .map_err(text)?;
                Ok(format!(
                    "expired sessions deleted; {pruned} old job records, {attempts} old sign-in attempts, {links} spent visit links and {texts} old text records pruned"
                ))
            },
        ),
    ];
    let (stop, mut stopping) = tokio::sync::watch::channel(false);
    let delivery = tokio::spawn(async move {
        let mut tick = tokio::time::interval(DELIVER_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopping.changed() => return,
            }
            // Drain: keep going while full batches come back (a batch once started is
            // finished; shutting down stops between batches).
            loop {
                if *stopping.borrow() {
                    return;
                }
                let started = Utc::now();
                let clock = std::time::Instant::now();
                match deliver_due(&pool, &channels, started, DELIVERY_BATCH).await {
                    Ok(report) if report.handled() > 0 => {
                        let detail = format!(
                            "{} sent, {} retrying, {} dead, {} superseded",
                            report.sent, report.retrying, report.dead, report.superseded
                        );
                        tracing::info!(detail = %detail, "notifications delivered");
                        let ms = clock.elapsed().as_millis() as i64;
                        let _ = db::jobs::record_run(
                            &pool,
                            "deliver-notifications",
                            started,
                            ms,
                            "ok",
                            &detail,
                        )
                        .await;
                        if i64::from(report.handled()) < DELIVERY_BATCH {
                            break;
                        }
                    }
                    Ok(_) => break,
                    Err(err) => {
                        tracing::warn!(error = %err, "notification delivery failed");
                        break;
                    }
                }
            }
        }
    });
    Jobs {
        scheduled,
        delivery,
        stop,
    }
}

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
    run_exclusive_on(pool, pool, name, record_idle, job).await
}

/// [`run_exclusive`] with the lock's connection taken from `locks`.
async fn run_exclusive_on<F, Fut>(
    locks: &PgPool,
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
    let mut lock_conn = locks.acquire().await?;
    let locked = app::db::jobs::try_lock(&mut lock_conn, name).await?;
    if !locked {
        return Ok(JobOutcome::Skipped);
    }
    let started = Utc::now();
    let clock = std::time::Instant::now();
    let result = job().await;
    let duration_ms = clock.elapsed().as_millis() as i64;
    let _ = app::db::jobs::unlock(&mut lock_conn, name).await;
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
        app::db::jobs::record_run(pool, name, started, duration_ms, outcome, &detail).await?;
    }
    Ok(match result {
        Ok(detail) => JobOutcome::Ran(detail),
        Err(error) => JobOutcome::Failed(error),
    })
}
