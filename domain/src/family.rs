//! Family accounts: the input that adds a person someone cares for, parsed.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::account::FieldError;

/// The most people one account may look after (a family, a carer of a few; more is a
/// clinic's job, done by staff).
pub const MAX_PEOPLE: i64 = 12;

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// A date of birth: a real date (`YYYY-MM-DD`, as a date field sends it), not after
/// `today` and at most 130 years before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateOfBirth(NaiveDate);

impl DateOfBirth {
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, FieldError> {
        const FIELD: &str = "date_of_birth";
        let text = input.trim();
        if text.is_empty() {
            return Err(err(FIELD, "Enter their date of birth."));
        }
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            err(
                FIELD,
                "Enter the date of birth as year-month-day, like 2019-04-23.",
            )
        })?;
        if date > today {
            return Err(err(FIELD, "The date of birth cannot be in the future."));
        }
        if today.year() - date.year() > 130 {
            return Err(err(FIELD, "Please check the year of birth."));
        }
        Ok(Self(date))
    }
    pub fn get(self) -> NaiveDate {
        self.0
    }
}

/// How the carer is related to the person ("Parent", "Daughter", "Carer"): 1–60
/// characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relationship(String);

impl Relationship {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        const FIELD: &str = "relationship";
        let text = input.trim();
        if text.is_empty() {
            return Err(err(FIELD, "Say how you are related, like Parent or Carer."));
        }
        if text.chars().count() > 60 {
            return Err(err(FIELD, "Please use at most 60 characters."));
        }
        if text.chars().any(char::is_control) {
            return Err(err(FIELD, "This contains characters that are not allowed."));
        }
        Ok(Self(text.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whole years between `born` and `today` (for "age 7" next to a name).
pub fn age_on(born: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_of_birth_are_real_past_dates() {
        let today = d(2026, 12, 7);
        assert_eq!(
            DateOfBirth::parse(" 2019-04-23 ", today).unwrap().get(),
            d(2019, 4, 23)
        );
        assert_eq!(
            DateOfBirth::parse("2026-12-07", today).unwrap().get(),
            today
        );
        for bad in [
            "",
            "2019-02-30",
            "23/04/2019",
            "2026-12-08",
            "1890-01-01",
            "x",
        ] {
            let e = DateOfBirth::parse(bad, today).unwrap_err();
            assert_eq!(e.field, "date_of_birth", "{bad}");
        }
    }

    #[test]
    fn relationships_are_short_words() {
        assert_eq!(Relationship::parse(" Parent ").unwrap().as_str(), "Parent");
        assert!(Relationship::parse("").is_err());
        assert!(Relationship::parse(&"x".repeat(61)).is_err());
        assert!(Relationship::parse("a\u{7}b").is_err());
    }

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(age_on(d(2019, 12, 8), d(2026, 12, 7)), 6);
        assert_eq!(age_on(d(2019, 12, 7), d(2026, 12, 7)), 7);
        assert_eq!(age_on(d(2020, 2, 29), d(2021, 2, 28)), 0);
        assert_eq!(age_on(d(2020, 2, 29), d(2021, 3, 1)), 1);
    }
}
