//! The staff portal, server side: each function takes the staff member's call (the
//! server function checked the role when it built it).

pub mod appointments;
pub mod attention;
pub mod audit_export;
pub mod clinic;
pub mod doctors;
pub mod family;
pub mod operations;
pub mod patients;
pub mod today;
pub mod visit_types;
pub mod waitlist;

use crate::services::audit::{self, Outcome};
use crate::services::call::{Call, Staff};
use domain::audit::{AuditAction, AuditActor};
use sqlx::PgConnection;

/// Audits a staff action (or read) about one patient or object.
pub(crate) async fn audit_staff(
    conn: &mut PgConnection,
    call: &Call<Staff>,
    action: AuditAction,
    patient_id: Option<i64>,
    target: String,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    let entry = audit::Entry {
        actor_user_id: Some(call.who.user.user_id),
        actor_role: AuditActor::Admin,
        action,
        patient_id,
        target: Some(target),
        outcome: Outcome::Success,
        request_id: call.request_id.clone(),
    };
    audit::record_with_detail(conn, &entry, detail).await
}

/// Audits a staff read of each of `patient_ids` (a list shown), in one statement.
pub(crate) async fn audit_staff_reads(
    conn: &mut PgConnection,
    call: &Call<Staff>,
    action: AuditAction,
    patient_ids: &[i64],
) -> Result<(), sqlx::Error> {
    let entry = audit::Entry {
        actor_user_id: Some(call.who.user.user_id),
        actor_role: AuditActor::Admin,
        action,
        patient_id: None,
        target: None,
        outcome: Outcome::Success,
        request_id: call.request_id.clone(),
    };
    audit::record_reads(conn, &entry, patient_ids).await
}
