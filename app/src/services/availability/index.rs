//! This instance's in-memory index of open slots (`domain::slot_index`) with the clinic's
//! settings cache: building, reading, reloading a doctor's days, reconciling.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::schedule::{local_date, local_day_bounds};
use domain::slot_index::{IndexedSlot, SlotIndex};
use domain::ClinicPolicy;
use sqlx::PgPool;

use crate::db;
use crate::error::AppError;

/// Most notifications applied together (one read for their slot changes).
pub(super) const MAX_BATCH: usize = 512;

/// How often the index is compared with the database and repaired.
pub(super) const RECONCILE_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// This instance's index of open slots. Cloning shares it. A default one is switched off
/// (tests and tools that build the app without [`AvailabilityIndex::start`]): readers then
/// ask PostgreSQL.
#[derive(Clone, Default)]
pub struct AvailabilityIndex {
    pub(super) inner: Arc<Inner>,
}

#[derive(Default)]
pub(super) struct Inner {
    pub(super) enabled: AtomicBool,
    pub(super) index: RwLock<Option<SlotIndex>>,
    /// The clinic's policy and offered types while the listener follows the database;
    /// `settings_generation` moves on every 'settings' notification and reconnect, so a
    /// read that raced one is not kept.
    pub(super) settings: RwLock<Option<Settings>>,
    pub(super) settings_generation: AtomicU64,
    /// The listener is connected and listening (the settings cache is trusted only then).
    pub(super) following: AtomicBool,
    /// Moves on every change applied (slots or settings): what a page cache keys on.
    pub(super) changes: AtomicU64,
    pub(super) rebuilds: AtomicU64,
    pub(super) doctor_reloads: AtomicU64,
    pub(super) drift_repairs: AtomicU64,
    pub(super) task: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
    /// [`AvailabilityIndex::catch_up`]'s barriers: this instance's own tag (other
    /// instances hear its barriers too and ignore them), the last barrier sent and the
    /// last one the listener has reached.
    pub(super) barrier_tag: std::sync::OnceLock<String>,
    pub(super) barriers_sent: AtomicU64,
    pub(super) barrier_reached: tokio::sync::watch::Sender<u64>,
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
/// clinic's policy, name and contacts, and the active visit types (with who offers them),
/// in display order.
#[derive(Debug, Clone)]
pub struct Settings {
    pub policy: ClinicPolicy,
    /// Name and contacts, on every page.
    pub profile: crate::wire::directory::ClinicProfile,
    pub types: Vec<domain::visit_type::VisitType>,
    /// The active doctors' public profiles (choosing a doctor), by name.
    pub doctors: Vec<crate::wire::directory::DoctorCard>,
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

/// A changed span of time, `[from, to)`.
pub(super) type Span = (DateTime<Utc>, DateTime<Utc>);

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

    pub(super) fn read<T>(&self, f: impl FnOnce(Option<&SlotIndex>) -> T) -> T {
        let guard = self
            .inner
            .index
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(guard.as_ref())
    }

    pub(super) fn write(&self, f: impl FnOnce(&mut Option<SlotIndex>)) {
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
            types: db::visit_types::active(pool).await?,
            doctors: db::doctors::list_active(pool).await?,
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

    pub(super) fn forget_settings(&self) {
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
}
