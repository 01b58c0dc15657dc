//! Who a signed-in person is to the clinic. Every layer speaks of roles through this enum;
//! the database stores [`Role::as_str`].

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Patient,
    Doctor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Doctor => "doctor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "patient" => Some(Self::Patient),
            "doctor" => Some(Self::Doctor),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// Where this role lands after signing in: its own portal.
    pub fn home_path(self) -> &'static str {
        match self {
            Self::Patient => "/",
            Self::Doctor => "/doctor",
            Self::Admin => "/admin",
        }
    }
}

/// A role as stored (the `users.role` column has a CHECK naming these three).
impl TryFrom<String> for Role {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text).ok_or_else(|| format!("unknown role {text}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for role in [Role::Patient, Role::Doctor, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Admin"), None);
    }
}
