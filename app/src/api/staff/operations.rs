//! Clinic settings, the notification outbox and the audit log, staff side.

use domain::bounded::BoundedDate;
use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::staff};

pub use crate::wire::staff::operations::*;

/// The clinic's details and policy as stored.
#[server(prefix = "/api", endpoint = "get_clinic_settings")]
pub async fn get_clinic_settings() -> Result<ClinicSettings, AppError> {
    request::respond(async { staff::operations::settings(&request::as_staff().await?).await }.await)
}

/// Saves the clinic's details and policy; each bad value is named. Audited with every
/// old and new value. Returns what changed, in words.
#[server(prefix = "/api", endpoint = "update_settings")]
pub async fn update_settings(
    #[server(flatten)] form: SettingsForm,
) -> Result<Vec<String>, AppError> {
    request::respond(
        async { staff::operations::update_settings(&request::as_staff().await?, form).await }.await,
    )
}

/// The outbox, newest first, optionally of one status (`pending`, `sending`, `sent`,
/// `dead`, `superseded`); 50 a page.
#[server(prefix = "/api", endpoint = "outbox")]
pub async fn outbox(status: Option<String>, page: Option<u32>) -> Result<OutboxPage, AppError> {
    request::respond(
        async {
            staff::operations::outbox(&request::as_staff().await?, status, page.unwrap_or(0)).await
        }
        .await,
    )
}

/// Queues dead messages again: one (`notification_id`), or all of them.
#[server(prefix = "/api", endpoint = "retry_notifications")]
pub async fn retry_notifications(notification_id: Option<i64>) -> Result<u64, AppError> {
    request::respond(
        async { staff::operations::retry(&request::as_staff().await?, notification_id).await }
            .await,
    )
}

/// Audit rows, newest first, filtered by patient, actor (email, part of it), action
/// (prefix, e.g. `appointment.`) and local dates; 100 a page.
#[server(prefix = "/api", endpoint = "audit_log")]
pub async fn audit_log(
    patient_id: Option<i64>,
    actor: Option<String>,
    action: Option<String>,
    from: Option<BoundedDate>,
    to: Option<BoundedDate>,
    page: Option<u32>,
) -> Result<AuditPage, AppError> {
    use crate::services::staff::operations::{self, AuditFilter};
    let filter = AuditFilter {
        patient_id,
        actor,
        action,
        from: from.map(Into::into),
        to: to.map(Into::into),
    };
    request::respond(
        async { operations::audit(&request::as_staff().await?, filter, page.unwrap_or(0)).await }
            .await,
    )
}

#[server(prefix = "/api", endpoint = "verify_audit_chain")]
pub async fn verify_audit_chain() -> Result<ChainCheck, AppError> {
    request::respond(
        async { staff::operations::verify_chain(&request::as_staff().await?).await }.await,
    )
}

/// The settings of two-way messages (second reminder, phone numbers' country).
#[server(prefix = "/api", endpoint = "get_message_settings")]
pub async fn get_message_settings() -> Result<MessageSettingsForm, AppError> {
    request::respond(
        async { staff::operations::message_settings(&request::as_staff().await?).await }.await,
    )
}

/// Saves the settings of two-way messages; each bad value is named; audited old → new.
#[server(prefix = "/api", endpoint = "update_message_settings")]
pub async fn update_message_settings(
    #[server(flatten)] form: MessageSettingsForm,
) -> Result<Vec<String>, AppError> {
    request::respond(
        async {
            staff::operations::update_message_settings(&request::as_staff().await?, form).await
        }
        .await,
    )
}
