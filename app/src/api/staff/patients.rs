//! Patients as staff find, read and record them — including someone who called by phone
//! and has no online account.

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::staff};

pub use crate::wire::staff::patients::*;

/// Patients whose name, email or phone contains `query` (at least 2 characters), 25 a
/// page. Each patient listed is an audited read.
#[server(prefix = "/api", endpoint = "find_patients")]
pub async fn find_patients(query: String, page: Option<u32>) -> Result<PatientPage, AppError> {
    request::respond(
        async {
            staff::patients::find(&request::as_staff().await?, query, page.unwrap_or(0)).await
        }
        .await,
    )
}

/// One patient with their appointments (an audited read).
#[server(prefix = "/api", endpoint = "open_patient")]
pub async fn open_patient(patient_id: i64) -> Result<PatientFile, AppError> {
    request::respond(
        async { staff::patients::file(&request::as_staff().await?, patient_id).await }.await,
    )
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
    use crate::services::staff::patients::{self, NewPatient};
    let input = NewPatient {
        first_name,
        last_name,
        email,
        phone,
        invite: invite.is_some_and(|v| !v.is_empty() && v != "false"),
    };
    request::respond(async { patients::record(&request::as_staff().await?, input).await }.await)
}

/// Sends (again) the invitation to choose a password.
#[server(prefix = "/api", endpoint = "invite_patient")]
pub async fn invite_patient(patient_id: i64) -> Result<(), AppError> {
    request::respond(
        async { staff::patients::invite(&request::as_staff().await?, patient_id).await }.await,
    )
}
