//! The wire and view types of `api::appointments`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use chrono::{DateTime, Utc};
use domain::booking::AppointmentStatus;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentView {
    pub appointment_id: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub appointment_type_id: i64,
    pub type_name: String,
    pub doctor_name: String,
    /// Shown to the doctor and staff; the patient knows who they are.
    pub patient_name: Option<String>,
    /// Private: the patient's own words, for them and their doctor.
    pub reason: Option<String>,
    pub change_count: u32,
    /// "Booked by the clinic" / "Changed by the clinic" / "Cancelled by the clinic" when
    /// staff made the booking or its latest change.
    pub clinic_note: Option<String>,
    /// Why the patient cannot cancel online now (`None`: they can).
    pub cancel_blocked: Option<String>,
    /// Why the patient cannot move it online now (`None`: they can).
    pub reschedule_blocked: Option<String>,
    /// When the patient confirmed they will come, and how (`link`, `sms`, `staff`).
    pub confirmed_at: Option<DateTime<Utc>>,
    pub confirmed_via: Option<String>,
    /// Cancelled by the patient themselves (not by the clinic).
    pub cancelled_by_patient: bool,
    /// For a carer: the first name of the person the visit is for (none: their own).
    #[serde(default)]
    pub for_name: Option<String>,
    /// "Booked by <carer> for <patient>": the carer's name when someone who looks after
    /// the patient booked it (shown to doctors, staff and the carer).
    #[serde(default)]
    pub booked_by_carer: Option<String>,
}

impl AppointmentView {
    /// What the clinic knows of the patient's intent, for Today and the calendars:
    /// "Confirmed", "Not confirmed yet" or "Cancelled by the patient" (`None` for a visit
    /// that is over, or cancelled by the clinic).
    pub fn attendance(&self) -> Option<&'static str> {
        match self.status {
            AppointmentStatus::Booked if self.confirmed_at.is_some() => Some("Confirmed"),
            AppointmentStatus::Booked => Some("Not confirmed yet"),
            AppointmentStatus::Cancelled if self.cancelled_by_patient => {
                Some("Cancelled by the patient")
            }
            _ => None,
        }
    }
}

/// One change in a visit's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitEvent {
    pub at: DateTime<Utc>,
    /// `booked`, `rescheduled`, `cancelled`, `reassigned`, `completed`, `no_show`
    pub kind: String,
    /// `patient`, `doctor`, `admin` or `system`
    pub by: String,
    pub old_start: Option<DateTime<Utc>>,
    pub new_start: Option<DateTime<Utc>>,
    pub old_doctor: Option<String>,
    pub new_doctor: Option<String>,
}

/// A visit as its doctor and the staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitFile {
    pub visit: AppointmentView,
    pub patient_id: i64,
    pub patient_email: Option<String>,
    pub patient_phone: Option<String>,
    pub history: Vec<VisitEvent>,
    /// Answers to the visit type's intake questions: (question as asked, answer).
    pub answers: Vec<(String, String)>,
}

/// The intake answers as a description list's items (question, answer).
pub fn answer_label(answer: &str) -> String {
    match answer {
        "yes" => "Yes".to_owned(),
        "no" => "No".to_owned(),
        other => other.to_owned(),
    }
}
