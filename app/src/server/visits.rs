//! Reading one visit: the object-level check (a patient their own, a doctor their own
//! patients' visits, staff all; anyone else "not found") and, for doctors and staff, the
//! audited read of rule 8 — in the same transaction as the read.

use crate::server::audit::{self, Outcome};
use crate::server::auth::guard;
use crate::server::auth::session::CurrentUser;
use crate::server::db;
use crate::server::state::app_state;
use crate::wire::appointments::{AppointmentView, VisitEvent, VisitFile};
use crate::AppError;
use domain::audit::AuditAction;
use domain::role::Role;
use sqlx::PgConnection;

/// The visit if `user` may see it, with its patient's id; audited when `user` is not
/// the patient.
pub async fn checked_view(
    conn: &mut PgConnection,
    user: &CurrentUser,
    appointment_id: i64,
) -> Result<(AppointmentView, i64), AppError> {
    let Some((view, patient_id, doctor_id)) = db::appointments::view(conn, appointment_id).await?
    else {
        return Err(AppError::NotFound);
    };
    let allowed = match user.role {
        Role::Patient => user.patient_id == Some(patient_id),
        Role::Doctor => user.doctor_id == Some(doctor_id),
        Role::Admin => true,
    };
    if !allowed {
        return Err(AppError::NotFound);
    }
    if user.role != Role::Patient {
        let entry = audit::Entry {
            actor_user_id: Some(user.user_id),
            actor_role: user.role.into(),
            action: AuditAction::AppointmentRead,
            patient_id: Some(patient_id),
            target: Some(format!("appointment:{appointment_id}")),
            outcome: Outcome::Success,
            request_id: guard::request_id().await,
        };
        audit::record(conn, &entry).await?;
    }
    Ok((view, patient_id))
}

/// A visit as its doctor or staff see it: with the patient's contact and the history of
/// changes.
pub async fn record(appointment_id: i64) -> Result<VisitFile, AppError> {
    let user = guard::require_role(&[Role::Doctor, Role::Admin]).await?;
    let state = app_state()?;
    let mut tx = state.pool.begin().await?;
    let (visit, patient_id) = checked_view(&mut tx, &user, appointment_id).await?;
    let (email, phone) = db::appointments::patient_contact(&mut tx, patient_id).await?;
    let history = db::appointments::events(&mut tx, appointment_id)
        .await?
        .into_iter()
        .map(|e| VisitEvent {
            at: e.created_at,
            kind: e.kind,
            by: e.actor_role,
            old_start: e.old_start_time,
            new_start: e.new_start_time,
            old_doctor: e.old_doctor,
            new_doctor: e.new_doctor,
        })
        .collect();
    tx.commit().await?;
    Ok(VisitFile {
        visit,
        patient_id,
        patient_email: email,
        patient_phone: phone,
        history,
    })
}
