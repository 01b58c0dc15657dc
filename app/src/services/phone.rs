//! Phone numbers as stored: E.164 (`+15551230000`), so that a text a patient sends back
//! finds them whatever way they once typed their number. A number typed without a
//! country code is read as one of the clinic's country (`clinic_settings.phone_region`).
//! Parsing follows Google's libphonenumber metadata (the `phonenumber` crate): lenient
//! about spaces, brackets, dashes and trunk prefixes, strict about what is not a number.

use domain::account::Phone;
use sqlx::PgPool;

use crate::db;
use crate::error::AppError;

/// `text` in E.164, read as a number of `region` (ISO 3166 code) when it has no `+`.
pub fn e164(text: &str, region: &str) -> Option<String> {
    let country = region.parse::<phonenumber::country::Id>().ok();
    let number = phonenumber::parse(country, text).ok()?;
    let formatted = number.format().mode(phonenumber::Mode::E164).to_string();
    // What the outbox accepts as a number to text: + and 7 to 15 digits.
    let digits = formatted.strip_prefix('+')?;
    ((7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0'))
    .then_some(formatted)
}

/// Whether `region` is a country the phone metadata knows.
pub fn known_region(region: &str) -> bool {
    region.len() == 2 && region.parse::<phonenumber::country::Id>().is_ok()
}

/// A phone number as typed in a form (blank: none), checked and in its stored form.
pub async fn as_stored(pool: &PgPool, typed: &str) -> Result<Option<String>, AppError> {
    let Some(phone) = Phone::parse_optional(typed)? else {
        return Ok(None);
    };
    let region = db::settings::message_settings(pool).await?.phone_region;
    e164(phone.as_str(), &region).map(Some).ok_or_else(|| {
        AppError::validation(
            "phone",
            "That is not a phone number we can text or call: check it, or write it with its country code (e.g. +1 212 555 0123).",
        )
    })
}

/// Rewrites numbers stored before they were kept as E.164 (once, at start-up; numbers
/// that cannot be read stay as they are, for staff to correct). Returns how many changed.
pub async fn normalise_stored(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let region = db::settings::message_settings(pool).await?.phone_region;
    let mut changed = 0;
    for (patient_id, phone) in db::patients::phones_not_e164(pool).await? {
        if let Some(stored) = e164(&phone, &region) {
            db::patients::set_phone(pool, patient_id, &stored).await?;
            changed += 1;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_people_type_them_become_one_form() {
        for (typed, region, stored) in [
            ("(212) 555-0123", "US", "+12125550123"),
            ("212 555 0123", "US", "+12125550123"),
            ("+1 212-555-0123", "US", "+12125550123"),
            ("+1 (212) 555 0123", "DE", "+12125550123"),
            ("030 1234567", "DE", "+49301234567"),
            ("+44 20 7946 0018", "US", "+442079460018"),
            ("020 7946 0018", "GB", "+442079460018"),
        ] {
            assert_eq!(
                e164(typed, region).as_deref(),
                Some(stored),
                "{typed} in {region}"
            );
        }
    }

    #[test]
    fn what_is_not_a_number_stays_refused() {
        for typed in ["", "+", "12", "hello", "+0 123 456 789"] {
            assert_eq!(e164(typed, "US"), None, "{typed}");
        }
    }

    #[test]
    fn regions_are_country_codes() {
        assert!(known_region("US"));
        assert!(known_region("DE"));
        assert!(!known_region("ZZ"));
        assert!(!known_region("usa"));
        assert!(!known_region(""));
    }
}
