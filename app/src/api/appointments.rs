//! Reading appointments. Object-level rules: a patient reaches only their own; a doctor
//! only their own patients' visits; staff all — and every doctor or staff read of a
//! patient's visit is written to the audit log in the same transaction.

use leptos::prelude::*;

use crate::AppError;

pub use crate::wire::appointments::*;

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
    use crate::server::{auth::guard, db, state::app_state, visits};
    use domain::role::Role;
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

/// A visit with the patient's contact and its history: for its doctor and for staff (an
/// audited read); anyone else is told it cannot be found.
#[server(prefix = "/api", endpoint = "visit_record")]
pub async fn visit_record(appointment_id: i64) -> Result<VisitFile, AppError> {
    crate::server::respond(crate::server::visits::record(appointment_id).await)
}
