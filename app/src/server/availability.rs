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

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::availability::{open_start_times, BookingWindow, OpenTime};
use domain::schedule::{local_date, local_day_bounds};
use domain::slot_index::{IndexedSlot, SlotIndex};
use domain::ClinicPolicy;
use sqlx::postgres::PgListener;
use sqlx::PgPool;

use crate::server::db;
use crate::AppError;

/// Most notifications applied together (one read for their slot changes).
const MAX_BATCH: usize = 512;

/// How often the index is compared with the database and repaired.
const RECONCILE_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// This instance's index of open slots. Cloning shares it. A default one is switched off
/// (tests and tools that build the app without [`AvailabilityIndex::start`]): readers then
/// ask PostgreSQL.
#[derive(Clone, Default)]
pub struct AvailabilityIndex {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    enabled: AtomicBool,
    index: RwLock<Option<SlotIndex>>,
    /// The clinic's policy and offered types while the listener follows the database;
    /// `settings_generation` moves on every 'settings' notification and reconnect, so a
    /// read that raced one is not kept.
    settings: RwLock<Option<Settings>>,
    settings_generation: AtomicU64,
    /// The listener is connected and listening (the settings cache is trusted only then).
    following: AtomicBool,
    /// Moves on every change applied (slots or settings): what a page cache keys on.
    changes: AtomicU64,
    rebuilds: AtomicU64,
    doctor_reloads: AtomicU64,
    drift_repairs: AtomicU64,
    task: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
    /// [`AvailabilityIndex::catch_up`]'s barriers: this instance's own tag (other
    /// instances hear its barriers too and ignore them), the last barrier sent and the
    /// last one the listener has reached.
    barrier_tag: std::sync::OnceLock<String>,
    barriers_sent: AtomicU64,
    barrier_reached: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for AvailabilityIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvailabilityIndex")
            .field("enabled", &self.is_enabled())
            .field("stats", &self.stats())
            .finish()
    }
}

/// What every page and the finder read on every request besides open times: the
/// clinic's policy, name and contacts, and the appointment types it offers (id, name,
/// slots), in display order.
#[derive(Debug, Clone)]
pub struct Settings {
    pub policy: ClinicPolicy,
    /// Name and contacts, on every page.
    pub profile: crate::wire::directory::ClinicProfile,
    pub types: Vec<(i64, String, i32)>,
}

/// Figures for operators (and the benchmark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexStats {
    pub ready: bool,
    pub doctor_days: usize,
    pub approx_bytes: usize,
    pub rebuilds: u64,
    pub doctor_reloads: u64,
    pub drift_repairs: u64,
}

impl AvailabilityIndex {
    /// Switches the index on and keeps it current in the background (see the module docs).
    pub fn start(pool: PgPool) -> Self {
        let index = Self::default();
        index.inner.enabled.store(true, Ordering::SeqCst);
        let task = tokio::spawn(index.clone().keep_current(pool)).abort_handle();
        *index
            .inner
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(task);
        index
    }

    /// Stops following the database (its listener connection closes); answers stay as
    /// they were.
    pub fn stop(&self) {
        if let Some(task) = self
            .inner
            .task
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
        self.inner.following.store(false, Ordering::SeqCst);
    }

    pub fn is_enabled(&self) -> bool {
        self.inner.enabled.load(Ordering::SeqCst)
    }

    /// Built and answering.
    pub fn is_ready(&self) -> bool {
        self.read(|i| i.is_some())
    }

    pub fn stats(&self) -> IndexStats {
        let (ready, doctor_days, approx_bytes) = self.read(|i| match i {
            Some(i) => (true, i.doctor_days(), i.approx_bytes()),
            None => (false, 0, 0),
        });
        IndexStats {
            ready,
            doctor_days,
            approx_bytes,
            rebuilds: self.inner.rebuilds.load(Ordering::Relaxed),
            doctor_reloads: self.inner.doctor_reloads.load(Ordering::Relaxed),
            drift_repairs: self.inner.drift_repairs.load(Ordering::Relaxed),
        }
    }

    fn read<T>(&self, f: impl FnOnce(Option<&SlotIndex>) -> T) -> T {
        let guard = self
            .inner
            .index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(guard.as_ref())
    }

