//! The one-action links of confirmations and reminders ("I'll be there", "Cancel this
//! visit", "Find another time"): stored as the SHA-256 of their token (computed by
//! PostgreSQL), one visit and one purpose each, good until the visit starts.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// What a visit link is for (`visit_links.purpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Confirm,
    Cancel,
    Move,
}

impl LinkPurpose {
    pub const ALL: [Self; 3] = [Self::Confirm, Self::Cancel, Self::Move];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirm => "confirm",
            Self::Cancel => "cancel",
            Self::Move => "move",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

pub async fn insert(
    conn: &mut PgConnection,
    appointment_id: i64,
    purpose: LinkPurpose,
    token: &str,
    issued_start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into visit_links (appointment_id, purpose, token_hash, issued_start, expires_at,
                                  created_at)
         values ($1, $2, sha256(convert_to($3, 'UTF8')), $4, $4, $5)",
    )
    .bind(appointment_id)
    .bind(purpose.as_str())
    .bind(token)
    .bind(issued_start)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A link and the visit it is for, as they are now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRecord {
    pub visit_link_id: i64,
    pub purpose: String,
    pub issued_start: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub appointment_id: i64,
    pub appointment_type_id: i64,
    pub patient_id: i64,
    pub patient_user_id: Option<i64>,
    pub status: String,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub change_count: i32,
    pub type_name: String,
    pub doctor_name: String,
}

pub async fn by_token(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<LinkRecord>, sqlx::Error> {
    sqlx::query_as(
        "select l.visit_link_id, l.purpose, l.issued_start, l.expires_at, l.used_at,
                a.appointment_id, a.appointment_type_id, a.patient_id, p.user_id as patient_user_id,
                a.status, a.start_time, a.end_time, a.confirmed_at, a.change_count,
                t.name as type_name, doctor_display_name(d.first_name, d.last_name) as doctor_name
           from visit_links l
           join appointments a using (appointment_id)
           join patients p on p.patient_id = a.patient_id
           join appointment_types t on t.appointment_type_id = a.appointment_type_id
           join doctors d on d.doctor_id = a.doctor_id
          where l.token_hash = sha256(convert_to($1, 'UTF8'))",
    )
    .bind(token)
    .fetch_optional(conn)
    .await
}

/// Spends the link: true when this call did (two pressing at once: one wins).
pub async fn mark_used(
    conn: &mut PgConnection,
    visit_link_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "update visit_links set used_at = $2 where visit_link_id = $1 and used_at is null",
    )
    .bind(visit_link_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// Forgets links whose visit started before `before` (they can never work again).
pub async fn prune(conn: &mut PgConnection, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("delete from visit_links where expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?
        .rows_affected())
}
