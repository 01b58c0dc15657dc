//! The notification outbox.

use chrono::{DateTime, Utc};
use domain::notify::NotificationKind;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }
}

/// The channels a patient is reached on: email always, SMS when they gave a phone number
/// and opted in. `None`: a patient recorded by staff without an email address, who gets
/// no automatic messages (the staff tell them by phone).
pub async fn patient_channels(
    conn: &mut PgConnection,
    patient_id: i64,
) -> Result<Option<(i64, Vec<Channel>)>, sqlx::Error> {
    let (user_id, sms): (Option<i64>, bool) = sqlx::query_as(
        "select user_id, phone is not null and sms_opt_in from patients where patient_id = $1",
    )
    .bind(patient_id)
    .fetch_one(conn)
    .await?;
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    let mut channels = vec![Channel::Email];
    if sms {
        channels.push(Channel::Sms);
    }
    Ok(Some((user_id, channels)))
}

/// Queues the message about an appointment on each of the patient's channels (email when
/// they have an online account, text messages too when they opted in with a phone), in
/// one statement; none for a patient without an account. Each row gets its own message id.
pub async fn insert_for_patient(
    conn: &mut PgConnection,
    kind: NotificationKind,
    patient_id: i64,
    appointment_id: i64,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notifications (message_id, kind, channel, recipient_user_id, appointment_id,
                                    next_attempt_at, created_at, updated_at)
         select gen_random_uuid(), $1, c.channel, p.user_id, $3, $4, $5, $5
         from patients p cross join (values ('email'), ('sms')) as c (channel)
         where p.patient_id = $2 and p.user_id is not null
           and (c.channel = 'email' or (p.phone is not null and p.sms_opt_in))",
    )
    .bind(kind.as_str())
    .bind(patient_id)
    .bind(appointment_id)
    .bind(due)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The appointment-change message still waiting to go out on `channel`, locked.
pub async fn pending_change(
    conn: &mut PgConnection,
    appointment_id: i64,
    channel: Channel,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "select notification_id, kind from notifications
         where appointment_id = $1 and channel = $2 and status = 'pending'
           and kind in ('appointment_booked', 'appointment_rescheduled', 'appointment_reassigned',
                        'appointment_cancelled', 'appointment_needs_attention')
         order by notification_id desc limit 1
         for update",
    )
    .bind(appointment_id)
    .bind(channel.as_str())
    .fetch_optional(conn)
    .await
}

pub async fn retarget(
    conn: &mut PgConnection,
    notification_id: i64,
    kind: NotificationKind,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update notifications set kind = $2, next_attempt_at = $3, updated_at = $4 where notification_id = $1")
        .bind(notification_id)
        .bind(kind.as_str())
        .bind(due)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut PgConnection,
    message_id: Uuid,
    kind: NotificationKind,
    channel: Channel,
    recipient_user_id: i64,
    appointment_id: Option<i64>,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notifications (message_id, kind, channel, recipient_user_id, appointment_id,
                                    next_attempt_at, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $7)
         on conflict (message_id) do nothing",
    )
    .bind(message_id)
    .bind(kind.as_str())
    .bind(channel.as_str())
    .bind(recipient_user_id)
    .bind(appointment_id)
    .bind(due)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues an email carrying a one-time link, due at once; `secret` (the link's token) is
/// erased when the outcome is recorded.
pub async fn insert_with_secret(
    conn: &mut PgConnection,
    kind: NotificationKind,
    recipient_user_id: i64,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notifications (message_id, kind, channel, recipient_user_id, next_attempt_at,
                                    secret, created_at, updated_at)
         values ($1, $2, 'email', $3, $4, $5, $4, $4)",
    )
    .bind(Uuid::new_v4())
    .bind(kind.as_str())
    .bind(recipient_user_id)
    .bind(now)
    .bind(secret)
    .execute(conn)
    .await?;
    Ok(())
}

/// Messages of `kind` queued for a user since `since` (a rate limit on account mail).
pub async fn sent_recently(
    conn: &mut PgConnection,
    user_id: i64,
    kind: NotificationKind,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from notifications where recipient_user_id = $1 and kind = $2 and created_at > $3",
    )
    .bind(user_id)
    .bind(kind.as_str())
    .bind(since)
    .fetch_one(conn)
    .await
}

/// A moved or cancelled appointment's queued reminder is no longer true.
pub async fn supersede_pending_reminders(
    conn: &mut PgConnection,
    appointment_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update notifications set status = 'superseded', updated_at = $2
         where appointment_id = $1 and kind = 'appointment_reminder' and status = 'pending'",
    )
    .bind(appointment_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues one reminder per channel for every booked appointment whose reminder moment
/// (start − lead) has come, unless it was booked or moved after that moment (the
/// confirmation then suffices). The message id is derived from (appointment, start,
/// channel), so running this again — or on another instance, or after a restart — adds
/// nothing, while a moved appointment gets a fresh reminder for its new time.
pub async fn queue_due_reminders(
    pool: &PgPool,
    lead: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "insert into notifications (message_id, kind, channel, recipient_user_id, appointment_id,
                                    next_attempt_at, created_at, updated_at)
         select md5('reminder:' || a.appointment_id || ':' || extract(epoch from a.start_time)::bigint || ':' || ch.channel)::uuid,
                'appointment_reminder', ch.channel, p.user_id, a.appointment_id, $1, $1, $1
         from appointments a
         join patients p on p.patient_id = a.patient_id
         cross join lateral (select 'email' as channel
                             union all
                             select 'sms' where p.phone is not null and p.sms_opt_in) ch
         where a.status = 'booked' and p.user_id is not null
           and a.start_time > $1
           and a.start_time - $2 <= $1
           and a.updated_at <= a.start_time - $2
         on conflict (message_id) do nothing",
    )
    .bind(now)
    .bind(lead)
    .execute(pool)
    .await?
    .rows_affected())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub notification_id: i64,
    pub message_id: Uuid,
    pub kind: String,
    pub channel: String,
    pub recipient_user_id: i64,
    pub appointment_id: Option<i64>,
    pub attempts: i32,
    /// A one-time link's token, for messages that carry one.
    pub secret: Option<String>,
}

