//! The one way pages and services read availability. Today it asks PostgreSQL and applies
//! the pure rule in `domain::availability`; an in-memory index can replace the SQL behind
//! these functions without any caller changing.

use chrono::{DateTime, Duration, Utc};
use domain::availability::{open_start_times, BookingWindow, OpenTime};
use domain::ClinicPolicy;
use sqlx::PgPool;

use crate::server::db;

/// Open start times in `[from, to)` for an appointment of `slot_count` slots, limited to
/// what a patient may book at `now` (minimum notice, horizon).
pub async fn open_times(
    pool: &PgPool,
    policy: &ClinicPolicy,
    slot_count: usize,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<OpenTime>, sqlx::Error> {
    let (from, to) = BookingWindow::for_patients(policy, now).clamp(from, to);
    if from >= to {
        return Ok(Vec::new());
    }
    // Slots of a long appointment may start up to its length after `to`.
    let reach = policy.slot_length() * slot_count as i32;
    let free = db::slots::open_slots_between(pool, from, to + reach, now).await?;
    Ok(open_start_times(&free, slot_count, from, to))
}

/// Up to `limit` open start times nearest to `around` (within three days either side),
/// in time order: what we offer when the chosen time is gone.
pub async fn nearest_open_times(
    pool: &PgPool,
    policy: &ClinicPolicy,
    slot_count: usize,
    around: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
    let span = Duration::days(3);
    let mut times: Vec<DateTime<Utc>> =
        open_times(pool, policy, slot_count, around - span, around + span, now)
            .await?
            .into_iter()
            .map(|o| o.start)
            .filter(|t| *t != around)
            .collect();
    times.sort_by_key(|t| ((*t - around).num_seconds().abs(), *t));
    times.truncate(limit);
    times.sort();
    Ok(times)
}
