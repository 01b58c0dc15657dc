//! The wire and view types of `api::staff::appointments`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use crate::wire::appointments::AppointmentView;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAppointment {
    pub patient_id: i64,
    pub view: AppointmentView,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentPage {
    pub rows: Vec<StaffAppointment>,
    pub page: u32,
    pub more: bool,
}

/// One message the clinic sent (or tried to) about an appointment: never its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRow {
    pub kind: String,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}
