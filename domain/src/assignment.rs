//! Which doctor gets a booking, since patients do not choose.
//!
//! Policy: among the doctors who can take the appointment, prefer the one with the
//! **fewest appointments that (local) day**, so work spreads evenly. Ties are broken by a
//! **rotation keyed on the start time**: tied doctors are ordered by id and rotated left
//! by `slot index of the start time mod number tied`. Consecutive start times therefore
//! begin with different doctors, and the result is the same on every server instance —
//! no shared counter that concurrent bookers would contend on.
//!
//! The result is a full preference order: the booking service tries each doctor in turn
//! and moves on when a concurrent booker has just locked that doctor's slots.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub doctor_id: i64,
    pub appointments_that_day: u32,
}

/// The rotation key of a start time: its index on the slot grid since the epoch.
pub fn rotation_key(start: DateTime<Utc>, slot: Duration) -> u64 {
    (start.timestamp().div_euclid(slot.num_seconds().max(1))) as u64
}

/// Doctor ids in order of preference (see the module docs).
pub fn rank_candidates(mut candidates: Vec<Candidate>, rotation: u64) -> Vec<i64> {
    candidates.sort_by_key(|c| (c.appointments_that_day, c.doctor_id));
    candidates.dedup_by_key(|c| c.doctor_id);
    let mut ranked = Vec::with_capacity(candidates.len());
    for group in candidates.chunk_by(|a, b| a.appointments_that_day == b.appointments_that_day) {
        let shift = (rotation % group.len() as u64) as usize;
        ranked.extend(
            group[shift..]
                .iter()
                .chain(&group[..shift])
                .map(|c| c.doctor_id),
        );
    }
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn c(doctor_id: i64, appointments_that_day: u32) -> Candidate {
        Candidate {
            doctor_id,
            appointments_that_day,
        }
    }

    #[test]
    fn fewest_appointments_that_day_comes_first() {
        let ranked = rank_candidates(vec![c(1, 3), c(2, 0), c(3, 1)], 0);
        assert_eq!(ranked, [2, 3, 1]);
    }

    #[test]
    fn ties_rotate_with_the_start_time() {
        let tied = vec![c(10, 1), c(20, 1), c(30, 1)];
        assert_eq!(rank_candidates(tied.clone(), 0), [10, 20, 30]);
        assert_eq!(rank_candidates(tied.clone(), 1), [20, 30, 10]);
        assert_eq!(rank_candidates(tied.clone(), 2), [30, 10, 20]);
        assert_eq!(rank_candidates(tied, 3), [10, 20, 30]);
    }

    #[test]
    fn rotation_key_steps_by_one_per_slot() {
        let slot = Duration::minutes(30);
        let t = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
        assert_eq!(rotation_key(t + slot, slot), rotation_key(t, slot) + 1);
    }

    /// Simulates clinic days: `doctors` doctors free for `slots` slots each day; bookings
    /// arrive for the given slot indexes and each goes to the first ranked doctor still
    /// free at that time, with the rotation keyed on (day, slot) as in production.
    fn simulate(doctors: i64, slots: i64, days: &[Vec<i64>]) -> BTreeMap<i64, u32> {
        let mut total: BTreeMap<i64, u32> = (1..=doctors).map(|d| (d, 0)).collect();
        for (day, bookings) in days.iter().enumerate() {
            let mut load: BTreeMap<i64, u32> = (1..=doctors).map(|d| (d, 0)).collect();
            let mut taken = std::collections::HashSet::new();
            for &s in bookings {
                let s = s % slots;
                let candidates: Vec<Candidate> = (1..=doctors)
                    .filter(|d| !taken.contains(&(*d, s)))
                    .map(|d| c(d, load[&d]))
                    .collect();
                let rotation = day as u64 * slots as u64 + s as u64;
                if let Some(&chosen) = rank_candidates(candidates, rotation).first() {
                    taken.insert((chosen, s));
                    *load.get_mut(&chosen).unwrap() += 1;
                    *total.get_mut(&chosen).unwrap() += 1;
                }
            }
        }
        total
    }

    #[test]
    fn a_busy_day_is_shared_evenly() {
        // 10 doctors, 16 slots each, 120 bookings spread over the day. Exact balance is
        // not always possible (a doctor already booked at a popular time cannot take it),
        // but nobody ends more than two visits ahead of anybody else.
        let bookings: Vec<i64> = (0..120).map(|i| (i * 7) % 16).collect();
        let load = simulate(10, 16, &[bookings]);
        let (min, max) = (load.values().min().unwrap(), load.values().max().unwrap());
        assert!(max - min <= 2, "{load:?}");
        assert_eq!(load.values().sum::<u32>(), 120);
    }

    #[test]
    fn ties_spread_the_first_bookings_of_a_quiet_day() {
        // Eight bookings at eight different times on an empty day go to eight doctors.
        let load = simulate(8, 16, &[(0..8).collect()]);
        assert!(load.values().all(|&n| n == 1), "{load:?}");
    }

    proptest! {
        #[test]
        fn ranking_is_a_permutation_sorted_by_load(
            loads in proptest::collection::vec(0u32..5, 0..12),
            rotation in any::<u64>(),
        ) {
            let candidates: Vec<Candidate> = loads.iter().enumerate().map(|(i, &l)| c(i as i64 + 1, l)).collect();
            let ranked = rank_candidates(candidates.clone(), rotation);
            let mut sorted_ids = ranked.clone();
            sorted_ids.sort();
            prop_assert_eq!(sorted_ids, (1..=loads.len() as i64).collect::<Vec<_>>());
            let ranked_loads: Vec<u32> = ranked.iter().map(|id| loads[(*id - 1) as usize]).collect();
            prop_assert!(ranked_loads.windows(2).all(|w| w[0] <= w[1]));
        }

        /// Fairness over many bookings: thirty days of random demand (8 doctors, 16 slots,
        /// up to 100 bookings a day) leave every doctor within 10% of the mean total.
        #[test]
        fn many_random_days_are_fair(
            days in proptest::collection::vec(proptest::collection::vec(0i64..16, 60..100), 30),
        ) {
            let total = simulate(8, 16, &days);
            let mean = f64::from(total.values().sum::<u32>()) / 8.0;
            for (doctor, &n) in &total {
                prop_assert!((f64::from(n) - mean).abs() <= mean * 0.10, "doctor {} has {} vs mean {:.1}: {:?}", doctor, n, mean, total);
            }
        }
    }
}
