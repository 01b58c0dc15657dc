//! Availability as patients see it: start times, not doctors.
//!
//! A start time is open for an appointment type of `k` slots when at least one doctor has
//! `k` consecutive free slots beginning there ("consecutive" = each slot ends exactly when
//! the next begins). Patients see the time; the count of such doctors is for staff views
//! and for the booking service's quick rejection.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ClinicPolicy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeSlot {
    pub doctor_id: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenTime {
    pub start: DateTime<Utc>,
    /// How many doctors could take an appointment starting then.
    pub doctors: u32,
}

/// The span in which a patient may book: from `now + minimum notice` (inclusive) to
/// `now + horizon` (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingWindow {
    pub earliest: DateTime<Utc>,
    pub latest: DateTime<Utc>,
}

impl BookingWindow {
    pub fn for_patients(policy: &ClinicPolicy, now: DateTime<Utc>) -> Self {
        Self {
            earliest: now + policy.min_notice(),
            latest: now + policy.booking_horizon(),
        }
    }

    pub fn contains(&self, start: DateTime<Utc>) -> bool {
        start >= self.earliest && start < self.latest
    }

    /// `[from, to)` narrowed to this window (possibly empty: then `from >= to`).
    pub fn clamp(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (from.max(self.earliest), to.min(self.latest))
    }
}

/// Start times in `[from, to)` at which some doctor has `k` consecutive free slots, with
/// the number of such doctors, in time order. `free` may be in any order.
pub fn open_start_times(
    free: &[FreeSlot],
    k: usize,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<OpenTime> {
    if k == 0 || from >= to {
        return Vec::new();
    }
    let mut sorted: Vec<&FreeSlot> = free.iter().collect();
    sorted.sort_by_key(|s| (s.doctor_id, s.start));

    let mut counts: BTreeMap<DateTime<Utc>, u32> = BTreeMap::new();
    // Walk each doctor's runs of back-to-back slots; within a run of length n, the
    // first n - k + 1 slots can start an appointment.
    let mut run_start = 0;
    for i in 0..=sorted.len() {
        let continues = i < sorted.len()
            && i > run_start
            && sorted[i].doctor_id == sorted[i - 1].doctor_id
            && sorted[i].start == sorted[i - 1].end;
        if i > run_start && !continues {
            let run = &sorted[run_start..i];
            if run.len() >= k {
                for slot in &run[..=run.len() - k] {
                    if slot.start >= from && slot.start < to {
                        *counts.entry(slot.start).or_default() += 1;
                    }
                }
            }
            run_start = i;
        }
    }
    counts
        .into_iter()
        .map(|(start, doctors)| OpenTime { start, doctors })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap() + Duration::minutes(minutes)
    }
    fn slot(doctor_id: i64, start_min: i64) -> FreeSlot {
        FreeSlot {
            doctor_id,
            start: at(start_min),
            end: at(start_min + 30),
        }
    }
    fn starts(open: &[OpenTime]) -> Vec<(i64, u32)> {
        open.iter()
            .map(|o| ((o.start - at(0)).num_minutes(), o.doctors))
            .collect()
    }

    #[test]
    fn single_slot_appointments_count_doctors_per_start() {
        let free = [slot(1, 0), slot(2, 0), slot(1, 30), slot(3, 90)];
        let open = open_start_times(&free, 1, at(0), at(600));
        assert_eq!(starts(&open), [(0, 2), (30, 1), (90, 1)]);
    }

    #[test]
    fn long_appointments_need_back_to_back_slots_of_one_doctor() {
        // Doctor 1: 0, 30, 60 (a run of three). Doctor 2: 0 and 60 (a gap). Doctor 3: 30.
        let free = [
            slot(1, 0),
            slot(1, 30),
            slot(1, 60),
            slot(2, 0),
            slot(2, 60),
            slot(3, 30),
        ];
        let open = open_start_times(&free, 2, at(0), at(600));
        assert_eq!(starts(&open), [(0, 1), (30, 1)]);
        // Doctor 2's 0 and doctor 3's 30 are consecutive in time but not one doctor's.
        let free = [slot(2, 0), slot(3, 30)];
        assert!(open_start_times(&free, 2, at(0), at(600)).is_empty());
    }

    #[test]
    fn the_window_bounds_start_times_only() {
        let free = [slot(1, 0), slot(1, 30), slot(1, 60)];
        // A two-slot appointment starting at 30 may end after `to`.
        let open = open_start_times(&free, 2, at(30), at(60));
        assert_eq!(starts(&open), [(30, 1)]);
    }

    #[test]
    fn booking_window_applies_notice_and_horizon() {
        let policy = ClinicPolicy::default();
        let now = at(0);
        let window = BookingWindow::for_patients(&policy, now);
        assert!(!window.contains(now + Duration::minutes(119)));
        assert!(window.contains(now + Duration::hours(2)));
        assert!(window.contains(now + Duration::days(60) - Duration::minutes(30)));
        assert!(!window.contains(now + Duration::days(60)));
    }

    proptest! {
        /// Brute force agrees: a start is reported with n doctors exactly when n doctors
        /// have every one of the k slots starting there free.
        #[test]
        fn agrees_with_brute_force(
            cells in proptest::collection::vec((1i64..5, 0i64..12), 0..40),
            k in 1usize..4,
        ) {
            let mut free: Vec<FreeSlot> = cells.iter().map(|&(d, s)| slot(d, s * 30)).collect();
            free.sort_by_key(|s| (s.doctor_id, s.start));
            free.dedup();
            let open = open_start_times(&free, k, at(0), at(12 * 30));
            for s in 0..12i64 {
                let doctors = (1i64..5)
                    .filter(|&d| (0..k as i64).all(|j| free.contains(&slot(d, (s + j) * 30))))
                    .count() as u32;
                let reported = open.iter().find(|o| o.start == at(s * 30)).map_or(0, |o| o.doctors);
                prop_assert_eq!(reported, doctors, "start {}", s);
            }
        }
    }
}
