//! The staff attention queue: appointments the clinic must deal with by hand.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Why an appointment needs staff (the `attention_items.cause` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    DoctorInactive,
    DoctorBlocked,
    DoctorLeave,
    Holiday,
    HoursChanged,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DoctorInactive => "doctor_inactive",
            Self::DoctorBlocked => "doctor_blocked",
            Self::DoctorLeave => "doctor_leave",
            Self::Holiday => "holiday",
            Self::HoursChanged => "hours_changed",
        }
    }
}

/// Puts an appointment in the queue; an appointment already waiting there stays once.
/// Returns whether a new item was opened.
pub async fn open_item(
    conn: &mut PgConnection,
    appointment_id: i64,
    cause: Cause,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into attention_items (appointment_id, cause, created_at) values ($1, $2, $3)
         on conflict (appointment_id) where resolved_at is null do nothing",
    )
    .bind(appointment_id)
    .bind(cause.as_str())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}
