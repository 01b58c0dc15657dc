//! The wire and view types of `api::staff::patients`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use crate::wire::appointments::AppointmentView;
use serde::{Deserialize, Serialize};

/// Where a patient stands with online access.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnlineAccess {
    /// Recorded without an email address: no online access, no automatic messages.
    NoEmail,
    /// Recorded with an address; has not chosen a password (may have been invited).
    NotYetSignedUp,
    /// Signed up; the address is not confirmed yet.
    Unconfirmed,
    Active,
    Disabled,
}

impl OnlineAccess {
    pub fn describe(self) -> &'static str {
        match self {
            Self::NoEmail => "No email address: no online account, no automatic messages",
            Self::NotYetSignedUp => "Has not chosen a password yet",
            Self::Unconfirmed => "Signed up, address not confirmed yet",
            Self::Active => "Online account in use",
            Self::Disabled => "Online account disabled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientSummary {
    pub patient_id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub access: OnlineAccess,
    /// Booked visits still to come.
    pub upcoming: i64,
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientPage {
    pub rows: Vec<PatientSummary>,
    pub page: u32,
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientFile {
    pub patient: PatientSummary,
    /// Their user row, if they have one (to disable or re-enable online access).
    pub user_id: Option<i64>,
    pub sms_opt_in: bool,
    /// Newest first.
    pub appointments: Vec<AppointmentView>,
}
