//! The staff attention queue: appointments the clinic must deal with by hand.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

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

/// Resolves the open item of an appointment, if it has one.
pub async fn resolve_for_appointment(
    conn: &mut PgConnection,
    appointment_id: i64,
    by_user_id: i64,
    resolution: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update attention_items set resolved_at = $4, resolved_by_user_id = $2, resolution = $3
         where appointment_id = $1 and resolved_at is null",
    )
    .bind(appointment_id)
    .bind(by_user_id)
    .bind(resolution)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Records how staff resolved an item (resolving it, if the change did not already).
pub async fn record_resolution(
    conn: &mut PgConnection,
    item_id: i64,
    by_user_id: i64,
    resolution: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update attention_items
         set resolved_at = coalesce(resolved_at, $4),
             resolved_by_user_id = coalesce(resolved_by_user_id, $2), resolution = $3
         where attention_item_id = $1",
    )
    .bind(item_id)
    .bind(by_user_id)
    .bind(resolution)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenItem {
    pub attention_item_id: i64,
    pub appointment_id: i64,
    pub cause: String,
    pub created_at: DateTime<Utc>,
}

/// The open items, oldest first.
pub async fn open_items(pool: &PgPool, limit: i64) -> Result<Vec<OpenItem>, sqlx::Error> {
    sqlx::query_as(
        "select attention_item_id, appointment_id, cause, created_at from attention_items
         where resolved_at is null order by created_at, attention_item_id limit $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// One open item.
pub async fn open_item_by_id(pool: &PgPool, item_id: i64) -> Result<Option<OpenItem>, sqlx::Error> {
    sqlx::query_as(
        "select attention_item_id, appointment_id, cause, created_at from attention_items
         where attention_item_id = $1 and resolved_at is null",
    )
    .bind(item_id)
    .fetch_optional(pool)
    .await
}

pub async fn open_count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from attention_items where resolved_at is null")
        .fetch_one(pool)
        .await
}
