//! A doctor's weekly hours as they edit them: a **pattern** (several intervals per
//! weekday) that takes effect from a date.
//!
//! The stored schedule is a list of [`WeeklyInterval`]s, each valid over a range of dates.
//! Setting a new pattern from date `F` ([`apply_from`]) keeps history intact and never
//! rewrites the past: intervals that ended before `F` stay; intervals running into `F` now
//! end the day before; intervals that would only start on or after `F` (an earlier plan
//! for the future) are replaced by the new pattern, which runs open-ended from `F`.
//!
//! Patterns are typed as text, one line per weekday — `09:00-12:00, 13:00-17:00`, empty
//! for a day off — which works the same with or without JavaScript and on a phone.

use chrono::{Duration, NaiveDate, NaiveTime, Timelike, Weekday};
use serde::{Deserialize, Serialize};

use crate::schedule::WeeklyInterval;

/// Monday first, as the clinic's week.
pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// The weekdays' names as form fields and server-function arguments, Monday first.
pub const WEEKDAY_FIELDS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A day can be split into at most this many intervals.
pub const MAX_INTERVALS_PER_DAY: usize = 8;

/// A weekday's name in full, for messages and labels.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Working intervals for each weekday (index 0 = Monday), each day's sorted and disjoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekPattern {
    pub days: [Vec<(NaiveTime, NaiveTime)>; 7],
}

/// Why a day's hours were refused; the message names the day and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{}: {problem}", weekday_name(*.day))]
pub struct PatternError {
    pub day: Weekday,
    pub problem: String,
}

