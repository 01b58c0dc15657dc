//! The wire and view types of `api::staff::clinic`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use crate::wire::appointments::AppointmentView;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
}

/// What closing a day did, or would do, to its booked visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingOutcome {
    pub moved: u32,
    pub queued: u32,
}

/// A visit waiting for staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionItem {
    pub item_id: i64,
    /// Why: the doctor's leave or block, a holiday, changed hours, an inactive doctor.
    pub cause: String,
    pub waiting_since: DateTime<Utc>,
    pub patient_id: i64,
    pub visit: AppointmentView,
    /// The visit's own time when a colleague is free then, and the nearest open times
    /// for the same visit type (any doctor).
    pub suggestions: Vec<DateTime<Utc>>,
}
