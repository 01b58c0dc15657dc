//! The waitlist's rules (issue 25), free of I/O: which freed times suit a waiting
//! patient, the fair order in which waiting patients are offered one, and when a text may
//! go out. The engine (`app/src/services/waitlist`) applies them.
//!
//! **Fair order**, documented and tested: among the patients a freed time suits,
//! 1. the one waiting longest comes first (joined the list earliest);
//! 2. then the one who gains most days (their current visit furthest after the freed
//!    time; a patient without a visit gains the whole wait, counted as the most);
//! 3. then the lower entry number (a stable, total order).
//!
//! Offers go out in waves of a settable size; the next wave only if the time is still
//! free after a settable gap.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// Which part of the day suits a patient (clinic local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartOfDay {
    Any,
    /// Before noon.
    Morning,
    /// Noon to 5 pm.
    Afternoon,
    /// From 5 pm.
    Evening,
}

impl PartOfDay {
    pub const ALL: [Self; 4] = [Self::Any, Self::Morning, Self::Afternoon, Self::Evening];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Morning => "morning",
            Self::Afternoon => "afternoon",
            Self::Evening => "evening",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// Whether a visit starting at `time` (local) is in this part of the day.
    pub fn contains(self, time: NaiveTime) -> bool {
        let hour = time.hour();
        match self {
            Self::Any => true,
            Self::Morning => hour < 12,
            Self::Afternoon => (12..17).contains(&hour),
            Self::Evening => hour >= 17,
        }
    }
}

/// Every weekday (bit 0 Monday … bit 6 Sunday).
pub const EVERY_DAY: u8 = 0b111_1111;

/// What a waiting patient said suits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Bit 0 Monday … bit 6 Sunday; never 0.
    pub weekdays: u8,
    pub part_of_day: PartOfDay,
    /// Not before this date (clinic local).
    pub not_before: Option<NaiveDate>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            weekdays: EVERY_DAY,
            part_of_day: PartOfDay::Any,
            not_before: None,
        }
    }
}

/// Why limits cannot be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitsError {
    NoWeekday,
}

impl std::fmt::Display for LimitsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoWeekday => f.write_str("Choose at least one day of the week."),
        }
    }
}

impl Limits {
    pub fn new(
        weekdays: u8,
        part_of_day: PartOfDay,
        not_before: Option<NaiveDate>,
    ) -> Result<Self, LimitsError> {
        let weekdays = weekdays & EVERY_DAY;
        if weekdays == 0 {
            return Err(LimitsError::NoWeekday);
        }
        Ok(Self {
            weekdays,
            part_of_day,
            not_before,
        })
    }

    /// Whether a visit starting at `local_start` (clinic local) suits these limits.
    pub fn suit(&self, local_start: NaiveDateTime) -> bool {
        let day_bit = 1u8 << local_start.weekday().num_days_from_monday();
        self.weekdays & day_bit != 0
            && self.part_of_day.contains(local_start.time())
            && self.not_before.is_none_or(|d| local_start.date() >= d)
    }
}

/// A patient on the list, as the fair order sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub entry_id: i64,
    /// When they joined the list.
    pub since: DateTime<Utc>,
    /// The visit they would give up for an earlier time (none: waiting without a visit).
    pub current_visit: Option<DateTime<Utc>>,
}

impl Waiting {
    /// Whether `offered` is any good to them: earlier than their visit, if they have one.
    pub fn gains_from(&self, offered: DateTime<Utc>) -> bool {
        self.current_visit.is_none_or(|visit| offered < visit)
    }

    /// Whole days gained by `offered` (`None`: no visit yet, the most).
    fn days_gained(&self, offered: DateTime<Utc>) -> Option<i64> {
        self.current_visit.map(|visit| (visit - offered).num_days())
    }
}

/// Puts the patients `offered` suits in the fair order (see the module comment); drops
/// those it would not bring earlier.
pub fn fair_order(mut waiting: Vec<Waiting>, offered: DateTime<Utc>) -> Vec<Waiting> {
    waiting.retain(|w| w.gains_from(offered));
    waiting.sort_by(|a, b| {
        a.since
            .cmp(&b.since)
            // More days first; no visit yet (None) counts as the most.
            .then_with(|| match (a.days_gained(offered), b.days_gained(offered)) {
                (None, None) => std::cmp::Ordering::Equal,
                (None, Some(_)) => std::cmp::Ordering::Less,
                (Some(_), None) => std::cmp::Ordering::Greater,
                (Some(x), Some(y)) => y.cmp(&x),
            })
            .then_with(|| a.entry_id.cmp(&b.entry_id))
    });
    waiting
}

/// Whether `local` (clinic local time) falls in the quiet hours from `start` to `end`,
/// which may wrap past midnight (21:00–08:00). Equal bounds: no quiet hours.
pub fn in_quiet_hours(local: NaiveTime, start: NaiveTime, end: NaiveTime) -> bool {
    match start.cmp(&end) {
        std::cmp::Ordering::Equal => false,
        std::cmp::Ordering::Less => local >= start && local < end,
        std::cmp::Ordering::Greater => local >= start || local < end,
    }
}

