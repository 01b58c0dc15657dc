//! One-time links: password reset now; email verification and invitations later use the
//! same mechanism. A token is 256 random bits, sent once by email and stored only as its
//! SHA-256; it works once, until it expires, and each person gets only a few per hour.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;

use crate::db::{self, tokens::Purpose};

/// At most this many links of one purpose per person per hour (the rest are not sent).
pub const PER_HOUR: i64 = 3;

/// A fresh token: 256 bits from the operating system's generator, URL-safe.
pub fn new_token() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Issues a token for `user_id`, or `None` when they had [`PER_HOUR`] already.
pub async fn issue(
    conn: &mut PgConnection,
    user_id: i64,
    purpose: Purpose,
    valid_for: Duration,
    now: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    if db::tokens::issued_since(conn, user_id, purpose, now - Duration::hours(1)).await? >= PER_HOUR
    {
        return Ok(None);
    }
    let token = new_token();
    db::tokens::insert(conn, user_id, purpose, &token, now, now + valid_for).await?;
    Ok(Some(token))
}

/// The user a valid token belongs to; the token is spent.
pub async fn redeem(
    conn: &mut PgConnection,
    purpose: Purpose,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    // Anything but our own token format is not worth a query.
    if token.len() != 43
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    db::tokens::redeem(conn, purpose, token, now).await
}
