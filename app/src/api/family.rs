//! Family accounts for patients: the people they look after, and who may manage their
//! own visits. Each function acts only on the signed-in patient's own links.

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::family};

pub use crate::wire::family::*;

#[server(prefix = "/api", endpoint = "my_family")]
pub async fn my_family() -> Result<FamilyView, AppError> {
    request::respond(async { family::mine(&request::as_patient().await?).await }.await)
}

/// Whom the signed-in patient may book for (themselves first).
#[server(prefix = "/api", endpoint = "booking_for")]
pub async fn booking_for() -> Result<Vec<PersonChoice>, AppError> {
    request::respond(async { family::booking_for(&request::as_patient().await?).await }.await)
}

/// Adds someone the patient looks after; returns their (new) patient id.
#[server(prefix = "/api", endpoint = "add_person")]
pub async fn add_person(
    first_name: String,
    last_name: String,
    /// `YYYY-MM-DD`.
    date_of_birth: String,
    relationship: String,
    email: Option<String>,
    phone: Option<String>,
) -> Result<i64, AppError> {
    request::respond(
        async {
            let call = request::as_patient().await?;
            let form = family::PersonForm {
                first_name,
                last_name,
                date_of_birth,
                relationship,
                email: email.unwrap_or_default(),
                phone: phone.unwrap_or_default(),
            };
            family::add_person(&call, form).await
        }
        .await,
    )
}

/// The patient stops looking after `patient_id` (their visit history stays with the clinic).
#[server(prefix = "/api", endpoint = "remove_person")]
pub async fn remove_person(patient_id: i64) -> Result<(), AppError> {
    request::respond(
        async { family::remove_person(&request::as_patient().await?, patient_id).await }.await,
    )
}

/// Invites someone the patient looks after to a login of their own (at `email`, or the
/// address on file).
#[server(prefix = "/api", endpoint = "invite_person")]
pub async fn invite_person(patient_id: i64, email: Option<String>) -> Result<(), AppError> {
    request::respond(
        async {
            family::invite_person(
                &request::as_patient().await?,
                patient_id,
                email.unwrap_or_default(),
            )
            .await
        }
        .await,
    )
}

/// The patient takes a carer's access to their visits away.
#[server(prefix = "/api", endpoint = "revoke_carer")]
pub async fn revoke_carer(carer_patient_id: i64) -> Result<(), AppError> {
    request::respond(
        async { family::revoke_carer(&request::as_patient().await?, carer_patient_id).await }.await,
    )
}

/// The patient lets a former carer manage their visits again.
#[server(prefix = "/api", endpoint = "regrant_carer")]
pub async fn regrant_carer(carer_patient_id: i64) -> Result<(), AppError> {
    request::respond(
        async { family::regrant_carer(&request::as_patient().await?, carer_patient_id).await }
            .await,
    )
}
