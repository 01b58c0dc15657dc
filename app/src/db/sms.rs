//! Texts the clinic receives: each gateway message id seen once, and the cancellations a
//! number asked for by text, waiting for the second `X`.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Records the gateway's message id; false when it was seen before (a repeat: answered
/// once). Concurrent repeats wait on each other here, and only the first goes on.
pub async fn first_sight(
    conn: &mut PgConnection,
    gateway_message_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into sms_inbound (gateway_message_id, received_at, outcome) values ($1, $2, 'received')
         on conflict (gateway_message_id) do nothing",
    )
    .bind(gateway_message_id)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected()
        == 1)
}

/// What the text did (e.g. `confirm`, `cancel_asked`, `stop`), never its words.
pub async fn record_outcome(
    conn: &mut PgConnection,
    gateway_message_id: &str,
    outcome: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update sms_inbound set outcome = $2 where gateway_message_id = $1")
        .bind(gateway_message_id)
        .bind(outcome)
        .execute(conn)
        .await?;
    Ok(())
}

/// The visit this number asked to cancel since `since`, taking the request away (an
/// older request is taken away too, and does not count).
pub async fn take_cancel_request(
    conn: &mut PgConnection,
    phone: &str,
    since: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let taken: Option<(i64, DateTime<Utc>)> = sqlx::query_as(
        "delete from sms_cancel_requests where phone = $1 returning appointment_id, asked_at",
    )
    .bind(phone)
    .fetch_optional(conn)
    .await?;
    Ok(taken.filter(|(_, asked)| *asked >= since).map(|(id, _)| id))
}

/// "Reply X again to cancel": remembers the visit this number asked to cancel.
pub async fn ask_cancel(
    conn: &mut PgConnection,
    phone: &str,
    appointment_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into sms_cancel_requests (phone, appointment_id, asked_at) values ($1, $2, $3)
         on conflict (phone) do update set appointment_id = $2, asked_at = $3",
    )
    .bind(phone)
    .bind(appointment_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets what can no longer matter: texts seen before `seen_before` and requests to
/// cancel made before `asked_before`.
pub async fn prune(
    conn: &mut PgConnection,
    seen_before: DateTime<Utc>,
    asked_before: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let seen = sqlx::query("delete from sms_inbound where received_at < $1")
        .bind(seen_before)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let asked = sqlx::query("delete from sms_cancel_requests where asked_at < $1")
        .bind(asked_before)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(seen + asked)
}
