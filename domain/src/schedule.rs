//! Doctors' weekly hours, given in the clinic's local time, turned into UTC slots on the
//! clinic's grid.
//!
//! Slots follow **local wall-clock time**: a doctor who works 09:00–17:00 has the same
//! sixteen half-hour slots at those wall times on every such day, on both sides of a DST
//! change. Where a DST change falls inside working hours:
//! - **skipped hour** (clocks spring forward, e.g. 02:00→03:00): wall times that do not
//!   exist produce no slot, so that day's interval is shorter by the skipped time;
//! - **repeated hour** (clocks fall back, e.g. 02:00→01:00): a wall time that occurs twice
//!   gets one slot, at its *first* occurrence; the second pass of the hour is unused.
//!
//! Either way every slot lasts exactly one slot length in real time and no two overlap.

use std::collections::BTreeSet;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc,
    Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// One working interval on one weekday, valid over an inclusive range of dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyInterval {
    pub weekday: Weekday,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub effective_from: NaiveDate,
    /// Inclusive; `None` means open-ended.
    pub effective_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum HoursError {
    #[error("the interval must end after it starts")]
    EndNotAfterStart,
    #[error("{0} is not on the clinic's {1}-minute grid")]
    OffGrid(NaiveTime, i64),
    #[error("the interval ends before it becomes effective")]
    EffectiveRangeReversed,
    #[error("two intervals on {0:?} overlap")]
    Overlap(Weekday),
}

fn on_grid(time: NaiveTime, slot: Duration) -> bool {
    time.nanosecond() == 0 && (time.num_seconds_from_midnight() as i64) % slot.num_seconds() == 0
}

impl WeeklyInterval {
    /// Checks one interval against the clinic grid.
    pub fn validate(&self, slot: Duration) -> Result<(), HoursError> {
        if self.end <= self.start {
            return Err(HoursError::EndNotAfterStart);
        }
        for t in [self.start, self.end] {
            if !on_grid(t, slot) {
                return Err(HoursError::OffGrid(t, slot.num_minutes()));
            }
        }
        if self
            .effective_until
            .is_some_and(|until| until < self.effective_from)
        {
            return Err(HoursError::EffectiveRangeReversed);
        }
        Ok(())
    }

    fn applies_on(&self, date: NaiveDate) -> bool {
        date.weekday() == self.weekday
            && date >= self.effective_from
            && self.effective_until.is_none_or(|until| date <= until)
    }

    fn overlaps(&self, other: &Self) -> bool {
        let dates_overlap = self
            .effective_until
            .is_none_or(|u| u >= other.effective_from)
            && other
                .effective_until
                .is_none_or(|u| u >= self.effective_from);
        self.weekday == other.weekday
            && dates_overlap
            && self.start < other.end
            && other.start < self.end
    }
}

/// Validates a doctor's whole schedule: each interval on the grid, none overlapping.
pub fn validate_hours(hours: &[WeeklyInterval], slot: Duration) -> Result<(), HoursError> {
    for (i, a) in hours.iter().enumerate() {
        a.validate(slot)?;
        if hours[i + 1..].iter().any(|b| a.overlaps(b)) {
            return Err(HoursError::Overlap(a.weekday));
        }
    }
    Ok(())
}

/// A slot's span in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SlotSpan {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The UTC instant of a local wall time, by the rule in the module docs: the first
/// occurrence of a repeated time, nothing for a skipped one.
pub fn local_to_utc(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&date.and_time(time)) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

