//! The one way pages and services read availability: from this instance's in-memory
//! index of open slots when it is warm, else from PostgreSQL through the pure rule in
//! `domain::availability`. Both answer the same (a property test holds them to it).
//!
//! The index (`domain::slot_index`) is built at start-up and kept current by PostgreSQL
//! `LISTEN/NOTIFY` (migration 013: a change to a doctor's slots or their `active` flag
//! notifies `doctor:<id>`, a new slot length or time zone `all`; migration 016: a slot
//! change names its span, `doctor:<id>:<from>:<to>`, and only those days are reloaded);
//! every instance reloads what it is told, so several instances on one database agree within moments. A lost
//! listener connection reconnects and rebuilds everything; a periodic reconciliation
//! rebuilds from the database and counts (and logs) any doctor-day that had drifted.
//! Booking stays authoritative in the database: a stale index can at worst offer a time
//! the booking then refuses, with fresh alternatives. A read that must see a change just
//! committed first waits for it with [`AvailabilityIndex::catch_up`] (payload
//! `barrier:<instance tag>:<n>` on the same channel).
//!
//! The same listener keeps [`AvailabilityIndex::settings`] current: the clinic's policy,
//! profile and appointment types, which the finder and every page read (migration 014
//! notifies 'settings'). Bookings read the policy from the database.
//!
//! The index itself is `index.rs`; how it follows the database, `listener.rs`; the reads
//! that pick the index or the database, below.

mod index;
mod listener;

pub use index::{AvailabilityIndex, IndexStats, Settings};

use chrono::{DateTime, Duration, Utc};
use domain::availability::{open_start_times, BookingWindow, OpenTime};
use domain::visit_type::Need;
use domain::ClinicPolicy;
use sqlx::PgPool;

use crate::db;

/// Open start times in `[from, to)` for what `need` asks (its run of slots among its
/// doctors), limited to what a patient may book at `now` (minimum notice, horizon): from
/// `index` when it can answer, else from the database.
pub async fn open_times_from(
    index: &AvailabilityIndex,
    pool: &PgPool,
    policy: &ClinicPolicy,
    need: &Need,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<OpenTime>, sqlx::Error> {
    let (from_c, to_c) = BookingWindow::for_patients(policy, now).clamp(from, to);
    if from_c >= to_c || !need.anyone() {
        return Ok(Vec::new());
    }
    let k = need.slots() as usize;
    match index.answer(policy, |i| {
        i.open_times_of(need.doctors(), k, from_c, to_c, now)
    }) {
        Some(times) => Ok(times),
        None => open_times(pool, policy, need, from, to, now).await,
    }
}

/// The first open start time from `now` to the horizon (the finder's "Next available").
pub async fn next_available_from(
    index: &AvailabilityIndex,
    pool: &PgPool,
    policy: &ClinicPolicy,
    need: &Need,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let (from, to) =
        BookingWindow::for_patients(policy, now).clamp(now, now + policy.booking_horizon());
    if from >= to || !need.anyone() {
        return Ok(None);
    }
    let k = need.slots() as usize;
    match index.answer(policy, |i| {
        i.first_open_of(need.doctors(), k, from, to, now)
    }) {
        Some(first) => Ok(first),
        None => Ok(open_times(pool, policy, need, from, to, now)
            .await?
            .first()
            .map(|o| o.start)),
    }
}

/// Open start times in `[from, to)` for what `need` asks, limited to what a patient may
/// book at `now` (minimum notice, horizon), asking PostgreSQL.
pub async fn open_times(
    pool: &PgPool,
    policy: &ClinicPolicy,
    need: &Need,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<OpenTime>, sqlx::Error> {
    let (from, to) = BookingWindow::for_patients(policy, now).clamp(from, to);
    if from >= to || !need.anyone() {
        return Ok(Vec::new());
    }
    // Slots of a long appointment may start up to its length after `to`.
    let reach = policy.slot_length() * need.slots();
    let free =
        db::slots::open_slots_between(pool, from, to + reach, now, need.among.as_deref()).await?;
    Ok(open_start_times(&free, need.slots() as usize, from, to))
}

/// Up to `limit` open start times nearest to `around` (within three days either side),
/// in time order: what we offer when the chosen time is gone (from `index` when it can
/// answer).
pub async fn nearest_open_times(
    index: &AvailabilityIndex,
    pool: &PgPool,
    policy: &ClinicPolicy,
    need: &Need,
    around: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
    let span = Duration::days(3);
    let mut times: Vec<DateTime<Utc>> =
        open_times_from(index, pool, policy, need, around - span, around + span, now)
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
