//! "I'll be there": the patient confirms a booked visit — from a message's link, by a text,
//! on their visit's page, or to staff on the phone. Recorded once (the time, how), with a history event and an
//! audit row in the same transaction; confirming again changes nothing. A moved visit
//! needs a new confirmation (`db::appointments::move_to` clears it).

use chrono::{DateTime, Utc};
use domain::audit::{AuditAction, AuditActor};
use domain::booking::{AppointmentStatus, BookingError};
use sqlx::PgPool;

use crate::db::{self, appointments::Appointment};
use crate::error::AppError;
use crate::services::audit;

use super::{change::lock_for_change, ActingRole, ActingUser};

/// How the patient said so (`appointments.confirmed_via`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmedVia {
    Link,
    Sms,
    /// The patient's own visit page, signed in.
    Web,
    Staff,
}

impl ConfirmedVia {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Sms => "sms",
            Self::Web => "web",
            Self::Staff => "staff",
        }
    }
}

/// Confirms the visit. Returns it and whether this call recorded the confirmation (false:
/// it was confirmed already). A visit that is not booked, or has started, is refused.
#[tracing::instrument(skip_all, fields(appointment_id))]
pub async fn confirm_attendance(
    pool: &PgPool,
    by: &ActingUser,
    appointment_id: i64,
    via: ConfirmedVia,
    now: DateTime<Utc>,
) -> Result<(Appointment, bool), AppError> {
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, by, appointment_id).await?;
    if current.status != AppointmentStatus::Booked || current.start <= now {
        let status = if current.status == AppointmentStatus::Booked {
            AppointmentStatus::Completed
        } else {
            current.status
        };
        return Err(BookingError::NotChangeable { status }.into());
    }
    let recorded =
        db::appointments::set_confirmed(&mut tx, appointment_id, via.as_str(), now).await?;
    if recorded {
        let role = by.role_name();
        db::appointments::record_event(
            &mut tx,
            &db::appointments::Event {
                appointment_id,
                kind: "confirmed",
                actor_user_id: Some(by.user_id),
                actor_role: role,
                old: None,
                new: None,
                override_reason: None,
            },
            now,
        )
        .await?;
        let entry = audit::Entry {
            actor_user_id: Some(by.user_id),
            actor_role: match by.role {
                ActingRole::Patient { .. } => AuditActor::Patient,
                ActingRole::Staff { .. } => AuditActor::Admin,
            },
            action: AuditAction::AppointmentConfirm,
            patient_id: Some(current.patient_id),
            target: Some(format!("appointment:{appointment_id}")),
            outcome: audit::Outcome::Success,
            request_id: by.request_id.clone(),
        };
        audit::record_with_detail(&mut tx, &entry, Some(via.as_str())).await?;
    }
    tx.commit().await?;
    Ok((current, recorded))
}
