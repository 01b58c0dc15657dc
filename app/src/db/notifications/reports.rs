//! The outbox as staff and operators see it: a visit's messages, the outbox list, counts
//! and gauges.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageState {
    pub kind: String,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// The messages about one appointment, oldest first (state only, never contents).
pub async fn of_appointment(
    pool: &PgPool,
    appointment_id: i64,
) -> Result<Vec<MessageState>, sqlx::Error> {
    sqlx::query_as(
        "select kind, channel, status, attempts, created_at, sent_at from notifications
         where appointment_id = $1 order by created_at, notification_id",
    )
    .bind(appointment_id)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRecord {
    pub notification_id: i64,
    pub kind: String,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub appointment_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
}

/// The outbox newest first, optionally of one status.
pub async fn staff_list(
    pool: &PgPool,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<OutboxRecord>, sqlx::Error> {
    sqlx::query_as(
        "select notification_id, kind, channel, status, attempts, last_error, appointment_id,
                created_at, next_attempt_at
         from notifications where ($1::text is null or status = $1)
         order by notification_id desc limit $2 offset $3",
    )
    .bind(status)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}

/// How many messages are in each status.
pub async fn counts(pool: &PgPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select s.status, (select count(*) from notifications n where n.status = s.status)
         from unnest(array['pending', 'sending', 'sent', 'dead', 'superseded']) as s (status)",
    )
    .fetch_all(pool)
    .await
}

/// Messages given up on, or waiting to retry after a failed attempt.
pub async fn failing_count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from notifications
         where status = 'dead' or (status = 'pending' and attempts > 0)",
    )
    .fetch_one(pool)
    .await
}

/// Messages by state (dead, pending, sending) with the oldest pending one's age in
/// seconds. The partial indexes on pending/sending and dead messages keep this cheap
/// however many messages were sent.
pub async fn outbox_gauges(pool: &PgPool) -> Result<Vec<(String, i64, Option<f64>)>, sqlx::Error> {
    sqlx::query_as(
        "select 'dead', (select count(*) from notifications where status = 'dead'), null::float8
         union all
         select 'pending', count(*), extract(epoch from now() - min(created_at))::float8
           from notifications where status = 'pending'
         union all
         select 'sending', (select count(*) from notifications where status = 'sending'), null",
    )
    .fetch_all(pool)
    .await
}