fn parse_time(text: &str) -> Result<NaiveTime, String> {
    let text = text.trim();
    if text == "24:00" {
        return Err("hours cannot run past midnight; end the day at 23:30 or earlier".to_owned());
    }
    let (h, m) = text.split_once(':').unwrap_or((text, "00"));
    let ok = |s: &str| (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !ok(h) || m.len() != 2 || !ok(m) {
        return Err(format!(
            "\"{}\" is not a time; write times like 09:00 or 13:30",
            crate::text::shorten(text, 20)
        ));
    }
    let (h, m): (u32, u32) = (h.parse().unwrap_or(99), m.parse().unwrap_or(99));
    NaiveTime::from_hms_opt(h, m, 0)
        .ok_or_else(|| format!("{h:02}:{m:02} is not a time of day (use 00:00 to 23:59)"))
}

fn clock(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// One day's text: intervals separated by commas or semicolons, each `start-end` (a
/// hyphen, en dash or the word "to"). Empty means not working that day.
pub fn parse_day(text: &str, slot: Duration) -> Result<Vec<(NaiveTime, NaiveTime)>, String> {
    if text.chars().count() > 200 {
        return Err("too long; write at most a few intervals".to_owned());
    }
    let mut out = Vec::new();
    for part in text
        .split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let normalised = part.replace(['–', '—'], "-").replace(" to ", "-");
        let Some((a, b)) = normalised.split_once('-') else {
            return Err(format!(
                "\"{}\" needs a start and an end, like 09:00-12:00",
                crate::text::shorten(part, 20)
            ));
        };
        let (start, end) = (parse_time(a)?, parse_time(b)?);
        if end <= start {
            return Err(format!(
                "{}-{} ends before it starts",
                clock(start),
                clock(end)
            ));
        }
        for t in [start, end] {
            let secs = i64::from(t.num_seconds_from_midnight());
            if secs % slot.num_seconds() != 0 {
                return Err(format!(
                    "{} is not on the clinic's {}-minute grid",
                    clock(t),
                    slot.num_minutes()
                ));
            }
        }
        out.push((start, end));
    }
    if out.len() > MAX_INTERVALS_PER_DAY {
        return Err(format!("at most {MAX_INTERVALS_PER_DAY} intervals a day"));
    }
    out.sort();
    if let Some(w) = out.windows(2).find(|w| w[1].0 < w[0].1) {
        return Err(format!(
            "{}-{} and {}-{} overlap",
            clock(w[0].0),
            clock(w[0].1),
            clock(w[1].0),
            clock(w[1].1)
        ));
    }
    Ok(out)
}

/// A day's intervals as text, the form `parse_day` reads back.
pub fn format_day(intervals: &[(NaiveTime, NaiveTime)]) -> String {
    intervals
        .iter()
        .map(|(a, b)| format!("{}-{}", clock(*a), clock(*b)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl WeekPattern {
    /// Parses seven lines, Monday first; the first day with a problem is reported.
    pub fn parse(lines: &[String; 7], slot: Duration) -> Result<Self, PatternError> {
        let mut pattern = Self::default();
        for (i, day) in WEEKDAYS.iter().enumerate() {
            pattern.days[i] = parse_day(&lines[i], slot)
                .map_err(|problem| PatternError { day: *day, problem })?;
        }
        Ok(pattern)
    }

    /// The pattern of `schedule` in effect on `date`.
    pub fn in_effect(schedule: &[WeeklyInterval], date: NaiveDate) -> Self {
        let mut pattern = Self::default();
        for h in schedule.iter().filter(|h| {
            h.effective_from <= date && h.effective_until.is_none_or(|until| until >= date)
        }) {
            pattern.days[h.weekday.num_days_from_monday() as usize].push((h.start, h.end));
        }
        pattern.days.iter_mut().for_each(|d| d.sort());
        pattern
    }

    /// Each day as text, Monday first.
    pub fn lines(&self) -> [String; 7] {
        std::array::from_fn(|i| format_day(&self.days[i]))
    }

    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

/// The schedule after setting `pattern` from `from` on (see the module docs).
pub fn apply_from(
    schedule: &[WeeklyInterval],
    pattern: &WeekPattern,
    from: NaiveDate,
) -> Vec<WeeklyInterval> {
    let day_before = from.pred_opt().unwrap_or(from);
    let mut out: Vec<WeeklyInterval> = schedule
        .iter()
        .filter(|h| h.effective_from < from)
        .map(|h| WeeklyInterval {
            effective_until: Some(match h.effective_until {
                Some(until) if until < from => until,
                _ => day_before,
            }),
            ..h.clone()
        })
        .collect();
    for (i, day) in WEEKDAYS.iter().enumerate() {
        out.extend(pattern.days[i].iter().map(|&(start, end)| WeeklyInterval {
            weekday: *day,
            start,
            end,
            effective_from: from,
            effective_until: None,
        }));
    }
    out
}

/// Dates after `from` on which `schedule` was set to change: an earlier plan that
/// setting a pattern from `from` replaces.
pub fn planned_changes_after(schedule: &[WeeklyInterval], from: NaiveDate) -> Vec<NaiveDate> {
    let mut dates: Vec<NaiveDate> = schedule
        .iter()
        .map(|h| h.effective_from)
        .filter(|d| *d > from)
        .collect();
    dates.sort();
    dates.dedup();
    dates
}

/// One weekday whose hours differ between two patterns, as text ("" = not working).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayChange {
    pub day: Weekday,
    pub before: String,
    pub after: String,
}

/// The weekdays whose hours differ, Monday first.
pub fn day_changes(before: &WeekPattern, after: &WeekPattern) -> Vec<DayChange> {
    WEEKDAYS
        .iter()
        .enumerate()
        .filter(|(i, _)| before.days[*i] != after.days[*i])
        .map(|(i, day)| DayChange {
            day: *day,
            before: format_day(&before.days[i]),
            after: format_day(&after.days[i]),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::validate_hours;

    const HALF_HOUR: Duration = Duration::minutes(30);
    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }
    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn lines(v: [&str; 7]) -> [String; 7] {
        v.map(str::to_owned)
    }

    #[test]
    fn a_day_reads_several_intervals_in_any_order_and_spelling() {
        assert_eq!(
            parse_day("13:00 - 17:00, 9:00–12:00; ", HALF_HOUR),
            Ok(vec![(t(9, 0), t(12, 0)), (t(13, 0), t(17, 0))])
        );
        assert_eq!(
            parse_day("8 to 12", HALF_HOUR),
            Ok(vec![(t(8, 0), t(12, 0))])
        );
        assert_eq!(parse_day("  ", HALF_HOUR), Ok(vec![]));
        assert_eq!(
            format_day(&[(t(9, 0), t(12, 0)), (t(13, 0), t(17, 30))]),
            "09:00-12:00, 13:00-17:30"
        );
    }

    #[test]
    fn bad_days_say_what_is_wrong() {
        let err = |s: &str| parse_day(s, HALF_HOUR).unwrap_err();
        assert!(err("09:00-12:00, 11:00-13:00").contains("overlap"));
        assert!(err("12:00-09:00").contains("ends before it starts"));
        assert!(err("09:10-12:00").contains("30-minute grid"));
        assert!(err("09:00").contains("needs a start and an end"));
        assert!(err("nine-ten").contains("is not a time"));
        assert!(err("25:00-26:00").contains("not a time of day"));
        assert!(err("18:00-24:00").contains("midnight"));
        assert!(err(&"09:00-09:30, ".repeat(30)).contains("too long"));
        let many = (0..9)
            .map(|h| format!("{:02}:00-{:02}:30", h + 8, h + 8))
            .collect::<Vec<_>>()
            .join(",");
        assert!(err(&many).contains("at most 8"));
        let week = WeekPattern::parse(
            &lines(["09:00-17:00", "", "", "9-8", "", "", ""]),
            HALF_HOUR,
        );
        assert_eq!(
            week.unwrap_err().to_string(),
            "Thursday: 09:00-08:00 ends before it starts"
        );
    }

    fn interval(
        day: Weekday,
        a: NaiveTime,
        b: NaiveTime,
        from: NaiveDate,
        until: Option<NaiveDate>,
    ) -> WeeklyInterval {
        WeeklyInterval {
            weekday: day,
            start: a,
            end: b,
            effective_from: from,
            effective_until: until,
        }
    }

    #[test]
    fn a_new_pattern_keeps_the_past_and_replaces_later_plans() {
        let schedule = vec![
            // ended long ago: untouched
            interval(
                Weekday::Mon,
                t(8, 0),
                t(9, 0),
                d(2025, 1, 1),
                Some(d(2025, 12, 31)),
            ),
            // running: ends the day before
            interval(Weekday::Mon, t(9, 0), t(17, 0), d(2026, 1, 1), None),
            // planned for later: replaced
            interval(Weekday::Tue, t(9, 0), t(12, 0), d(2027, 3, 1), None),
        ];
        let mut pattern = WeekPattern::default();
        pattern.days[0] = vec![(t(9, 0), t(12, 0)), (t(13, 0), t(17, 0))];
        let from = d(2026, 12, 7);
        let after = apply_from(&schedule, &pattern, from);
        assert_eq!(
            after,
            vec![
                schedule[0].clone(),
                interval(
                    Weekday::Mon,
                    t(9, 0),
                    t(17, 0),
                    d(2026, 1, 1),
                    Some(d(2026, 12, 6))
                ),
                interval(Weekday::Mon, t(9, 0), t(12, 0), from, None),
                interval(Weekday::Mon, t(13, 0), t(17, 0), from, None),
            ]
        );
        assert_eq!(validate_hours(&after, HALF_HOUR), Ok(()));
        assert_eq!(
            WeekPattern::in_effect(&after, d(2026, 12, 6)).lines()[0],
            "09:00-17:00"
        );
        assert_eq!(
            WeekPattern::in_effect(&after, from).lines()[0],
            "09:00-12:00, 13:00-17:00"
        );
        assert_eq!(planned_changes_after(&schedule, from), vec![d(2027, 3, 1)]);
        let changes = day_changes(&WeekPattern::in_effect(&schedule, from), &pattern);
        assert_eq!(
            changes,
            vec![DayChange {
                day: Weekday::Mon,
                before: "09:00-17:00".into(),
                after: "09:00-12:00, 13:00-17:00".into()
            }]
        );
    }

    #[test]
    fn setting_the_same_pattern_from_its_own_start_changes_nothing_in_effect() {
        let schedule = vec![interval(
            Weekday::Wed,
            t(9, 0),
            t(17, 0),
            d(2026, 6, 1),
            None,
        )];
        let pattern = WeekPattern::in_effect(&schedule, d(2026, 6, 1));
        let after = apply_from(&schedule, &pattern, d(2026, 6, 1));
        assert_eq!(after, schedule);
    }
}