    fn write(&self, f: impl FnOnce(&mut Option<SlotIndex>)) {
        let mut guard = self
            .inner
            .index
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard);
        self.inner.changes.fetch_add(1, Ordering::SeqCst);
    }

    /// A number that moves whenever the index or the cached settings change: something
    /// rendered from them earlier than a move is stale.
    pub fn generation(&self) -> u64 {
        self.inner.changes.load(Ordering::SeqCst)
    }

    /// Warm and following the database: its answers track every committed change.
    pub fn is_following(&self) -> bool {
        self.inner.following.load(Ordering::SeqCst) && self.is_ready()
    }

    /// The index's answer, when it is warm and built for `policy`'s grid (right after a
    /// change of slot length or time zone it is not, until rebuilt: then `None`). Only the
    /// index, never the database: the benchmark measures how soon a change reaches it.
    pub fn answer<T>(&self, policy: &ClinicPolicy, f: impl FnOnce(&SlotIndex) -> T) -> Option<T> {
        self.read(|i| {
            i.filter(|i| i.is_for(policy.time_zone(), policy.slot_length()))
                .map(f)
        })
    }

    /// The clinic's policy and offered types: cached while the index follows the database
    /// (migration 014 notifies 'settings' on any change to either), else read.
    pub async fn settings(&self, pool: &PgPool) -> Result<Settings, AppError> {
        let following = || self.inner.following.load(Ordering::SeqCst);
        let cached = following().then(|| {
            self.inner
                .settings
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
        });
        if let Some(Some(settings)) = cached {
            return Ok(settings);
        }
        let generation = self.inner.settings_generation.load(Ordering::SeqCst);
        let settings = Settings {
            policy: db::settings::clinic_policy(pool).await?,
            profile: db::settings::clinic_profile(pool).await?,
            types: db::settings::offered_types(pool).await?,
        };
        if following() {
            let mut slot = self
                .inner
                .settings
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if self.inner.settings_generation.load(Ordering::SeqCst) == generation {
                *slot = Some(settings.clone());
            }
        }
        Ok(settings)
    }

    fn forget_settings(&self) {
        let mut slot = self
            .inner
            .settings
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.inner
            .settings_generation
            .fetch_add(1, Ordering::SeqCst);
        *slot = None;
        self.inner.changes.fetch_add(1, Ordering::SeqCst);
    }

    /// Loads every open slot of the active doctors into a fresh index.
    pub async fn load(pool: &PgPool) -> Result<SlotIndex, AppError> {
        let policy = db::settings::clinic_policy(pool).await?;
        let slots = db::slots::indexable_slots(pool, None).await?;
        Ok(SlotIndex::build(
            policy.time_zone(),
            policy.slot_length(),
            &slots,
        ))
    }

    /// Rebuilds everything from the database.
    pub async fn rebuild(&self, pool: &PgPool) -> Result<(), AppError> {
        let fresh = Self::load(pool).await?;
        self.write(|i| *i = Some(fresh));
        self.inner.rebuilds.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Rebuilds from the database and counts the doctor-days that differed.
    pub async fn reconcile(&self, pool: &PgPool) -> Result<usize, AppError> {
        let fresh = Self::load(pool).await?;
        let mut drifted = 0;
        self.write(|i| {
            drifted = i.as_ref().map_or(0, |old| old.differences(&fresh));
            *i = Some(fresh);
        });
        if drifted > 0 {
            // Changes in flight while loading can count here too; a steady count means a
            // lost notification.
            self.inner
                .drift_repairs
                .fetch_add(drifted as u64, Ordering::Relaxed);
            tracing::warn!(drifted, "availability index: repaired drift");
        }
        Ok(drifted)
    }

    /// Reloads one doctor's open slots (none when inactive).
    pub async fn reload_doctor(&self, pool: &PgPool, doctor_id: i64) -> Result<(), AppError> {
        let slots = db::slots::indexable_slots(pool, Some(doctor_id)).await?;
        self.write(|i| {
            if let Some(i) = i {
                i.replace_doctor(doctor_id, &slots);
            }
        });
        self.inner.doctor_reloads.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Reloads, for each (doctor, from, to), that doctor's open slots on the clinic days
    /// `[from, to)` touches — what slot changes' notifications name (migration 016) — in
    /// one read on `conn`.
    pub async fn reload_spans<'c>(
        &self,
        conn: impl sqlx::PgExecutor<'c>,
        spans: &[(i64, DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<(), AppError> {
        if spans.is_empty() {
            return Ok(());
        }
        // The index's own days (its zone), so each reload covers whole days of it.
        let Some(tz) = self.read(|i| i.map(SlotIndex::time_zone)) else {
            return Ok(());
        };
        let days: Vec<(i64, NaiveDate, NaiveDate)> = spans
            .iter()
            .map(|&(doctor_id, from, to)| {
                let last = (to - Duration::seconds(1)).max(from);
                (doctor_id, local_date(tz, from), local_date(tz, last))
            })
            .collect();
        let reads: Vec<_> = days
            .iter()
            .map(|&(doctor_id, first, last)| {
                (
                    doctor_id,
                    local_day_bounds(tz, first).0,
                    local_day_bounds(tz, last).1,
                )
            })
            .collect();
        let slots = db::slots::indexable_slots_in_spans(conn, &reads).await?;
        let mut by_doctor: HashMap<i64, Vec<IndexedSlot>> = HashMap::new();
        for s in slots {
            by_doctor.entry(s.doctor_id).or_default().push(s);
        }
        self.write(|i| {
            // A rebuild for another zone in between: it read everything afresh.
            if let Some(i) = i.as_mut().filter(|i| i.time_zone() == tz) {
                for &(doctor_id, first, last) in &days {
                    let slots = by_doctor.get(&doctor_id).map_or(&[][..], Vec::as_slice);
                    i.replace_doctor_days(doctor_id, first, last, slots);
                }
            }
        });
        self.inner
            .doctor_reloads
            .fetch_add(spans.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Applies notifications received together, in order. Runs of slot changes are read
    /// in one query on the listener's own connection: under booking load the pool's
    /// connections are all busy with requests, and the index must not queue behind them.
    async fn apply_all(
        &self,
        listener: &mut PgListener,
        pool: &PgPool,
        payloads: Vec<String>,
    ) -> Result<(), AppError> {
        let mut spans = Vec::new();
        for payload in payloads {
            if let Some(Some((doctor_id, Some((from, to))))) =
                payload.strip_prefix("doctor:").map(parse_doctor_change)
            {
                spans.push((doctor_id, from, to));
                continue;
            }
            // Anything else (a barrier above all) comes after the changes before it.
            self.reload_spans(&mut *listener, &std::mem::take(&mut spans))
                .await?;
            self.apply(pool, &payload).await?;
        }
        self.reload_spans(&mut *listener, &spans).await
    }

    fn barrier_tag(&self) -> &str {
        self.inner
            .barrier_tag
            .get_or_init(|| uuid::Uuid::new_v4().simple().to_string())
    }

    /// Waits until every change committed before this call is in the index, for a read
    /// that must see what was just written (possibly by another instance): staff
    /// suggestions right after a holiday, say. A barrier through the listener:
    /// PostgreSQL delivers notifications in commit order, and the listener applies them
    /// one by one, so once it reaches this call's own notification everything committed
    /// earlier has been applied. False when the index is not following the database or
    /// did not get there `within`: the caller then reads the database.
    pub async fn catch_up(&self, pool: &PgPool, within: std::time::Duration) -> bool {
        if !self.is_enabled() || !self.inner.following.load(Ordering::SeqCst) {
            return false;
        }
        let mut reached = self.inner.barrier_reached.subscribe();
        let barrier = self.inner.barriers_sent.fetch_add(1, Ordering::SeqCst) + 1;
        let payload = format!("barrier:{}:{barrier}", self.barrier_tag());
        if let Err(err) = db::listener::notify_availability(pool, &payload).await {
            tracing::warn!(error = %err, "availability index: could not send a barrier");
            return false;
        }
        let waited = tokio::time::timeout(within, reached.wait_for(|seen| *seen >= barrier)).await;
        matches!(waited, Ok(Ok(_)))
    }

    async fn apply(&self, pool: &PgPool, payload: &str) -> Result<(), AppError> {
        if payload == "settings" {
            self.forget_settings();
            return Ok(());
        }
        if let Some(barrier) = payload.strip_prefix("barrier:") {
            let ours = barrier
                .strip_prefix(self.barrier_tag())
                .and_then(|rest| rest.strip_prefix(':'))
                .and_then(|n| n.parse::<u64>().ok());
            if let Some(n) = ours {
                self.inner
                    .barrier_reached
                    .send_modify(|seen| *seen = (*seen).max(n));
            }
            return Ok(());
        }
        match payload.strip_prefix("doctor:").map(parse_doctor_change) {
            Some(Some((doctor_id, None))) => self.reload_doctor(pool, doctor_id).await,
            Some(Some((doctor_id, Some((from, to))))) => {
                self.reload_spans(pool, &[(doctor_id, from, to)]).await
            }
            // 'all', or anything not understood: everything afresh.
            _ => self.rebuild(pool).await,
        }
    }

    /// Listens first, then builds (so no change falls between), then follows the
    /// notifications; on a lost connection starts over.
    async fn keep_current(self, pool: PgPool) {
        // Waits longer after each failure in a row (the database down): 0.5 s up to 10 s.
        let mut wait = std::time::Duration::from_millis(500);
        loop {
            let started = std::time::Instant::now();
            let followed = self.follow(&pool).await;
            self.inner.following.store(false, Ordering::SeqCst);
            if let Err(err) = followed {
                tracing::warn!(error = %err, retry_in_ms = wait.as_millis() as u64, "availability index: listener failed; starting over");
            }
            if started.elapsed() > std::time::Duration::from_secs(60) {
                wait = std::time::Duration::from_millis(500);
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(std::time::Duration::from_secs(10));
        }
    }

    async fn follow(&self, pool: &PgPool) -> Result<(), AppError> {
        let mut listener = PgListener::connect_with(pool).await?;
        // Named, for whoever reads pg_stat_activity: it also runs the index's reloads.
        db::listener::name_connection(&mut listener, "clinic availability listener").await?;
        listener.listen("availability").await?;
        // Whatever changed while nobody listened is read afresh.
        self.forget_settings();
        self.inner.following.store(true, Ordering::SeqCst);
        self.rebuild(pool).await?;
        tracing::info!(stats = ?self.stats(), "availability index built");
        let mut reconcile = tokio::time::interval(RECONCILE_EVERY);
        reconcile.tick().await;
        loop {
            tokio::select! {
                message = listener.try_recv() => match message? {
                    Some(n) => {
                        // And whatever else has arrived meanwhile, applied together.
                        let mut payloads = vec![n.payload().to_owned()];
                        while payloads.len() < MAX_BATCH {
                            match listener.next_buffered() {
                                Some(n) => payloads.push(n.payload().to_owned()),
                                None => break,
                            }
                        }
                        self.apply_all(&mut listener, pool, payloads).await?
                    }
                    None => {
                        tracing::warn!("availability index: listener connection lost; rebuilding");
                        return Ok(());
                    }
                },
                _ = reconcile.tick() => {
                    self.reconcile(pool).await?;
                }
            }
        }
    }
}

/// A changed span of time, `[from, to)`.
type Span = (DateTime<Utc>, DateTime<Utc>);

/// `<id>` or `<id>:<from>:<to>` (epoch seconds) of a `doctor:` notification.
fn parse_doctor_change(rest: &str) -> Option<(i64, Option<Span>)> {
    let mut parts = rest.split(':');
    let doctor_id = parts.next()?.parse().ok()?;
    let span = match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => None,
        (Some(from), Some(to), None) => {
            let at = |t: &str| DateTime::from_timestamp(t.parse().ok()?, 0);
            Some((at(from)?, at(to)?))
        }
        _ => return None,
    };
    Some((doctor_id, span))
}

/// Open start times in `[from, to)` for an appointment of `slot_count` slots, limited to
/// what a patient may book at `now` (minimum notice, horizon): from `index` when it can
/// answer, else from the database.
pub async fn open_times_from(
    index: &AvailabilityIndex,
    pool: &PgPool,
    policy: &ClinicPolicy,
    slot_count: usize,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<OpenTime>, sqlx::Error> {
    let (from_c, to_c) = BookingWindow::for_patients(policy, now).clamp(from, to);
    if from_c >= to_c {
        return Ok(Vec::new());
    }
    match index.answer(policy, |i| i.open_times(slot_count, from_c, to_c, now)) {
        Some(times) => Ok(times),
        None => open_times(pool, policy, slot_count, from, to, now).await,
    }
}

/// The first open start time from `now` to the horizon (the finder's "Next available").
pub async fn next_available_from(
    index: &AvailabilityIndex,
    pool: &PgPool,
    policy: &ClinicPolicy,
    slot_count: usize,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let (from, to) =
        BookingWindow::for_patients(policy, now).clamp(now, now + policy.booking_horizon());
    if from >= to {
        return Ok(None);
    }
    match index.answer(policy, |i| i.first_open(slot_count, from, to, now)) {
        Some(first) => Ok(first),
        None => Ok(open_times(pool, policy, slot_count, from, to, now)
            .await?
            .first()
            .map(|o| o.start)),
    }
}

/// Open start times in `[from, to)` for an appointment of `slot_count` slots, limited to
/// what a patient may book at `now` (minimum notice, horizon), asking PostgreSQL.
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
/// in time order: what we offer when the chosen time is gone (from `index` when it can
/// answer).
pub async fn nearest_open_times(
    index: &AvailabilityIndex,
    pool: &PgPool,
    policy: &ClinicPolicy,
    slot_count: usize,
    around: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
    let span = Duration::days(3);
    let mut times: Vec<DateTime<Utc>> = open_times_from(
        index,
        pool,
        policy,
        slot_count,
        around - span,
        around + span,
        now,
    )
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

#[cfg(test)]
mod tests {
    use super::parse_doctor_change;
    use chrono::DateTime;

    #[test]
    fn reads_a_doctor_or_a_doctors_span() {
        assert_eq!(parse_doctor_change("42"), Some((42, None)));
        let (from, to) = (
            DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
            DateTime::from_timestamp(1_900_001_800, 0).unwrap(),
        );
        assert_eq!(
            parse_doctor_change("42:1900000000:1900001800"),
            Some((42, Some((from, to))))
        );
        for bad in [
            "",
            "x",
            "42:1",
            "42:1:2:3",
            "42:a:b",
            "42:1:99999999999999999999",
        ] {
            assert_eq!(parse_doctor_change(bad), None, "{bad}");
        }
    }
}