/// Claims up to `limit` due messages for this worker, skipping rows other workers hold,
/// and reclaiming ones whose claim lapsed (their worker died mid-send).
pub async fn claim_due(
    pool: &PgPool,
    now: DateTime<Utc>,
    claim_for: chrono::Duration,
    limit: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    sqlx::query_as(
        "update notifications n
         set status = 'sending', claimed_until = $1 + $2, attempts = n.attempts + 1, updated_at = $1
         where n.notification_id in (
             select notification_id from notifications
             where (status = 'pending' and next_attempt_at <= $1) or (status = 'sending' and claimed_until <= $1)
             order by next_attempt_at
             limit $3
             for update skip locked)
         returning n.notification_id, n.message_id, n.kind, n.channel, n.recipient_user_id, n.appointment_id, n.attempts, n.secret",
    )
    .bind(now)
    .bind(claim_for)
    .bind(limit)
    .fetch_all(pool)
    .await
}

pub async fn mark_sent(
    pool: &PgPool,
    notification_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update notifications set status = 'sent', sent_at = $2, claimed_until = null, last_error = null,
                                  secret = null, updated_at = $2
         where notification_id = $1",
    )
    .bind(notification_id)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Nothing to send any more (e.g. a reminder for an appointment since cancelled).
pub async fn mark_superseded(
    pool: &PgPool,
    notification_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update notifications set status = 'superseded', claimed_until = null, secret = null, updated_at = $2 where notification_id = $1")
        .bind(notification_id)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}

/// A failed attempt: retry at `retry_at`, or give up (`None`) and keep it as dead.
pub async fn mark_failed(
    pool: &PgPool,
    notification_id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let error: String = error.chars().take(1000).collect();
    sqlx::query(
        "update notifications
         set status = case when $3::timestamptz is null then 'dead' else 'pending' end,
             next_attempt_at = coalesce($3, next_attempt_at), claimed_until = null,
             secret = case when $3::timestamptz is null then null else secret end,
             last_error = $2, updated_at = $4
         where notification_id = $1",
    )
    .bind(notification_id)
    .bind(error)
    .bind(retry_at)
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

/// Puts dead messages back in the queue (staff "retry").
pub async fn retry_dead(
    pool: &PgPool,
    notification_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update notifications set status = 'pending', attempts = 0, next_attempt_at = $2, updated_at = $2
         where notification_id = any($1) and status = 'dead'",
    )
    .bind(notification_ids)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeadMessage {
    pub notification_id: i64,
    pub kind: String,
    pub channel: String,
    pub appointment_id: Option<i64>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
}

pub async fn dead_messages(pool: &PgPool) -> Result<Vec<DeadMessage>, sqlx::Error> {
    sqlx::query_as(
        "select notification_id, kind, channel, appointment_id, attempts, last_error, updated_at
         from notifications where status = 'dead' order by updated_at desc limit 500",
    )
    .fetch_all(pool)
    .await
}

/// Everything a message needs, read when it is sent (so it shows the final state).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageContext {
    pub email: String,
    pub first_name: Option<String>,
    pub phone: Option<String>,
    /// Read when sending, not when queueing: a patient who turns text messages off stops
    /// receiving them at once, including those already queued.
    pub sms_opt_in: bool,
    pub appointment_status: Option<String>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    pub type_name: Option<String>,
    pub doctor_name: Option<String>,
    pub ics_sequence: Option<i32>,
    pub clinic_name: String,
    pub clinic_phone: String,
    pub clinic_email: String,
    pub clinic_address: String,
    pub time_zone: String,
    pub change_freeze_minutes: i32,
}

pub async fn message_context(
    pool: &PgPool,
    user_id: i64,
    appointment_id: Option<i64>,
) -> Result<Option<MessageContext>, sqlx::Error> {
    sqlx::query_as(
        "select u.email, coalesce(p.first_name, d.first_name) as first_name, p.phone,
                coalesce(p.sms_opt_in, false) as sms_opt_in,
                a.status as appointment_status, a.start_time, a.end_time, t.name as type_name,
                'Dr. ' || ad.first_name || ' ' || ad.last_name as doctor_name, a.ics_sequence,
                s.clinic_name, s.clinic_phone, s.clinic_email, s.clinic_address, s.time_zone,
                s.change_freeze_minutes
         from users u
         left join patients p on p.user_id = u.user_id
         left join doctors d on d.user_id = u.user_id
         left join appointments a on a.appointment_id = $2
         left join appointment_types t on t.appointment_type_id = a.appointment_type_id
         left join doctors ad on ad.doctor_id = a.doctor_id
         cross join clinic_settings s
         where u.user_id = $1",
    )
    .bind(user_id)
    .bind(appointment_id)
    .fetch_optional(pool)
    .await
}

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
