//! Two-step sign-in's rules: what a typed code is, which time steps a code may belong to,
//! and the shape of recovery codes. The codes themselves are computed by the server
//! (RFC 6238, with the `totp-rs` crate); nothing here does cryptography.

use std::fmt;

use crate::role::Role;

/// Whether a role must have two-step sign-in: doctors and staff read other people's
/// health data.
pub fn required_for(role: Role) -> bool {
    matches!(role, Role::Doctor | Role::Admin)
}

/// A TOTP time step (RFC 6238's default, and every authenticator app's).
pub const STEP_SECONDS: i64 = 30;
/// Digits in a TOTP code.
pub const DIGITS: usize = 6;
/// Steps either side of now whose codes are accepted (clock drift, a code typed as it
/// changed).
pub const WINDOW_STEPS: i64 = 1;
/// Recovery codes issued at a time.
pub const RECOVERY_CODES: usize = 10;
/// Characters in a recovery code (without the dash shown in the middle).
pub const RECOVERY_LENGTH: usize = 10;
/// The recovery codes' alphabet: no 0/O, 1/I/L or U, so a code read aloud or copied by
/// hand is hard to get wrong (Crockford's base 32).
pub const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// A code must be entered within this many minutes of the password.
pub const PENDING_MINUTES: i64 = 10;
/// Doctors and staff who must set up two-step sign-in after the password have this
/// many minutes to do it (installing an app takes longer than typing a code).
pub const ENROL_MINUTES: i64 = 30;

/// What someone typed into the code field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedCode {
    /// Six digits from the authenticator app.
    Totp(String),
    /// One of the recovery codes, normalised (upper case, no dash or spaces).
    Recovery(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotACode;

impl fmt::Display for NotACode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
        )
    }
}

/// Reads a typed code: spaces and dashes are ignored, letters in a recovery code may be
/// lower case, and the look-alikes O, I and L read as 0, 1 and 1 (as Crockford's base 32
/// does).
pub fn parse_code(typed: &str) -> Result<TypedCode, NotACode> {
    let compact: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if compact.len() == DIGITS && compact.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(TypedCode::Totp(compact));
    }
    if compact.chars().count() != RECOVERY_LENGTH {
        return Err(NotACode);
    }
    let normalised: String = compact
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    if normalised.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
        Ok(TypedCode::Recovery(normalised))
    } else {
        Err(NotACode)
    }
}

/// A recovery code from 10 random values (each taken modulo the alphabet): the stored
/// form (no dash).
pub fn recovery_code(random: &[u8; RECOVERY_LENGTH]) -> String {
    random
        .iter()
        .map(|b| RECOVERY_ALPHABET[usize::from(*b) % RECOVERY_ALPHABET.len()] as char)
        .collect()
}

/// How a recovery code is shown: two groups of five.
pub fn show_recovery_code(code: &str) -> String {
    let (a, b) = code.split_at(code.len().min(RECOVERY_LENGTH / 2));
    format!("{a}-{b}")
}

/// The time step of a Unix time.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The steps whose codes are accepted at `now_step`, newest first, leaving out any at or
/// before `last_used` (a code works once; an older one never again).
pub fn acceptable_steps(now_step: i64, last_used: Option<i64>) -> Vec<i64> {
    (now_step - WINDOW_STEPS..=now_step + WINDOW_STEPS)
        .rev()
        .filter(|s| last_used.is_none_or(|last| *s > last))
        .collect()
}

/// The secret as authenticator apps take it typed in: base 32 in groups of four.
pub fn show_secret(base32: &str) -> String {
    base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_forgivingly() {
        assert_eq!(
            parse_code(" 123 456 "),
            Ok(TypedCode::Totp("123456".into()))
        );
        assert_eq!(
            parse_code("abcde-fghjk"),
            Ok(TypedCode::Recovery("ABCDEFGHJK".into()))
        );
        assert_eq!(
            parse_code("O1ILo-22222"),
            Ok(TypedCode::Recovery("01110 22222".replace(' ', "")))
        );
        assert_eq!(parse_code("12345"), Err(NotACode));
        assert_eq!(parse_code("1234567"), Err(NotACode));
        assert_eq!(parse_code("ABCDE-FGHJU"), Err(NotACode));
        assert_eq!(parse_code("ÄBCDE-FGHJK"), Err(NotACode));
        assert_eq!(parse_code(""), Err(NotACode));
    }

    #[test]
    fn recovery_codes_use_the_alphabet_and_read_back() {
        let code = recovery_code(&[0, 31, 32, 255, 7, 8, 9, 10, 11, 12]);
        assert_eq!(code.len(), RECOVERY_LENGTH);
        assert_eq!(code, "0Z0Z789ABC");
        let shown = show_recovery_code(&code);
        assert_eq!(shown, "0Z0Z7-89ABC");
        assert_eq!(parse_code(&shown), Ok(TypedCode::Recovery(code)));
    }

    #[test]
    fn a_code_works_once_within_the_window() {
        assert_eq!(acceptable_steps(100, None), vec![101, 100, 99]);
        assert_eq!(acceptable_steps(100, Some(99)), vec![101, 100]);
        assert_eq!(acceptable_steps(100, Some(100)), vec![101]);
        assert!(acceptable_steps(100, Some(101)).is_empty());
        assert_eq!(step_of(59), 1);
        assert_eq!(step_of(60), 2);
        assert_eq!(step_of(-1), -1);
    }

    #[test]
    fn secrets_show_in_groups_of_four() {
        assert_eq!(show_secret("JBSWY3DPEHPK3PXP"), "JBSW Y3DP EHPK 3PXP");
        assert_eq!(show_secret("ABCDEF"), "ABCD EF");
    }
}