/// All slots of `hours` on dates `from..=to` (local dates in `tz`), sorted, without
/// duplicates. Invalid intervals should be rejected by [`validate_hours`] first; any that
/// reach here are skipped rather than producing off-grid slots.
pub fn generate_slots(
    hours: &[WeeklyInterval],
    from: NaiveDate,
    to: NaiveDate,
    tz: Tz,
    slot: Duration,
) -> Vec<SlotSpan> {
    let mut out = BTreeSet::new();
    let mut date = from;
    while date <= to {
        for interval in hours
            .iter()
            .filter(|h| h.applies_on(date) && h.validate(slot).is_ok())
        {
            let minutes = |t: NaiveTime| i64::from(t.num_seconds_from_midnight()) / 60;
            let (mut wall, end) = (minutes(interval.start), minutes(interval.end));
            while wall + slot.num_minutes() <= end {
                let time = NaiveTime::MIN + Duration::minutes(wall);
                if let Some(start) = local_to_utc(tz, date, time) {
                    out.insert(SlotSpan {
                        start,
                        end: start + slot,
                    });
                }
                wall += slot.num_minutes();
            }
        }
        match date.succ_opt() {
            Some(d) => date = d,
            None => break,
        }
    }
    // A repeated hour's first occurrence can only collide with a later wall time's slot if
    // the DST shift is smaller than a slot; drop any slot overlapping its predecessor.
    let mut result: Vec<SlotSpan> = Vec::with_capacity(out.len());
    for span in out {
        if result.last().is_none_or(|prev| prev.end <= span.start) {
            result.push(span);
        }
    }
    result
}

/// The Monday starting the week that contains `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    // Checked: the first days of chrono's calendar have no Monday before them.
    date.checked_sub_days(chrono::Days::new(u64::from(
        date.weekday().num_days_from_monday(),
    )))
    .unwrap_or(NaiveDate::MIN)
}

/// The local calendar date of an instant in the clinic's zone.
pub fn local_date(tz: Tz, instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&tz).date_naive()
}

