//! The one rule every text a person submits passes before any other work (database,
//! password hashing): a bounded length and no control characters except the line breaks
//! and tabs a multi-line field may hold. Field-specific parsers (names, emails, reasons)
//! apply their own, tighter limits afterwards.

/// Longest value any single form field may carry. Longer fields (a visit reason: 1000)
/// stay well below it; anything longer is an attack or an accident.
pub const MAX_FIELD_CHARS: usize = 4000;

/// Why a submitted value was refused before it reached the application.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is too long (at most {MAX_FIELD_CHARS} characters)")]
    TooLong,
    #[error("contains characters that are not allowed")]
    ControlCharacter,
}

/// At most `max` characters of `text`, with "…" when cut: for echoing input in messages.
pub fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// `text` with every word that looks like an email address replaced by `[address]`: for
/// showing a delivery error to staff without the recipient in it.
pub fn redact_addresses(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            let bare = word.trim_end();
            if bare.contains('@') {
                format!("[address]{}", &word[bare.len()..])
            } else {
                word.to_owned()
            }
        })
        .collect()
}

/// Checks one submitted value.
pub fn check_field(value: &str) -> Result<(), TextError> {
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(TextError::ControlCharacter);
    }
    // Bytes bound chars from above: only count when the bytes could exceed the limit.
    if value.len() > MAX_FIELD_CHARS && value.chars().count() > MAX_FIELD_CHARS {
        return Err(TextError::TooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_taken_out_of_error_texts() {
        assert_eq!(
            redact_addresses("550 5.1.1 <ann@example.test>: Recipient rejected"),
            "550 5.1.1 [address] Recipient rejected"
        );
        assert_eq!(redact_addresses("timed out"), "timed out");
    }
    use proptest::prelude::*;

    #[test]
    fn refuses_nul_and_other_controls_but_keeps_line_breaks() {
        assert_eq!(check_field("a\u{0}b"), Err(TextError::ControlCharacter));
        assert_eq!(check_field("bell\u{7}"), Err(TextError::ControlCharacter));
        assert_eq!(check_field("c1\u{85}"), Err(TextError::ControlCharacter));
        assert_eq!(check_field("knee hurts\r\nsince May\tworse"), Ok(()));
        assert_eq!(check_field("Zoë Ōtsuka-Nguyễn 🙂"), Ok(()));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert_eq!(check_field(&"é".repeat(MAX_FIELD_CHARS)), Ok(()));
        assert_eq!(
            check_field(&"a".repeat(MAX_FIELD_CHARS + 1)),
            Err(TextError::TooLong)
        );
    }

    proptest! {
        #[test]
        fn printable_text_within_the_limit_passes(s in "[^\\p{Cc}]{0,200}") {
            prop_assert_eq!(check_field(&s), Ok(()));
        }
    }
}
