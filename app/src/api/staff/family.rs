//! Family links as staff keep them (each change with a reason, audited).

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::staff};

pub use crate::wire::family::{CarerView, PersonView, StaffFamilyView};

/// Whom a patient looks after and who looks after them (an audited read).
#[server(prefix = "/api", endpoint = "staff_family")]
pub async fn staff_family(patient_id: i64) -> Result<StaffFamilyView, AppError> {
    request::respond(
        async { staff::family::of(&request::as_staff().await?, patient_id).await }.await,
    )
}

/// Adds a new person (without a login) to the family of `carer_patient_id`.
#[server(prefix = "/api", endpoint = "staff_add_person")]
#[allow(clippy::too_many_arguments)]
pub async fn staff_add_person(
    carer_patient_id: i64,
    first_name: String,
    last_name: String,
    date_of_birth: String,
    relationship: String,
    email: Option<String>,
    phone: Option<String>,
    reason: String,
) -> Result<i64, AppError> {
    request::respond(
        async {
            let form = crate::services::family::PersonForm {
                first_name,
                last_name,
                date_of_birth,
                relationship,
                email: email.unwrap_or_default(),
                phone: phone.unwrap_or_default(),
            };
            staff::family::add_person(&request::as_staff().await?, carer_patient_id, form, reason)
                .await
        }
        .await,
    )
}

/// Links an existing patient to a carer.
#[server(prefix = "/api", endpoint = "staff_link_person")]
pub async fn staff_link_person(
    carer_patient_id: i64,
    patient_id: i64,
    relationship: String,
    reason: String,
) -> Result<(), AppError> {
    request::respond(
        async {
            staff::family::link(
                &request::as_staff().await?,
                carer_patient_id,
                patient_id,
                relationship,
                reason,
            )
            .await
        }
        .await,
    )
}

/// Ends the link between a carer and a patient.
#[server(prefix = "/api", endpoint = "staff_unlink_person")]
pub async fn staff_unlink_person(
    carer_patient_id: i64,
    patient_id: i64,
    reason: String,
) -> Result<(), AppError> {
    request::respond(
        async {
            staff::family::unlink(
                &request::as_staff().await?,
                carer_patient_id,
                patient_id,
                reason,
            )
            .await
        }
        .await,
    )
}

/// Invites a person someone looks after to their own login.
#[server(prefix = "/api", endpoint = "staff_invite_person")]
pub async fn staff_invite_person(patient_id: i64, email: Option<String>) -> Result<(), AppError> {
    request::respond(
        async {
            staff::family::invite(
                &request::as_staff().await?,
                patient_id,
                email.unwrap_or_default(),
            )
            .await
        }
        .await,
    )
}
