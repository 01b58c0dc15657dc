//! Notifications (PRODUCT.md rule 7): every appointment change and account event puts a
//! row in the outbox **in the same transaction** as the change; nothing is sent inside a
//! request. The worker (`deliver`) sends due rows at least once, and each message carries
//! a stable id so a repeat after an unknown outcome is recognisable as the same message.
//! Several changes to one appointment within the debounce time become one message that
//! describes the final state (rendered at send time).

pub mod channels;
pub mod deliver;
pub mod render;

use chrono::{DateTime, Utc};
use domain::notify::{merge_pending, NotificationKind};
use domain::ClinicPolicy;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::notifications::{self as outbox, Channel};

/// Queues the message about a change to an appointment, merging it with a message about
/// the same appointment that has not gone out yet.
pub async fn appointment_changed(
    conn: &mut PgConnection,
    policy: &ClinicPolicy,
    appointment_id: i64,
    patient_id: i64,
    kind: NotificationKind,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let due = now + policy.notification_debounce();
    if kind == NotificationKind::AppointmentBooked {
        // A visit just booked has no message waiting to merge with: one insert for the
        // patient's channels (the hot path of every booking).
        outbox::insert_for_patient(conn, kind, patient_id, appointment_id, due, now).await?;
        return Ok(());
    }
    outbox::supersede_pending_reminders(conn, appointment_id, now).await?;
    for (user_id, channels) in outbox::recipients(conn, patient_id).await? {
        for channel in channels {
            queue_change(conn, appointment_id, user_id, channel, kind, due, now).await?;
        }
    }
    Ok(())
}

/// One recipient's message about the change on one channel: merged into the one still
/// waiting, or a new one.
async fn queue_change(
    conn: &mut PgConnection,
    appointment_id: i64,
    user_id: i64,
    channel: Channel,
    kind: NotificationKind,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    match outbox::pending_change(conn, appointment_id, user_id, channel).await? {
        Some((notification_id, pending)) => {
            let pending = NotificationKind::parse(&pending).unwrap_or(kind);
            outbox::retarget(
                conn,
                notification_id,
                merge_pending(pending, kind),
                due,
                now,
            )
            .await
        }
        None => {
            let message = outbox::NewMessage {
                message_id: Uuid::new_v4(),
                kind,
                channel,
                recipient_user_id: user_id,
                appointment_id: Some(appointment_id),
                due,
            };
            outbox::insert(conn, message, now).await
        }
    }
}

/// Queues an account message (welcome, password changed) by email, due at once.
pub async fn account_event(
    conn: &mut PgConnection,
    user_id: i64,
    kind: NotificationKind,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let message = outbox::NewMessage {
        message_id: Uuid::new_v4(),
        kind,
        channel: Channel::Email,
        recipient_user_id: user_id,
        appointment_id: None,
        due: now,
    };
    outbox::insert(conn, message, now).await
}
