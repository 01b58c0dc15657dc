//! What this instance did since it started, for `/metrics` (counters in the Prometheus
//! sense: they only go up; a restart starts them again, which Prometheus' `rate()`
//! understands).

use std::sync::atomic::{AtomicU64, Ordering};

pub static HOLDS: AtomicU64 = AtomicU64::new(0);
pub static BOOKINGS: AtomicU64 = AtomicU64::new(0);
pub static RESCHEDULES: AtomicU64 = AtomicU64::new(0);
pub static CANCELLATIONS: AtomicU64 = AtomicU64::new(0);
/// Holds, confirmations and moves refused because the time was taken meanwhile or the
/// hold had lapsed.
pub static CONFLICTS: AtomicU64 = AtomicU64::new(0);

pub fn note(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// (kind, count) of every booking counter.
pub fn snapshot() -> [(&'static str, u64); 5] {
    [
        ("hold", HOLDS.load(Ordering::Relaxed)),
        ("booking", BOOKINGS.load(Ordering::Relaxed)),
        ("reschedule", RESCHEDULES.load(Ordering::Relaxed)),
        ("cancellation", CANCELLATIONS.load(Ordering::Relaxed)),
        ("conflict", CONFLICTS.load(Ordering::Relaxed)),
    ]
}
