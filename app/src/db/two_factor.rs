//! Two-step sign-in: each person's sealed authenticator secret, their recovery codes
//! (SHA-256 only, computed by PostgreSQL) and wrong-code attempts.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// A person's authenticator secret, sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotpFactor {
    pub secret_sealed: Vec<u8>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub last_step: Option<i64>,
}

pub async fn factor(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<Option<TotpFactor>, sqlx::Error> {
    sqlx::query_as(
        "select secret_sealed, confirmed_at, last_step from totp_factors where user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

/// The factor, its row locked until the transaction ends: one person's code attempts
/// are judged one at a time (throttling and "a code works once" hold under bursts).
pub async fn factor_for_update(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<Option<TotpFactor>, sqlx::Error> {
    sqlx::query_as(
        "select secret_sealed, confirmed_at, last_step from totp_factors where user_id = $1
         for update",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await
}

/// Whether `user_id` has a confirmed second step.
pub async fn is_on(conn: &mut PgConnection, user_id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from totp_factors where user_id = $1 and confirmed_at is not null)",
    )
    .bind(user_id)
    .fetch_one(conn)
    .await
}

/// Starts (or restarts) an enrolment with a new sealed secret, unconfirmed. Refuses
/// (returns false) when a confirmed factor exists: replacing one goes through removal.
pub async fn start_enrolment(
    conn: &mut PgConnection,
    user_id: i64,
    secret_sealed: &[u8],
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query(
        "insert into totp_factors (user_id, secret_sealed, created_at) values ($1, $2, $3)
         on conflict (user_id) do update set secret_sealed = excluded.secret_sealed,
             created_at = excluded.created_at, last_step = null
         where totp_factors.confirmed_at is null",
    )
    .bind(user_id)
    .bind(secret_sealed)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(rows == 1)
}

/// Accepts the code of time step `step`: only if it is later than the last one accepted
/// (a code works once, even when two arrive at the same moment: the row is updated
/// under its lock). Confirms an enrolment on the way. Returns whether it was accepted.
pub async fn accept_step(
    conn: &mut PgConnection,
    user_id: i64,
    step: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query(
        "update totp_factors set last_step = $2, confirmed_at = coalesce(confirmed_at, $3)
         where user_id = $1 and (last_step is null or last_step < $2)",
    )
    .bind(user_id)
    .bind(step)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(rows == 1)
}

/// Removes the authenticator app factor (recovery codes stay: see [`remove_recovery_codes`]).
/// Returns whether there was one.
pub async fn remove(conn: &mut PgConnection, user_id: i64) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query("delete from totp_factors where user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(rows == 1)
}

/// Removes the person's recovery codes.
pub async fn remove_recovery_codes(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from recovery_codes where user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces the person's recovery codes with `codes` (the old ones stop working).
pub async fn replace_recovery_codes(
    conn: &mut PgConnection,
    user_id: i64,
    codes: &[String],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from recovery_codes where user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into recovery_codes (user_id, code_hash, created_at)
         select $1, sha256(convert_to(code, 'UTF8')), $3 from unnest($2::text[]) as c (code)",
    )
    .bind(user_id)
    .bind(codes)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Uses one recovery code: `Some(codes left)` when it was one of theirs and unused.
pub async fn use_recovery_code(
    conn: &mut PgConnection,
    user_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let used = sqlx::query(
        "update recovery_codes set used_at = $3
         where user_id = $1 and code_hash = sha256(convert_to($2, 'UTF8')) and used_at is null",
    )
    .bind(user_id)
    .bind(code)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if used == 0 {
        return Ok(None);
    }
    recovery_codes_left(conn, user_id).await.map(Some)
}

pub async fn recovery_codes_left(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from recovery_codes where user_id = $1 and used_at is null")
        .bind(user_id)
        .fetch_one(conn)
        .await
}

/// Records a code attempt as failed *before* it is judged, and returns it with the
/// failures recorded before it (since `since`, and since the person's last right code):
/// attempts sent at once count each other, so a burst gets no further than the same
/// attempts one by one.
pub async fn record_attempt(
    conn: &mut PgConnection,
    user_id: i64,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(i64, i64), sqlx::Error> {
    // One person's attempts are counted one at a time.
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('second_step:' || $1, 0))")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    let failures: i64 = sqlx::query_scalar(
        "select count(*) from second_step_attempts
         where user_id = $1 and not succeeded and attempted_at >= greatest($2, coalesce(
             (select max(attempted_at) from second_step_attempts where user_id = $1 and succeeded),
             $2))",
    )
    .bind(user_id)
    .bind(since)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "insert into second_step_attempts (user_id, succeeded, attempted_at)
         values ($1, false, $2) returning second_step_attempt_id",
    )
    .bind(user_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok((id, failures))
}

/// An attempt refused unheard (throttled) is not counted against the person.
pub async fn withdraw_attempt(conn: &mut PgConnection, attempt_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("delete from second_step_attempts where second_step_attempt_id = $1")
        .bind(attempt_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn mark_attempt_succeeded(
    conn: &mut PgConnection,
    attempt_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update second_step_attempts set succeeded = true where second_step_attempt_id = $1",
    )
    .bind(attempt_id)
    .execute(conn)
    .await?;
    Ok(())
}
