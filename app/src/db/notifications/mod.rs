//! The notification outbox: queueing messages (here), claiming and recording their
//! delivery (`delivery.rs`), and what staff and operators read of it (`reports.rs`).

use chrono::{DateTime, Utc};
use domain::notify::NotificationKind;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

mod delivery;
mod reports;

pub use delivery::*;
pub use reports::*;

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

/// Who hears about a patient's visits, and on which channels: the patient's own account
/// (email; SMS too when they gave a phone number and opted in) and every carer linked to
/// them now, on the carer's channels (`patient_recipients`). Empty for a patient recorded
/// by staff without an email address and without a carer: the staff tell them by phone.
pub async fn recipients(
    conn: &mut PgConnection,
    patient_id: i64,
) -> Result<Vec<(i64, Vec<Channel>)>, sqlx::Error> {
    let rows: Vec<(i64, bool)> = sqlx::query_as(
        "select user_id, phone is not null and sms_opt_in from patient_recipients
          where patient_id = $1 order by not is_self, user_id",
    )
    .bind(patient_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, sms)| {
            let mut channels = vec![Channel::Email];
            if sms {
                channels.push(Channel::Sms);
            }
            (user_id, channels)
        })
        .collect())
}

/// Queues the message about an appointment for each of the patient's [`recipients`] on
/// each of their channels, in one statement. Each row gets its own message id.
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
         select gen_random_uuid(), $1, c.channel, r.user_id, $3, $4, $5, $5
         from patient_recipients r cross join (values ('email'), ('sms')) as c (channel)
         where r.patient_id = $2
           and (c.channel = 'email' or (r.phone is not null and r.sms_opt_in))",
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

/// The appointment-change message to `recipient` still waiting to go out on `channel`, locked.
pub async fn pending_change(
    conn: &mut PgConnection,
    appointment_id: i64,
    recipient: i64,
    channel: Channel,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "select notification_id, kind from notifications
         where appointment_id = $1 and channel = $2 and status = 'pending' and recipient_user_id = $3
           and kind in ('appointment_booked', 'appointment_rescheduled', 'appointment_reassigned',
                        'appointment_cancelled', 'appointment_needs_attention')
         order by notification_id desc limit 1
         for update",
    )
    .bind(appointment_id)
    .bind(channel.as_str())
    .bind(recipient)
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

/// A message to queue: who gets it on which channel, about what, and when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewMessage {
    /// Stable across retries: the receiving side drops a repeat by it.
    pub message_id: Uuid,
    pub kind: NotificationKind,
    pub channel: Channel,
    pub recipient_user_id: i64,
    pub appointment_id: Option<i64>,
    pub due: DateTime<Utc>,
}

/// Queues `message` (a message id already queued is left alone).
pub async fn insert(
    conn: &mut PgConnection,
    message: NewMessage,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let NewMessage {
        message_id,
        kind,
        channel,
        recipient_user_id,
        appointment_id,
        due,
    } = message;
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
    queue_reminders_of(pool, NotificationKind::AppointmentReminder, lead, now).await
}

/// The same for the clinic's second reminder (`lead` before the visit), only for visits
/// the patient has not confirmed (rendering drops one confirmed since it was queued).
pub async fn queue_second_reminders(
    pool: &PgPool,
    lead: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    queue_reminders_of(pool, NotificationKind::AppointmentSecondReminder, lead, now).await
}

async fn queue_reminders_of(
    pool: &PgPool,
    kind: NotificationKind,
    lead: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    // The first reminder's ids are derived as they always were ('reminder:…'), so an
    // upgrade never sends one twice; a carer's copy adds the carer's account.
    let (id_prefix, unconfirmed_only) = match kind {
        NotificationKind::AppointmentSecondReminder => ("reminder2:", true),
        _ => ("reminder:", false),
    };
    Ok(sqlx::query(
        "insert into notifications (message_id, kind, channel, recipient_user_id, appointment_id,
                                    next_attempt_at, created_at, updated_at)
         select md5($3 || a.appointment_id || ':' || extract(epoch from a.start_time)::bigint || ':' || ch.channel
                    || case when r.is_self then '' else ':' || r.user_id end)::uuid,
                $4, ch.channel, r.user_id, a.appointment_id, $1, $1, $1
         from appointments a
         join patient_recipients r on r.patient_id = a.patient_id
         cross join lateral (select 'email' as channel
                             union all
                             select 'sms' where r.phone is not null and r.sms_opt_in) ch
         where a.status = 'booked'
           and (not $5 or a.confirmed_at is null)
           and a.start_time > $1
           and a.start_time - $2 <= $1
           and a.updated_at <= a.start_time - $2
         on conflict (message_id) do nothing",
    )
    .bind(now)
    .bind(lead)
    .bind(id_prefix)
    .bind(kind.as_str())
    .bind(unconfirmed_only)
    .execute(pool)
    .await?
    .rows_affected())
}

/// Queues a text to `to_phone` (an answer to one it sent), due at once.
pub async fn insert_sms_reply(
    conn: &mut PgConnection,
    to_phone: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notifications (message_id, kind, channel, to_phone, body, next_attempt_at,
                                    created_at, updated_at)
         values ($1, 'sms_reply', 'sms', $2, $3, $4, $4, $4)",
    )
    .bind(Uuid::new_v4())
    .bind(to_phone)
    .bind(body)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Drops every text not sent yet to the patients with this number (they said STOP):
/// messages to their accounts and earlier answers to the number. Returns how many.
pub async fn supersede_texts_to(
    conn: &mut PgConnection,
    phone: &str,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "update notifications set status = 'superseded', secret = null, updated_at = $2
          where channel = 'sms' and status = 'pending'
            and (to_phone = $1
                 or recipient_user_id in (select user_id from patients
                                           where phone = $1 and user_id is not null))",
    )
    .bind(phone)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}
