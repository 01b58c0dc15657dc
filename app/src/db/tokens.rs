//! One-time tokens, stored as their SHA-256 only (computed by PostgreSQL).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// What a one-time link is for (`one_time_tokens.purpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    PasswordReset,
    EmailVerification,
    Invitation,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::EmailVerification => "email_verification",
            Self::Invitation => "invitation",
        }
    }
}

/// Tokens of `purpose` issued to `user_id` since `since` (the rate limit).
pub async fn issued_since(
    conn: &mut PgConnection,
    user_id: i64,
    purpose: Purpose,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from one_time_tokens where user_id = $1 and purpose = $2 and created_at > $3",
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(since)
    .fetch_one(conn)
    .await
}

pub async fn insert(
    conn: &mut PgConnection,
    user_id: i64,
    purpose: Purpose,
    token: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into one_time_tokens (purpose, user_id, token_hash, created_at, expires_at)
         values ($1, $2, sha256(convert_to($3, 'UTF8')), $4, $5)",
    )
    .bind(purpose.as_str())
    .bind(user_id)
    .bind(token)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Uses the token once: the user it belongs to when it is of `purpose`, unused and not
/// expired — and from then on, never again (one statement: two redeemers cannot both win).
pub async fn redeem(
    conn: &mut PgConnection,
    purpose: Purpose,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "update one_time_tokens set used_at = $3
         where token_hash = sha256(convert_to($2, 'UTF8')) and purpose = $1
           and used_at is null and expires_at > $3
         returning user_id",
    )
    .bind(purpose.as_str())
    .bind(token)
    .bind(now)
    .fetch_optional(conn)
    .await
}
