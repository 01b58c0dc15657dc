//! The wire and view types of `api::family` and the staff's family functions: the people
//! a patient looks after, and who may manage a patient's visits.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A person someone looks after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub patient_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub age: Option<u32>,
    /// How the carer is related to them ("Parent").
    pub relationship: String,
    /// Their own address and number, when given (messages go there too).
    pub email: Option<String>,
    pub phone: Option<String>,
    /// They chose a password: they manage their own visits (the link then ends).
    pub has_login: bool,
    /// Booked visits still to come.
    pub upcoming: i64,
}

/// Someone who may manage (or could, before) a patient's visits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarerView {
    pub carer_patient_id: i64,
    pub name: String,
    pub relationship: String,
    /// Linked now.
    pub live: bool,
    /// How the link ended: "removed", "unlinked", "revoked" or "own_login".
    pub ended_reason: Option<String>,
}

/// The signed-in patient's family page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyView {
    /// The people they look after now.
    pub people: Vec<PersonView>,
    /// Who may manage their own visits, or did.
    pub carers: Vec<CarerView>,
}

/// Whom a patient may book for: themselves first, then the people they look after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonChoice {
    pub patient_id: i64,
    pub first_name: String,
    pub is_self: bool,
}

/// A patient's family as the staff see it on the patient's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffFamilyView {
    pub cares_for: Vec<PersonView>,
    pub carers: Vec<CarerView>,
}
