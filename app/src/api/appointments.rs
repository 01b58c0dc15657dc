//! Reading appointments. Object-level rules: a patient reaches only their own; a doctor
//! only their own patients' visits; staff all — and every doctor or staff read of a
//! patient's visit is written to the audit log in the same transaction.

use chrono::{DateTime, Utc};
use domain::booking::AppointmentStatus;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

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
}

/// The signed-in patient's appointments, newest first, each saying whether it can still
/// be changed online.
#[server(prefix = "/api", endpoint = "my_appointments")]
pub async fn my_appointments() -> Result<Vec<AppointmentView>, AppError> {
    use crate::server::{auth::guard, db, patient::explain_blocks, state::app_state};
    crate::server::respond(
        async {
            let (_, patient_id) = guard::require_patient().await?;
            let state = app_state()?;
            let policy = db::settings::clinic_policy(&state.pool).await?;
            let now = chrono::Utc::now();
            let mut views = db::appointments::views_for_patient(&state.pool, patient_id).await?;
            views
                .iter_mut()
                .for_each(|v| explain_blocks(v, &policy, now));
            Ok(views)
        }
        .await,
    )
}

/// One appointment, if the signed-in person may see it; otherwise "not found" (whether
/// it exists is not revealed).
#[server(prefix = "/api", endpoint = "appointment_detail")]
pub async fn appointment_detail(appointment_id: i64) -> Result<AppointmentView, AppError> {
    use crate::api::auth::Role;
    use crate::server::{auth::guard, db, state::app_state, visits};
    crate::server::respond(
        async {
            let user = guard::require_user().await?;
            let state = app_state()?;
            let mut tx = state.pool.begin().await?;
            let (mut view, _) = visits::checked_view(&mut tx, &user, appointment_id).await?;
            tx.commit().await?;
            if user.role == Role::Patient {
                view.patient_name = None;
                let policy = db::settings::clinic_policy(&state.pool).await?;
                crate::server::patient::explain_blocks(&mut view, &policy, chrono::Utc::now());
            }
            Ok(view)
        }
        .await,
    )
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
}

/// A visit with the patient's contact and its history: for its doctor and for staff (an
/// audited read); anyone else is told it cannot be found.
#[server(prefix = "/api", endpoint = "visit_record")]
pub async fn visit_record(appointment_id: i64) -> Result<VisitFile, AppError> {
    crate::server::respond(crate::server::visits::record(appointment_id).await)
}
