//! Dates and instants as a client may send them: parsed into types that carry their valid
//! range, so nothing done with them later (adding a visit's length, a week, the booking
//! horizon, a time zone's offset) can overflow chrono's range or PostgreSQL's.
//!
//! The range is wide enough for everything a person may ask about — a visit in the
//! bookable span, a staff search or audit report over the clinic's whole history, a date
//! of birth — and narrow enough that adding a century to either end stays representable
//! everywhere (chrono reaches the year ±262,143; PostgreSQL's `timestamptz` 4713 BC to
//! 294,276 AD; `date` to 5,874,897 AD).
//!
//! Both types (de)serialize as their chrono inner type, so they travel in forms, query
//! strings and JSON exactly as before; a date out of range fails to deserialize, which a
//! server function answers with `400` before any of its code runs. Start times arrive as
//! plain instants and are parsed with `booking::parse_start`, whose refusal is the
//! booking's own ("not one of the clinic's start times").

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The first day a client may name.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};
/// The last day a client may name.
pub const LATEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2199, 12, 31) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// Why a date or instant was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoundedError {
    #[error("a date is not written as YYYY-MM-DD")]
    NotADate,
    #[error("a time is not written as RFC 3339 (e.g. 2026-12-07T14:30:00Z)")]
    NotAnInstant,
    #[error("a date or time is outside the years {} to {}", EARLIEST_DATE.format("%Y"), LATEST_DATE.format("%Y"))]
    OutOfRange,
}

/// A calendar date between [`EARLIEST_DATE`] and [`LATEST_DATE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "NaiveDate", into = "NaiveDate")]
pub struct BoundedDate(NaiveDate);

impl BoundedDate {
    pub const MIN: Self = Self(EARLIEST_DATE);
    pub const MAX: Self = Self(LATEST_DATE);

    pub fn new(date: NaiveDate) -> Result<Self, BoundedError> {
        if (EARLIEST_DATE..=LATEST_DATE).contains(&date) {
            Ok(Self(date))
        } else {
            Err(BoundedError::OutOfRange)
        }
    }

    /// `date` moved into the range: for values that came from the server itself (always
    /// in range) and are sent back, so no caller needs an `unwrap`.
    pub fn clamped(date: NaiveDate) -> Self {
        Self(date.clamp(EARLIEST_DATE, LATEST_DATE))
    }

    pub fn get(self) -> NaiveDate {
        self.0
    }
}

impl TryFrom<NaiveDate> for BoundedDate {
    type Error = BoundedError;
    fn try_from(date: NaiveDate) -> Result<Self, Self::Error> {
        Self::new(date)
    }
}

impl From<BoundedDate> for NaiveDate {
    fn from(date: BoundedDate) -> Self {
        date.0
    }
}

impl FromStr for BoundedDate {
    type Err = BoundedError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let date = s
            .trim()
            .parse::<NaiveDate>()
            .map_err(|_| BoundedError::NotADate)?;
        Self::new(date)
    }
}

impl fmt::Display for BoundedDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::ops::Deref for BoundedDate {
    type Target = NaiveDate;
    fn deref(&self) -> &NaiveDate {
        &self.0
    }
}

/// An instant whose UTC date lies between [`EARLIEST_DATE`] and [`LATEST_DATE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "DateTime<Utc>", into = "DateTime<Utc>")]
pub struct BoundedInstant(DateTime<Utc>);

impl BoundedInstant {
    pub fn new(instant: DateTime<Utc>) -> Result<Self, BoundedError> {
        BoundedDate::new(instant.date_naive())?;
        Ok(Self(instant))
    }

    pub fn get(self) -> DateTime<Utc> {
        self.0
    }
}

impl TryFrom<DateTime<Utc>> for BoundedInstant {
    type Error = BoundedError;
    fn try_from(instant: DateTime<Utc>) -> Result<Self, Self::Error> {
        Self::new(instant)
    }
}

impl From<BoundedInstant> for DateTime<Utc> {
    fn from(instant: BoundedInstant) -> Self {
        instant.0
    }
}

impl FromStr for BoundedInstant {
    type Err = BoundedError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let instant = s
            .trim()
            .parse::<DateTime<Utc>>()
            .map_err(|_| BoundedError::NotAnInstant)?;
        Self::new(instant)
    }
}

impl fmt::Display for BoundedInstant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::ops::Deref for BoundedInstant {
    type Target = DateTime<Utc>;
    fn deref(&self) -> &DateTime<Utc> {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    #[test]
    fn both_ends_of_chrono_are_refused_and_the_range_is_kept() {
        for text in ["+262142-12-31", "-262143-01-01", "1899-12-31", "2200-01-01"] {
            assert!(text.parse::<BoundedDate>().is_err(), "{text}");
        }
        for text in [
            "+262142-12-31T23:59:59Z",
            "-262143-01-01T00:00:00Z",
            "1899-12-31T23:59:59Z",
            "2200-01-01T00:00:00Z",
            "2026-11-23T10:00:00+25:00",
        ] {
            assert!(text.parse::<BoundedInstant>().is_err(), "{text}");
        }
        assert_eq!("1900-01-01".parse::<BoundedDate>(), Ok(BoundedDate::MIN));
        assert_eq!("2199-12-31".parse::<BoundedDate>(), Ok(BoundedDate::MAX));
        assert!("2199-12-31T23:59:59Z".parse::<BoundedInstant>().is_ok());
        assert!("2026-12-07T09:30:00-05:00"
            .parse::<BoundedInstant>()
            .is_ok());
    }

    #[test]
    fn deserializing_refuses_what_parsing_refuses() {
        let far: Result<BoundedInstant, _> = serde_json::from_str("\"+262142-12-31T23:59:59Z\"");
        assert!(far.is_err());
        let near: BoundedDate = serde_json::from_str("\"2026-12-07\"").unwrap();
        assert_eq!(near.to_string(), "2026-12-07");
        assert_eq!(serde_json::to_string(&near).unwrap(), "\"2026-12-07\"");
    }

    proptest! {
        /// Whatever is accepted can take a century either way, in any time zone.
        #[test]
        fn a_century_either_way_never_overflows(days in -200_000i64..200_000, secs in 0i64..86_400) {
            let Some(t) = NaiveDate::from_ymd_opt(2026, 1, 1)
                .and_then(|d| d.checked_add_signed(Duration::days(days)))
                .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc() + Duration::seconds(secs))
            else { return Ok(()) };
            if let Ok(b) = BoundedInstant::new(t) {
                let century = Duration::days(36_525);
                prop_assert!(b.get().checked_add_signed(century).is_some());
                prop_assert!(b.get().checked_sub_signed(century).is_some());
                prop_assert!(b.get().with_timezone(&chrono_tz::Pacific::Kiritimati).date_naive().succ_opt().is_some());
            } else {
                prop_assert!(t.date_naive() < EARLIEST_DATE || t.date_naive() > LATEST_DATE);
            }
        }
    }
}
