//! Reading appointments. Object-level rules: a patient reaches only their own; a doctor
//! only their own patients' visits; staff all — and every doctor or staff read of a
//! patient's visit is written to the audit log in the same transaction.

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::visits};

pub use crate::wire::appointments::*;

/// The signed-in patient's appointments, newest first, each saying whether it can still
/// be changed online.
#[server(prefix = "/api", endpoint = "my_appointments")]
pub async fn my_appointments() -> Result<Vec<AppointmentView>, AppError> {
    request::respond(async { visits::mine(&request::as_patient().await?).await }.await)
}

/// One appointment, if the signed-in person may see it; otherwise "not found" (whether
/// it exists is not revealed).
#[server(prefix = "/api", endpoint = "appointment_detail")]
pub async fn appointment_detail(appointment_id: i64) -> Result<AppointmentView, AppError> {
    request::respond(
        async { visits::detail(&request::as_user().await?, appointment_id).await }.await,
    )
}

/// A visit with the patient's contact and its history: for its doctor and for staff (an
/// audited read); anyone else is told it cannot be found.
#[server(prefix = "/api", endpoint = "visit_record")]
pub async fn visit_record(appointment_id: i64) -> Result<VisitFile, AppError> {
    use domain::role::Role;
    request::respond(
        async {
            let call = request::as_role(&[Role::Doctor, Role::Admin]).await?;
            visits::record(&call, appointment_id).await
        }
        .await,
    )
}