/// UTC bounds `[start, end)` of a local calendar day (23, 24 or 25 hours long).
pub fn local_day_bounds(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start_of = |d: NaiveDate| {
        // Midnight can itself be skipped (e.g. America/Santiago): take the first instant
        // of the day that exists.
        (0..=120)
            .step_by(15)
            .find_map(|m| local_to_utc(tz, d, NaiveTime::MIN + Duration::minutes(m)))
            .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)))
    };
    let next = date.succ_opt().unwrap_or(date);
    (start_of(date), start_of(next))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America::New_York, Australia::Sydney, Europe::London};
    use proptest::prelude::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }
    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn every_day(start: NaiveTime, end: NaiveTime) -> Vec<WeeklyInterval> {
        [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .map(|weekday| WeeklyInterval {
            weekday,
            start,
            end,
            effective_from: d(2000, 1, 1),
            effective_until: None,
        })
        .collect()
    }
    const HALF_HOUR: Duration = Duration::minutes(30);

    fn local_walls(tz: Tz, slots: &[SlotSpan]) -> Vec<NaiveTime> {
        slots
            .iter()
            .map(|s| s.start.with_timezone(&tz).time())
            .collect()
    }

    /// (zone, day before a DST change, day of, day after)
    fn dst_days() -> Vec<(Tz, NaiveDate)> {
        vec![
            (New_York, d(2026, 3, 8)),  // spring forward
            (New_York, d(2026, 11, 1)), // fall back
            (London, d(2026, 3, 29)),
            (London, d(2026, 10, 25)),
            (Sydney, d(2026, 4, 5)), // fall back (southern autumn)
            (Sydney, d(2026, 10, 4)),
        ]
    }

    #[test]
    fn a_nine_to_five_day_has_sixteen_slots_around_every_dst_change() {
        let hours = every_day(t(9, 0), t(17, 0));
        for (tz, change) in dst_days() {
            for date in [
                change.pred_opt().unwrap(),
                change,
                change.succ_opt().unwrap(),
            ] {
                let slots = generate_slots(&hours, date, date, tz, HALF_HOUR);
                assert_eq!(slots.len(), 16, "{tz} {date}");
                let walls = local_walls(tz, &slots);
                assert_eq!(walls.first(), Some(&t(9, 0)), "{tz} {date}");
                assert_eq!(walls.last(), Some(&t(16, 30)), "{tz} {date}");
                assert!(slots.iter().all(|s| s.end - s.start == HALF_HOUR));
            }
        }
    }

    #[test]
    fn skipped_hour_yields_no_slots_for_wall_times_that_do_not_exist() {
        // New York, 2026-03-08: 02:00–02:59 does not exist.
        let hours = every_day(t(0, 0), t(5, 0));
        let slots = generate_slots(&hours, d(2026, 3, 8), d(2026, 3, 8), New_York, HALF_HOUR);
        let walls = local_walls(New_York, &slots);
        assert_eq!(
            walls,
            [
                t(0, 0),
                t(0, 30),
                t(1, 0),
                t(1, 30),
                t(3, 0),
                t(3, 30),
                t(4, 0),
                t(4, 30)
            ]
        );
        // Back to back in real time across the jump: 01:30 EST + 30 min = 03:00 EDT.
        assert_eq!(slots[3].end, slots[4].start);
    }

    #[test]
    fn repeated_hour_uses_the_first_occurrence_once() {
        // New York, 2026-11-01: 01:00–01:59 happens twice (EDT, then EST).
        let hours = every_day(t(0, 0), t(3, 0));
        let slots = generate_slots(&hours, d(2026, 11, 1), d(2026, 11, 1), New_York, HALF_HOUR);
        let walls = local_walls(New_York, &slots);
        assert_eq!(
            walls,
            [t(0, 0), t(0, 30), t(1, 0), t(1, 30), t(2, 0), t(2, 30)]
        );
        // 01:00 is the EDT one (05:00 UTC), and 02:00 EST (07:00 UTC) follows an unused hour.
        assert_eq!(slots[2].start.to_rfc3339(), "2026-11-01T05:00:00+00:00");
        assert_eq!(slots[4].start.to_rfc3339(), "2026-11-01T07:00:00+00:00");
    }

    #[test]
    fn effective_ranges_and_weekdays_are_respected() {
        let hours = vec![
            WeeklyInterval {
                weekday: Weekday::Mon,
                start: t(9, 0),
                end: t(10, 0),
                effective_from: d(2026, 6, 8),
                effective_until: Some(d(2026, 6, 15)),
            },
            WeeklyInterval {
                weekday: Weekday::Mon,
                start: t(14, 0),
                end: t(15, 0),
                effective_from: d(2026, 6, 1),
                effective_until: None,
            },
        ];
        // Mondays in June 2026: 1, 8, 15, 22, 29.
        let slots = generate_slots(&hours, d(2026, 6, 1), d(2026, 6, 30), London, HALF_HOUR);
        let per_date = |date: NaiveDate| {
            slots
                .iter()
                .filter(|s| local_date(London, s.start) == date)
                .count()
        };
        assert_eq!(per_date(d(2026, 6, 1)), 2);
        assert_eq!(per_date(d(2026, 6, 8)), 4);
        assert_eq!(per_date(d(2026, 6, 15)), 4);
        assert_eq!(per_date(d(2026, 6, 22)), 2);
        assert_eq!(per_date(d(2026, 6, 2)), 0);
        assert_eq!(slots.len(), 2 + 4 + 4 + 2 + 2);
    }

    #[test]
    fn validation_names_the_problem() {
        let base = WeeklyInterval {
            weekday: Weekday::Tue,
            start: t(9, 0),
            end: t(12, 0),
            effective_from: d(2026, 1, 1),
            effective_until: None,
        };
        assert_eq!(
            validate_hours(std::slice::from_ref(&base), HALF_HOUR),
            Ok(())
        );
        let reversed = WeeklyInterval {
            end: t(8, 0),
            ..base.clone()
        };
        assert_eq!(
            reversed.validate(HALF_HOUR),
            Err(HoursError::EndNotAfterStart)
        );
        let off_grid = WeeklyInterval {
            start: t(9, 10),
            ..base.clone()
        };
        assert_eq!(
            off_grid.validate(HALF_HOUR),
            Err(HoursError::OffGrid(t(9, 10), 30))
        );
        let overlapping = WeeklyInterval {
            start: t(11, 0),
            end: t(13, 0),
            ..base.clone()
        };
        assert_eq!(
            validate_hours(&[base.clone(), overlapping], HALF_HOUR),
            Err(HoursError::Overlap(Weekday::Tue))
        );
        let later_range = WeeklyInterval {
            effective_from: d(2027, 1, 1),
            ..base.clone()
        };
        let earlier_range = WeeklyInterval {
            effective_until: Some(d(2026, 12, 31)),
            ..base
        };
        assert_eq!(
            validate_hours(&[earlier_range, later_range], HALF_HOUR),
            Ok(())
        );
    }

    #[test]
    fn weeks_start_on_monday_even_at_the_ends_of_the_calendar() {
        assert_eq!(week_start(NaiveDate::MIN), NaiveDate::MIN);
        assert!(week_start(NaiveDate::MAX) <= NaiveDate::MAX);
        assert_eq!(week_start(d(2026, 11, 22)), d(2026, 11, 16)); // a Sunday
        assert_eq!(week_start(d(2026, 11, 23)), d(2026, 11, 23)); // a Monday
        assert_eq!(week_start(d(2027, 1, 1)), d(2026, 12, 28));
    }

    #[test]
    fn local_days_are_23_24_or_25_hours() {
        let (s, e) = local_day_bounds(New_York, d(2026, 3, 8));
        assert_eq!(e - s, Duration::hours(23));
        let (s, e) = local_day_bounds(New_York, d(2026, 11, 1));
        assert_eq!(e - s, Duration::hours(25));
        let (s, e) = local_day_bounds(Sydney, d(2026, 7, 1));
        assert_eq!(e - s, Duration::hours(24));
    }

    fn zones() -> impl Strategy<Value = Tz> {
        prop_oneof![Just(New_York), Just(London), Just(Sydney)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Over a year in each zone, for arbitrary grid-aligned hours: slots never overlap,
        /// never repeat, each lasts one slot, and each starts at a wall time inside its
        /// interval on the grid. Away from the 00:00–04:00 window where DST changes happen,
        /// every applicable day has exactly the interval's number of slots.
        #[test]
        fn slots_are_disjoint_on_grid_and_complete(
            tz in zones(),
            start_half_hours in 0u32..44,
            len_half_hours in 1u32..10,
            year in 2025i32..2028,
            slot_minutes in prop_oneof![Just(15i64), Just(30), Just(60)],
        ) {
            let slot = Duration::minutes(slot_minutes);
            let start = NaiveTime::MIN + Duration::minutes(i64::from(start_half_hours) * 30);
            let end_minutes = (i64::from(start_half_hours + len_half_hours) * 30).min(23 * 60 + 30);
            prop_assume!(end_minutes > i64::from(start_half_hours) * 30);
            prop_assume!(end_minutes % slot_minutes == 0 && (i64::from(start_half_hours) * 30) % slot_minutes == 0);
            let end = NaiveTime::MIN + Duration::minutes(end_minutes);
            let hours = every_day(start, end);
            let from = d(year, 1, 1);
            let to = d(year, 12, 31);
            let slots = generate_slots(&hours, from, to, tz, slot);

            let expected_per_day = ((end - start).num_minutes() / slot_minutes) as usize;
            let mut per_day = std::collections::BTreeMap::<NaiveDate, usize>::new();
            for pair in slots.windows(2) {
                prop_assert!(pair[0].end <= pair[1].start, "overlap {:?}", pair);
            }
            for s in &slots {
                prop_assert_eq!(s.end - s.start, slot);
                let local = s.start.with_timezone(&tz);
                prop_assert!(local.time() >= start && local.time() + slot <= end);
                prop_assert_eq!((local.time().num_seconds_from_midnight() as i64) % slot.num_seconds(), 0);
                *per_day.entry(local.date_naive()).or_default() += 1;
            }
            let dst_free = start >= t(4, 0);
            for (date, count) in &per_day {
                prop_assert!(*count <= expected_per_day, "{} has {} > {}", date, count, expected_per_day);
                if dst_free {
                    prop_assert_eq!(*count, expected_per_day, "{}", date);
                }
            }
            if dst_free {
                let days = (to - from).num_days() as usize + 1;
                prop_assert_eq!(per_day.len(), days);
            }
        }
    }
}
