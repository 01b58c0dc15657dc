//! Clinic settings, the notification outbox and the audit log, staff side.

// The settings form sends one argument per policy (a plain HTML form's wire format), in
// the server and the browser builds alike.
#![allow(clippy::too_many_arguments)]

use chrono::{DateTime, Utc};
use domain::bounded::BoundedDate;
use domain::ClinicPolicyInput;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicSettings {
    pub clinic_name: String,
    pub clinic_phone: String,
    pub clinic_email: String,
    pub clinic_address: String,
    pub policy: ClinicPolicyInput,
}

/// The clinic's details and policy as stored.
#[server(prefix = "/api", endpoint = "get_clinic_settings")]
pub async fn get_clinic_settings() -> Result<ClinicSettings, AppError> {
    crate::server::respond(crate::server::staff::operations::settings().await)
}

/// Saves the clinic's details and policy; each bad value is named. Audited with every
/// old and new value. Returns what changed, in words.
#[server(prefix = "/api", endpoint = "update_settings")]
pub async fn update_settings(
    clinic_name: String,
    clinic_phone: String,
    clinic_email: String,
    clinic_address: String,
    time_zone: String,
    slot_minutes: String,
    booking_horizon_days: String,
    min_notice_minutes: String,
    hold_minutes: String,
    change_freeze_minutes: String,
    max_changes_per_appointment: String,
    max_active_appointments: String,
    reminder_lead_minutes: String,
    notification_debounce_minutes: String,
) -> Result<Vec<String>, AppError> {
    use crate::server::staff::operations::{self, SettingsForm};
    let form = SettingsForm {
        clinic_name,
        clinic_phone,
        clinic_email,
        clinic_address,
        numbers: [
            ("slot_minutes", slot_minutes),
            ("booking_horizon_days", booking_horizon_days),
            ("min_notice_minutes", min_notice_minutes),
            ("hold_minutes", hold_minutes),
            ("change_freeze_minutes", change_freeze_minutes),
            ("max_changes_per_appointment", max_changes_per_appointment),
            ("max_active_appointments", max_active_appointments),
            ("reminder_lead_minutes", reminder_lead_minutes),
            (
                "notification_debounce_minutes",
                notification_debounce_minutes,
            ),
        ],
        time_zone,
    };
    crate::server::respond(operations::update_settings(form).await)
}

/// One outbox row as staff see it: state, attempts, the last error with addresses
/// removed — never the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRow {
    pub notification_id: i64,
    pub kind: String,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub appointment_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxPage {
    /// (status, count) for every status.
    pub counts: Vec<(String, i64)>,
    pub rows: Vec<OutboxRow>,
    pub page: u32,
    pub more: bool,
}

/// The outbox, newest first, optionally of one status (`pending`, `sending`, `sent`,
/// `dead`, `superseded`); 50 a page.
#[server(prefix = "/api", endpoint = "outbox")]
pub async fn outbox(status: Option<String>, page: Option<u32>) -> Result<OutboxPage, AppError> {
    crate::server::respond(
        crate::server::staff::operations::outbox(status, page.unwrap_or(0)).await,
    )
}

/// Queues dead messages again: one (`notification_id`), or all of them.
#[server(prefix = "/api", endpoint = "retry_notifications")]
pub async fn retry_notifications(notification_id: Option<i64>) -> Result<u64, AppError> {
    crate::server::respond(crate::server::staff::operations::retry(notification_id).await)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub chain_seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub patient_id: Option<i64>,
    pub target: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub page: u32,
    pub more: bool,
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
    use crate::server::staff::operations::{self, AuditFilter};
    let filter = AuditFilter {
        patient_id,
        actor,
        action,
        from: from.map(Into::into),
        to: to.map(Into::into),
    };
    crate::server::respond(operations::audit(filter, page.unwrap_or(0)).await)
}

/// The audit chain checked from the first row: intact, or the first broken row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainCheck {
    pub intact: bool,
    pub rows: i64,
    pub broken_at: Option<i64>,
    pub problem: Option<String>,
}

#[server(prefix = "/api", endpoint = "verify_audit_chain")]
pub async fn verify_audit_chain() -> Result<ChainCheck, AppError> {
    crate::server::respond(crate::server::staff::operations::verify_chain().await)
}
