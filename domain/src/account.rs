//! Account input, parsed: a value of these types is proof the input was acceptable.

use serde::{Deserialize, Serialize};

/// A rejected field, named so a form can show the message next to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// An email address, trimmed and lowercased (accounts are unique case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let email = input.trim().to_lowercase();
        let invalid = || err("email", "Enter an email address like name@example.com.");
        if email.is_empty() {
            return Err(err("email", "Enter your email address."));
        }
        if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(invalid());
        }
        Ok(Self(email))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A first or last name: 1–100 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &'static str, input: &str) -> Result<Self, FieldError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(err(field, "This cannot be empty."));
        }
        if name.chars().count() > 100 {
            return Err(err(field, "Please use at most 100 characters."));
        }
        if name.chars().any(char::is_control) {
            return Err(err(field, "This contains characters that are not allowed."));
        }
        Ok(Self(name.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional phone number: digits with spaces, dashes, brackets and a leading +.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone(String);

impl Phone {
    /// Blank input means "no phone".
    pub fn parse_optional(input: &str) -> Result<Option<Self>, FieldError> {
        let phone = input.trim();
        if phone.is_empty() {
            return Ok(None);
        }
        let allowed = phone
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || " ()-".contains(c) || (c == '+' && i == 0));
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if !allowed || !(6..=25).contains(&phone.len()) || digits < 6 {
            return Err(err(
                "phone",
                "Enter a phone number using digits, spaces, dashes and an optional leading +.",
            ));
        }
        Ok(Some(Self(phone.to_owned())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// A new password: 8–128 characters, no composition rules, not one of the most common
/// passwords, not the email address (OWASP ASVS 5.0, chapter 6).
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub fn parse(
        field: &'static str,
        input: &str,
        email: Option<&Email>,
    ) -> Result<Self, FieldError> {
        let length = input.chars().count();
        if length < 8 {
            return Err(err(field, "Use at least 8 characters."));
        }
        if length > 128 {
            return Err(err(field, "Use at most 128 characters."));
        }
        let lowered = input.to_lowercase();
        if COMMON_PASSWORDS
            .lines()
            .any(|common| common.trim() == lowered)
        {
            return Err(err(
                field,
                "This password is too common. Choose something harder to guess.",
            ));
        }
        if email.is_some_and(|e| e.as_str() == lowered.trim()) {
            return Err(err(
                field,
                "Do not use your email address as your password.",
            ));
        }
        Ok(Self(input.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(
            Email::parse("  Ada.Okafor@Example.COM ").unwrap().as_str(),
            "ada.okafor@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@.com",
        ] {
            assert_eq!(Email::parse(bad).unwrap_err().field, "email", "{bad:?}");
        }
    }

    #[test]
    fn names_and_phones() {
        assert_eq!(
            PersonName::parse("first_name", "  José ").unwrap().as_str(),
            "José"
        );
        assert_eq!(
            PersonName::parse("last_name", " ").unwrap_err().field,
            "last_name"
        );
        assert_eq!(
            PersonName::parse("last_name", &"x".repeat(101))
                .unwrap_err()
                .field,
            "last_name"
        );
        assert_eq!(Phone::parse_optional("  ").unwrap(), None);
        assert_eq!(
            Phone::parse_optional("+1 (555) 010-2030")
                .unwrap()
                .unwrap()
                .as_str(),
            "+1 (555) 010-2030"
        );
        assert!(Phone::parse_optional("call me").is_err());
        assert!(Phone::parse_optional("12+345678").is_err());
    }

    #[test]
    fn passwords_need_length_not_composition_and_not_commonness() {
        let email = Email::parse("ada@example.com").unwrap();
        assert!(NewPassword::parse("password", "correct horse battery", Some(&email)).is_ok());
        assert!(NewPassword::parse("password", "alllowercaseletters", None).is_ok());
        assert_eq!(
            NewPassword::parse("password", "short7!", None)
                .unwrap_err()
                .message,
            "Use at least 8 characters."
        );
        assert!(NewPassword::parse("password", &"a".repeat(129), None).is_err());
        assert!(NewPassword::parse("password", &"a".repeat(128), None).is_ok());
        assert!(NewPassword::parse("password", "Password123", None)
            .unwrap_err()
            .message
            .contains("too common"));
        assert!(NewPassword::parse("password", "ADA@example.com", Some(&email)).is_err());
        assert_eq!(
            format!(
                "{:?}",
                NewPassword::parse("p", "correct horse", None).unwrap()
            ),
            "NewPassword(***)"
        );
    }
}
