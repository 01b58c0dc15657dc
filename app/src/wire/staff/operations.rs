//! The wire and view types of `api::staff::operations`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use chrono::{DateTime, Utc};
use domain::ClinicPolicyInput;
use serde::{Deserialize, Serialize};

/// The settings form as typed. Numbers stay text until parsed, so a letter in a number
/// field gets a message naming it; all text, so it travels flattened into the server
/// function's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsForm {
    pub clinic_name: String,
    pub clinic_phone: String,
    pub clinic_email: String,
    pub clinic_address: String,
    pub time_zone: String,
    pub slot_minutes: String,
    pub booking_horizon_days: String,
    pub min_notice_minutes: String,
    pub hold_minutes: String,
    pub change_freeze_minutes: String,
    pub max_changes_per_appointment: String,
    pub max_active_appointments: String,
    pub reminder_lead_minutes: String,
    pub notification_debounce_minutes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicSettings {
    pub clinic_name: String,
    pub clinic_phone: String,
    pub clinic_email: String,
    pub clinic_address: String,
    pub policy: ClinicPolicyInput,
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

/// The audit chain checked from the first row: intact, or the first broken row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainCheck {
    pub intact: bool,
    pub rows: i64,
    pub broken_at: Option<i64>,
    pub problem: Option<String>,
}

/// The settings of two-way messages as typed: the second reminder (minutes before a
/// visit; blank: none) and the country of phone numbers typed without a country code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSettingsForm {
    pub second_reminder_minutes: String,
    pub phone_region: String,
}
