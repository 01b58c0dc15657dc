//! PRODUCT.md rule 6: what happens to appointments whose doctor can no longer see them
//! (account disabled now; blocks, leave, holidays and changed hours with the doctor
//! portal and staff portal). It runs inside the transaction that makes the time
//! unavailable, so no appointment is left behind.
//!
//! Today every affected appointment goes to the staff attention queue, keeping its slots,
//! and its patient is told the clinic will contact them. The doctor portal's reassignment
//! engine will first try to move each to another doctor free at the same time.

use chrono::{DateTime, Utc};
use domain::notify::NotificationKind;
use domain::ClinicPolicy;
use sqlx::PgConnection;

use crate::server::db::{self, attention::Cause};
use crate::server::notify;
use crate::AppError;

/// What became of the affected appointments.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub queued: u32,
}

/// Queues each `(appointment id, patient id)` for staff and notifies its patient.
pub async fn appointments_unavailable(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    affected: &[(i64, i64)],
    cause: Cause,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    let mut outcome = Outcome::default();
    for &(appointment_id, patient_id) in affected {
        if db::attention::open_item(conn, appointment_id, cause, now).await? {
            notify::appointment_changed(
                conn,
                policy,
                appointment_id,
                patient_id,
                NotificationKind::AppointmentNeedsAttention,
                now,
            )
            .await?;
            outcome.queued += 1;
        }
    }
    Ok(outcome)
}

/// A doctor's account was disabled: they are no longer offered or assigned, and their
/// upcoming visits go through rule 6. Locks the doctor's row first, so bookings in flight
/// for them finish before the visits are gathered (see `db::doctors::lock_if_bookable`).
pub async fn doctor_deactivated(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    doctor_id: i64,
    now: DateTime<Utc>,
) -> Result<Outcome, AppError> {
    let affected = db::doctors::upcoming_appointments(conn, doctor_id, now).await?;
    appointments_unavailable(conn, policy, &affected, Cause::DoctorInactive, now).await
}
