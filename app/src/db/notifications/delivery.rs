//! Delivering the outbox: claiming due messages, recording each attempt, dead letters
//! and the context a message is rendered from.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub notification_id: i64,
    pub message_id: Uuid,
    pub kind: String,
    pub channel: String,
    /// `None` for an SMS reply, which goes to `to_phone` with its `body`.
    pub recipient_user_id: Option<i64>,
    pub appointment_id: Option<i64>,
    pub attempts: i32,
    pub to_phone: Option<String>,
    pub body: Option<String>,
    /// A one-time link's token, for messages that carry one.
    pub secret: Option<String>,
    /// The waitlist offer a `waitlist_offer` message is about.
    pub waitlist_offer_id: Option<i64>,
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
         returning n.notification_id, n.message_id, n.kind, n.channel, n.recipient_user_id, n.appointment_id, n.attempts, n.secret, n.waitlist_offer_id,
                   n.to_phone, n.body",
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
    /// Whether the patient confirmed the visit ("I'll be there").
    pub confirmed: Option<bool>,
    pub clinic_name: String,
    pub clinic_phone: String,
    pub clinic_email: String,
    pub clinic_address: String,
    pub time_zone: String,
    pub change_freeze_minutes: i32,
    /// A waitlist offer's time, type, doctor and expiry, and whether it is still open.
    pub offer_start: Option<DateTime<Utc>>,
    pub offer_end: Option<DateTime<Utc>>,
    pub offer_type_name: Option<String>,
    pub offer_doctor_name: Option<String>,
    pub offer_expires_at: Option<DateTime<Utc>>,
    pub offer_open: Option<bool>,
    /// The first name of the person the visit (or offer) is for, when that is not the
    /// recipient: a carer hears about the people they care for.
    pub for_first_name: Option<String>,
}

pub async fn message_context(
    pool: &PgPool,
    user_id: i64,
    appointment_id: Option<i64>,
    waitlist_offer_id: Option<i64>,
) -> Result<Option<MessageContext>, sqlx::Error> {
    sqlx::query_as(
        "select u.email, coalesce(p.first_name, d.first_name) as first_name, p.phone,
                coalesce(p.sms_opt_in, false) as sms_opt_in,
                a.status as appointment_status, a.start_time, a.end_time, t.name as type_name,
                doctor_display_name(ad.first_name, ad.last_name) as doctor_name, a.ics_sequence,
                a.confirmed_at is not null as confirmed,
                s.clinic_name, s.clinic_phone, s.clinic_email, s.clinic_address, s.time_zone,
                s.change_freeze_minutes,
                o.start_time as offer_start,
                o.start_time + make_interval(mins => s.slot_minutes * ot.slot_count) as offer_end,
                ot.name as offer_type_name,
                doctor_display_name(od.first_name, od.last_name) as offer_doctor_name,
                f.expires_at as offer_expires_at,
                f.outcome is null and o.closed_at is null as offer_open,
                case when ap.patient_id <> p.patient_id then ap.first_name end as for_first_name
         from users u
         left join patients p on p.user_id = u.user_id
         left join doctors d on d.user_id = u.user_id
         left join appointments a on a.appointment_id = $2
         left join appointment_types t on t.appointment_type_id = a.appointment_type_id
         left join doctors ad on ad.doctor_id = a.doctor_id
         left join waitlist_offers f on f.offer_id = $3
         left join waitlist_openings o on o.opening_id = f.opening_id
         left join appointment_types ot on ot.appointment_type_id = o.appointment_type_id
         left join doctors od on od.doctor_id = o.doctor_id
         left join patients ap on ap.patient_id = coalesce(a.patient_id, f.patient_id)
         cross join clinic_settings s
         where u.user_id = $1",
    )
    .bind(user_id)
    .bind(appointment_id)
    .bind(waitlist_offer_id)
    .fetch_optional(pool)
    .await
}
