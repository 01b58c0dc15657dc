//! Passkeys: each person's WebAuthn credentials (webauthn-rs's record, as JSON) and the
//! random handle that names the person to authenticators.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// One passkey of a person.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasskeyRecord {
    pub passkey_id: i64,
    pub name: String,
    /// webauthn-rs's `Passkey`, as JSON.
    pub credential: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The person's WebAuthn user handle.
pub async fn handle_of(conn: &mut PgConnection, user_id: i64) -> Result<Uuid, sqlx::Error> {
    sqlx::query_scalar("select webauthn_handle from users where user_id = $1")
        .bind(user_id)
        .fetch_one(conn)
        .await
}

/// Whose handle this is.
pub async fn user_of_handle(
    conn: &mut PgConnection,
    handle: Uuid,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("select user_id from users where webauthn_handle = $1")
        .bind(handle)
        .fetch_optional(conn)
        .await
}

/// The person's passkeys, oldest first.
pub async fn of_user(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<Vec<PasskeyRecord>, sqlx::Error> {
    sqlx::query_as(
        "select passkey_id, name, credential::text as credential, created_at, last_used_at
           from passkeys where user_id = $1 order by passkey_id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await
}

pub async fn count(conn: &mut PgConnection, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from passkeys where user_id = $1")
        .bind(user_id)
        .fetch_one(conn)
        .await
}

/// Adds a passkey. Returns false when its credential id is registered already (to
/// anyone: the standard requires refusing it).
pub async fn insert(
    conn: &mut PgConnection,
    user_id: i64,
    credential_id: &[u8],
    credential: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query(
        "insert into passkeys (user_id, credential_id, credential, name, created_at)
         values ($1, $2, $3::jsonb, $4, $5) on conflict (credential_id) do nothing",
    )
    .bind(user_id)
    .bind(credential_id)
    .bind(credential)
    .bind(name)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(rows == 1)
}

/// After a sign-in with it: the credential's new record (its counter) and when.
pub async fn used(
    conn: &mut PgConnection,
    passkey_id: i64,
    credential: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update passkeys set credential = $2::jsonb, last_used_at = $3 where passkey_id = $1",
    )
    .bind(passkey_id)
    .bind(credential)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes one of the person's passkeys (only theirs). Returns whether there was one.
pub async fn remove(
    conn: &mut PgConnection,
    user_id: i64,
    passkey_id: i64,
) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query("delete from passkeys where passkey_id = $1 and user_id = $2")
        .bind(passkey_id)
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(rows == 1)
}

/// Removes all of the person's passkeys (a reset by staff). Returns how many.
pub async fn remove_all(conn: &mut PgConnection, user_id: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("delete from passkeys where user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected())
}

/// The passkey with this credential id, and whose it is.
pub async fn by_credential(
    conn: &mut PgConnection,
    credential_id: &[u8],
) -> Result<Option<(i64, PasskeyRecord)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Owned {
        user_id: i64,
        #[sqlx(flatten)]
        record: PasskeyRecord,
    }
    let owned: Option<Owned> = sqlx::query_as(
        "select user_id, passkey_id, name, credential::text as credential, created_at, last_used_at
           from passkeys where credential_id = $1",
    )
    .bind(credential_id)
    .fetch_optional(conn)
    .await?;
    Ok(owned.map(|o| (o.user_id, o.record)))
}
