//! Patients as staff find, read and record them — including someone who called by phone
//! and has no online account.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::appointments::AppointmentView;
use crate::AppError;

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

/// Patients whose name, email or phone contains `query` (at least 2 characters), 25 a
/// page. Each patient listed is an audited read.
#[server(prefix = "/api", endpoint = "find_patients")]
pub async fn find_patients(query: String, page: Option<u32>) -> Result<PatientPage, AppError> {
    crate::server::respond(crate::server::staff::patients::find(query, page.unwrap_or(0)).await)
}

/// One patient with their appointments (an audited read).
#[server(prefix = "/api", endpoint = "open_patient")]
pub async fn open_patient(patient_id: i64) -> Result<PatientFile, AppError> {
    crate::server::respond(crate::server::staff::patients::file(patient_id).await)
}

/// Records a patient who called: a name, and a phone number or email address (or both).
/// With an address and `invite`, they get a one-time link to choose a password.
#[server(prefix = "/api", endpoint = "record_patient")]
pub async fn record_patient(
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    invite: Option<String>,
) -> Result<i64, AppError> {
    use crate::server::staff::patients::{self, NewPatient};
    let input = NewPatient {
        first_name,
        last_name,
        email,
        phone,
        invite: invite.is_some_and(|v| !v.is_empty() && v != "false"),
    };
    crate::server::respond(patients::record(input).await)
}

/// Sends (again) the invitation to choose a password.
#[server(prefix = "/api", endpoint = "invite_patient")]
pub async fn invite_patient(patient_id: i64) -> Result<(), AppError> {
    crate::server::respond(crate::server::staff::patients::invite(patient_id).await)
}