/// Whether a text message may go out at `now`: outside the quiet hours, judged on the
/// clinic's wall clock (so the same UTC instant can be quiet one day and not the next,
/// across a daylight-saving change).
pub fn texts_allowed(
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
    quiet_start: NaiveTime,
    quiet_end: NaiveTime,
) -> bool {
    !in_quiet_hours(now.with_timezone(&tz).time(), quiet_start, quiet_end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn limits_check_weekday_part_of_day_and_first_date() {
        // 2027-03-01 is a Monday.
        let monday_9 = NaiveDate::from_ymd_opt(2027, 3, 1)
            .unwrap()
            .and_time(at(9, 0));
        let mornings_mon_wed =
            Limits::new(0b000_0101, PartOfDay::Morning, None).expect("valid limits");
        assert!(mornings_mon_wed.suit(monday_9));
        assert!(!mornings_mon_wed.suit(monday_9 + chrono::Duration::days(1)));
        assert!(mornings_mon_wed.suit(monday_9 + chrono::Duration::days(2)));
        assert!(!mornings_mon_wed.suit(monday_9 + chrono::Duration::hours(4)));
        let later = Limits::new(
            EVERY_DAY,
            PartOfDay::Any,
            NaiveDate::from_ymd_opt(2027, 3, 2),
        )
        .unwrap();
        assert!(!later.suit(monday_9));
        assert!(later.suit(monday_9 + chrono::Duration::days(1)));
        assert_eq!(
            Limits::new(0b1000_0000, PartOfDay::Any, None),
            Err(LimitsError::NoWeekday)
        );
    }

    #[test]
    fn parts_of_day_split_at_noon_and_five() {
        assert!(PartOfDay::Morning.contains(at(11, 59)));
        assert!(!PartOfDay::Morning.contains(at(12, 0)));
        assert!(PartOfDay::Afternoon.contains(at(12, 0)));
        assert!(!PartOfDay::Afternoon.contains(at(17, 0)));
        assert!(PartOfDay::Evening.contains(at(17, 0)));
        for p in PartOfDay::ALL {
            assert_eq!(PartOfDay::parse(p.as_str()), Some(p));
        }
    }

    #[test]
    fn longest_waiting_first_then_most_days_gained_then_entry() {
        let offered = utc(10, 9);
        let w = |entry_id, since_day, visit_day: Option<u32>| Waiting {
            entry_id,
            since: utc(since_day, 8),
            current_visit: visit_day.map(|d| utc(d, 9)),
        };
        let order: Vec<i64> = fair_order(
            vec![
                w(1, 3, Some(20)),
                w(2, 1, Some(12)),
                w(3, 3, Some(28)),
                w(4, 3, None),
                w(5, 2, Some(9)), // their visit is earlier: not offered
                w(6, 3, Some(28)),
            ],
            offered,
        )
        .into_iter()
        .map(|w| w.entry_id)
        .collect();
        assert_eq!(order, [2, 4, 3, 6, 1]);
    }

    #[test]
    fn quiet_hours_follow_the_clinic_clock_across_daylight_saving() {
        let ny = chrono_tz::America::New_York;
        let (night, morning) = (at(21, 0), at(8, 0));
        let utc = |m: u32, d: u32, h: u32| Utc.with_ymd_and_hms(2027, m, d, h, 30, 0).unwrap();
        // 12:30 UTC: 07:30 EST the day before the spring change (quiet), 08:30 EDT on it.
        assert!(!texts_allowed(utc(3, 13, 12), ny, night, morning));
        assert!(texts_allowed(utc(3, 14, 12), ny, night, morning));
        // And back in autumn: 08:30 EDT, then 07:30 EST on the day the clocks go back.
        assert!(texts_allowed(utc(11, 6, 12), ny, night, morning));
        assert!(!texts_allowed(utc(11, 7, 12), ny, night, morning));
        // Southern hemisphere: Sydney's change in April runs the other way.
        let syd = chrono_tz::Australia::Sydney;
        // 2027-04-04 03:00 AEDT → 02:00 AEST (16:00 UTC on the 3rd). 21:30 UTC on the
        // 2nd = 08:30 AEDT on the 3rd (allowed); 21:30 UTC on the 3rd = 07:30 AEST (quiet).
        let late = |d: u32| Utc.with_ymd_and_hms(2027, 4, d, 21, 30, 0).unwrap();
        assert!(texts_allowed(late(2), syd, night, morning));
        assert!(!texts_allowed(late(3), syd, night, morning));
    }

    #[test]
    fn quiet_hours_may_wrap_past_midnight() {
        let (night, morning) = (at(21, 0), at(8, 0));
        assert!(in_quiet_hours(at(23, 30), night, morning));
        assert!(in_quiet_hours(at(7, 59), night, morning));
        assert!(!in_quiet_hours(at(8, 0), night, morning));
        assert!(!in_quiet_hours(at(20, 59), night, morning));
        assert!(in_quiet_hours(at(13, 0), at(12, 0), at(14, 0)));
        assert!(!in_quiet_hours(at(3, 0), at(5, 0), at(5, 0)));
    }
}
