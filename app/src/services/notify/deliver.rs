//! The delivery worker: claims due messages with `FOR UPDATE SKIP LOCKED` (safe with any
//! number of workers and server instances), sends them, records the outcome; failures
//! retry with exponential backoff and jitter, then become dead (kept for staff to retry).

use chrono::{DateTime, Duration, Utc};
use domain::notify::{retry_backoff, NotificationKind, MAX_ATTEMPTS};
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::notifications::{self as outbox, Claimed};
use crate::services::notify::channels::{Channels, Sms};
use crate::services::notify::render::render;
use crate::services::visit_links;

/// How long a claim lasts; a worker that dies mid-send loses its claim after this.
pub const CLAIM_FOR: Duration = Duration::minutes(2);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: u32,
    pub retrying: u32,
    pub dead: u32,
    pub superseded: u32,
}

impl DeliveryReport {
    pub fn handled(&self) -> u32 {
        self.sent + self.retrying + self.dead + self.superseded
    }
}

enum Outcome {
    Sent,
    Superseded,
    Failed(String),
}

/// Delivers one batch of due messages. Returns what happened to each.
#[tracing::instrument(skip_all)]
pub async fn deliver_due(
    pool: &PgPool,
    channels: &Channels,
    now: DateTime<Utc>,
    batch: i64,
) -> Result<DeliveryReport, sqlx::Error> {
    let claimed = outbox::claim_due(pool, now, CLAIM_FOR, batch).await?;
    let mut report = DeliveryReport::default();
    for message in claimed {
        match deliver_one(pool, channels, &message, now).await {
            Ok(Outcome::Sent) => {
                outbox::mark_sent(pool, message.notification_id, now).await?;
                report.sent += 1;
            }
            Ok(Outcome::Superseded) => {
                outbox::mark_superseded(pool, message.notification_id, now).await?;
                report.superseded += 1;
            }
            Ok(Outcome::Failed(error)) | Err(error) => {
                let attempts = message.attempts.max(1) as u32;
                let retry_at = (attempts < MAX_ATTEMPTS)
                    .then(|| now + retry_backoff(attempts, jitter(message.message_id, attempts)));
                // Ids only in logs: the error text (which may name the address) stays in the row.
                tracing::warn!(
                    notification_id = message.notification_id,
                    attempts,
                    dead = retry_at.is_none(),
                    "delivery failed"
                );
                outbox::mark_failed(pool, message.notification_id, &error, retry_at, now).await?;
                if retry_at.is_some() {
                    report.retrying += 1;
                } else {
                    report.dead += 1;
                }
            }
        }
    }
    Ok(report)
}

/// A number in [0, 1) that differs per message and attempt (spreads retries out).
fn jitter(message_id: Uuid, attempt: u32) -> f64 {
    let bytes = message_id.as_bytes();
    let n = u16::from_le_bytes([
        bytes[(attempt as usize) % 16],
        bytes[(attempt as usize + 7) % 16],
    ]);
    f64::from(n) / 65536.0
}

async fn deliver_one(
    pool: &PgPool,
    channels: &Channels,
    message: &Claimed,
    now: DateTime<Utc>,
) -> Result<Outcome, String> {
    let kind = NotificationKind::parse(&message.kind).ok_or("unknown notification kind")?;
    if kind == NotificationKind::SmsReply {
        return send_reply(channels, message).await;
    }
    let ctx = outbox::message_context(
        pool,
        message
            .recipient_user_id
            .ok_or("a message without its recipient")?,
        message.appointment_id,
        message.waitlist_offer_id,
    )
    .await
    .map_err(|e| format!("loading the message context: {e}"))?
    .ok_or("recipient no longer exists")?;
    let visit_links = match (kind, message.appointment_id, ctx.start_time) {
        (
            NotificationKind::AppointmentBooked
            | NotificationKind::AppointmentRescheduled
            | NotificationKind::AppointmentReassigned
            | NotificationKind::AppointmentReminder
            | NotificationKind::AppointmentSecondReminder,
            Some(appointment_id),
            Some(start),
        ) if ctx.appointment_status.as_deref() == Some("booked") && start > now => {
            let mut conn = pool
                .acquire()
                .await
                .map_err(|e| format!("making the visit's links: {e}"))?;
            Some(
                visit_links::issue(&mut conn, appointment_id, start, now)
                    .await
                    .map_err(|e| format!("making the visit's links: {e}"))?,
            )
        }
        _ => None,
    };
    let Some(rendered) = render(
        kind,
        &ctx,
        message.appointment_id,
        message.secret.as_deref(),
        &channels.links,
        visit_links.as_ref(),
        now,
    ) else {
        return Ok(Outcome::Superseded);
    };
    let result = match message.channel.as_str() {
        "email" => {
            let email = channels.email(&ctx.email, message.message_id, &rendered)?;
            channels.mailer.send(email).await
        }
        "sms" if !ctx.sms_opt_in => return Ok(Outcome::Superseded),
        "sms" => match (&channels.sms, &ctx.phone) {
            (Some(sender), Some(phone)) => {
                let sms = Sms {
                    to: phone.clone(),
                    body: rendered.sms.clone(),
                    message_id: message.message_id,
                };
                sender.send(&sms).await
            }
            (None, _) => Err("SMS is not configured on this server".to_owned()),
            (_, None) => return Ok(Outcome::Superseded),
        },
        other => Err(format!("unknown channel {other}")),
    };
    Ok(match result {
        Ok(()) => Outcome::Sent,
        Err(error) => Outcome::Failed(error),
    })
}

/// An answer to a text the clinic received: to the number it came from, whatever that
/// number's choice about texts (a STOP is answered once, as carriers require).
async fn send_reply(channels: &Channels, message: &Claimed) -> Result<Outcome, String> {
    let (Some(to), Some(body)) = (&message.to_phone, &message.body) else {
        return Err("an SMS reply without its number or words".to_owned());
    };
    let Some(sender) = &channels.sms else {
        return Err("SMS is not configured on this server".to_owned());
    };
    let sms = Sms {
        to: to.clone(),
        body: body.clone(),
        message_id: message.message_id,
    };
    Ok(match sender.send(&sms).await {
        Ok(()) => Outcome::Sent,
        Err(error) => Outcome::Failed(error),
    })
}

/// Queues due reminders (see `queue_due_reminders`).
pub async fn queue_reminders(
    pool: &PgPool,
    lead: Duration,
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let first = outbox::queue_due_reminders(pool, lead, now).await?;
    // The clinic's second reminder, if it has one: only to visits not confirmed yet.
    let second = match crate::db::settings::second_reminder(pool).await? {
        Some(lead2) if lead2 < lead => outbox::queue_second_reminders(pool, lead2, now).await?,
        _ => 0,
    };
    Ok(first + second)
}
