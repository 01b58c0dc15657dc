//! Accounts: users and their patient/doctor rows.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use domain::role::Role;

/// What signing in needs.
#[derive(Debug, sqlx::FromRow)]
pub struct Credentials {
    pub user_id: i64,
    pub role: String,
    /// `None`: a patient staff recorded who has not set a password yet (cannot sign in).
    pub password_hash: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub email_verified_at: Option<DateTime<Utc>>,
}

pub async fn credentials_by_email(
    pool: &PgPool,
    email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as(
        "select user_id, role, password_hash, disabled_at, email_verified_at from users where email = $1",
    )
        .bind(email)
        .fetch_optional(pool)
        .await
}

pub async fn password_hash(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "select password_hash from users where user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// A signed-in person as loaded on every request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRecord {
    pub user_id: i64,
    pub role: String,
    pub email: String,
    pub disabled_at: Option<DateTime<Utc>>,
    pub sessions_valid_after: DateTime<Utc>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub patient_id: Option<i64>,
    pub doctor_id: Option<i64>,
    pub display_name: Option<String>,
    /// Whether two-step sign-in is on: an authenticator app or a passkey (doctors and staff
    /// may not act without one).
    pub second_factor: bool,
}

const USER_RECORD: &str = "select u.user_id, u.role, u.email, u.disabled_at, u.sessions_valid_after, u.email_verified_at,
        p.patient_id, d.doctor_id,
        coalesce(p.first_name || ' ' || p.last_name, doctor_display_name(d.first_name, d.last_name)) as display_name,
        (exists (select 1 from totp_factors t
                  where t.user_id = u.user_id and t.confirmed_at is not null)
         or exists (select 1 from passkeys k where k.user_id = u.user_id)) as second_factor
     from users u
     left join patients p on p.user_id = u.user_id
     left join doctors d on d.user_id = u.user_id";

pub async fn user_record(pool: &PgPool, user_id: i64) -> Result<Option<UserRecord>, sqlx::Error> {
    sqlx::query_as(&format!("{USER_RECORD} where u.user_id = $1"))
        .bind(user_id)
        .fetch_optional(pool)
        .await
}

/// Inserts an account with its address confirmed (staff-created and demo accounts).
pub async fn insert_user(
    conn: &mut PgConnection,
    email: &str,
    role: Role,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    insert_account(conn, email, role, password_hash, now, Some(now)).await
}

/// Inserts a patient's own new account, unconfirmed until they open the emailed link.
pub async fn insert_unverified_user(
    conn: &mut PgConnection,
    email: &str,
    role: Role,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    insert_account(conn, email, role, password_hash, now, None).await
}

async fn insert_account(
    conn: &mut PgConnection,
    email: &str,
    role: Role,
    password_hash: &str,
    now: DateTime<Utc>,
    verified_at: Option<DateTime<Utc>>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into users (email, role, password_hash, sessions_valid_after, created_at, updated_at,
                            email_verified_at)
         values ($1, $2, $3, $4, $4, $4, $5) returning user_id",
    )
    .bind(email)
    .bind(role.as_str())
    .bind(password_hash)
    .bind(now)
    .bind(verified_at)
    .fetch_one(conn)
    .await
}

/// Confirms the account's address (idempotent).
pub async fn mark_email_verified(
    conn: &mut PgConnection,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update users set email_verified_at = coalesce(email_verified_at, $2), updated_at = $2 where user_id = $1",
    )
    .bind(user_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The patient row of a new account (the same insert staff use for a patient who calls).
pub async fn insert_patient(
    conn: &mut PgConnection,
    user_id: i64,
    first_name: &str,
    last_name: &str,
    phone: Option<&str>,
) -> Result<i64, sqlx::Error> {
    super::patients::insert(conn, Some(user_id), first_name, last_name, phone).await
}

pub async fn insert_doctor(
    conn: &mut PgConnection,
    user_id: i64,
    first_name: &str,
    last_name: &str,
    specialty: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into doctors (user_id, first_name, last_name, specialty) values ($1, $2, $3, $4) returning doctor_id",
    )
    .bind(user_id)
    .bind(first_name)
    .bind(last_name)
    .bind(specialty)
    .fetch_one(conn)
    .await
}

/// Sets a new password hash and ends every session started before `now`.
/// Whether the account has a password (an invited or recorded patient has none yet).
pub async fn has_password(conn: &mut PgConnection, user_id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select password_hash is not null from users where user_id = $1")
        .bind(user_id)
        .fetch_one(conn)
        .await
}

pub async fn set_password(
    conn: &mut PgConnection,
    user_id: i64,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update users set password_hash = $2, sessions_valid_after = $3, updated_at = $3 where user_id = $1")
        .bind(user_id)
        .bind(password_hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// An account with its person's name (none for staff, who have no patient or doctor
/// record).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRecord {
    pub user_id: i64,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub display_name: Option<String>,
    pub disabled: bool,
    pub two_step: bool,
}

const ACCOUNT_ROW: &str = "select u.user_id, u.email, u.role, u.disabled_at is not null as disabled,
        exists (select 1 from totp_factors f where f.user_id = u.user_id and f.confirmed_at is not null) as two_step,
        coalesce(p.first_name || ' ' || p.last_name, doctor_display_name(d.first_name, d.last_name)) as display_name,
        (exists (select 1 from totp_factors t
                  where t.user_id = u.user_id and t.confirmed_at is not null)
         or exists (select 1 from passkeys k where k.user_id = u.user_id)) as second_factor
     from users u
     left join patients p on p.user_id = u.user_id
     left join doctors d on d.user_id = u.user_id";

/// Staff and doctor accounts (patients are found on the patients' page: there can be
/// tens of thousands).
pub async fn list_accounts(conn: &mut PgConnection) -> Result<Vec<AccountRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{ACCOUNT_ROW} where u.role in ('admin', 'doctor') order by u.role, u.email"
    ))
    .fetch_all(conn)
    .await
}

pub async fn account(
    conn: &mut PgConnection,
    user_id: i64,
) -> Result<Option<AccountRecord>, sqlx::Error> {
    sqlx::query_as(&format!("{ACCOUNT_ROW} where u.user_id = $1"))
        .bind(user_id)
        .fetch_optional(conn)
        .await
}

/// Ends every session of the account that started before `now` (the one that goes on is
/// started again afterwards).
pub async fn end_other_sessions(
    conn: &mut PgConnection,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update users set sessions_valid_after = $2 where user_id = $1")
        .bind(user_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Disables (ending all sessions) or re-enables an account. Returns whether it exists.
pub async fn set_disabled(
    conn: &mut PgConnection,
    user_id: i64,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "update users set disabled_at = case when $2 then coalesce(disabled_at, $3) end,
                          sessions_valid_after = case when $2 then $3 else sessions_valid_after end,
                          updated_at = $3
         where user_id = $1",
    )
    .bind(user_id)
    .bind(disabled)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records a sign-in attempt as failed, before it is judged (see `flows::log_in`), and
/// counts the failures recorded before it: for the email since its last success, and
/// from the address. Attempts on one email are recorded one at a time (an advisory lock
/// for the instant of the insert), so attempts sent at once are ranked exactly as if sent
/// one by one. Returns (attempt id, account failures, address failures).
pub async fn record_login_attempt(
    pool: &PgPool,
    email: &str,
    client_addr: Option<std::net::IpAddr>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(i64, u32, u32), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(hashtext('login:' || $1))")
        .bind(email)
        .execute(&mut *tx)
        .await?;
    let attempt_id: i64 = sqlx::query_scalar(
        "insert into login_attempts (email, client_addr, succeeded, attempted_at)
         values ($1, $2::inet, false, $3) returning login_attempt_id",
    )
    .bind(email)
    .bind(client_addr.map(|a| a.to_string()))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let (account, address): (i64, i64) = sqlx::query_as(
        "select
            (select count(*) from login_attempts a
              where a.email = $1 and not a.succeeded and a.login_attempt_id < $4 and a.attempted_at > greatest($3,
                    coalesce((select max(attempted_at) from login_attempts s where s.email = $1 and s.succeeded), $3))),
            (select count(*) from login_attempts a
              where $2::inet is not null and a.client_addr = $2::inet and not a.succeeded
                and a.login_attempt_id < $4 and a.attempted_at > $3)",
    )
    .bind(email)
    .bind(client_addr.map(|a| a.to_string()))
    .bind(since)
    .bind(attempt_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((attempt_id, account as u32, address as u32))
}

pub async fn mark_login_succeeded(
    conn: &mut PgConnection,
    attempt_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("update login_attempts set succeeded = true where login_attempt_id = $1")
        .bind(attempt_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// An attempt refused by throttling is not itself a failed password check.
pub async fn withdraw_login_attempt(pool: &PgPool, attempt_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("delete from login_attempts where login_attempt_id = $1")
        .bind(attempt_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Locks a patient's row for the rest of the transaction. Every booking operation of one
/// patient (hold, confirm, reschedule, cancel — by the patient or by staff) takes it
/// first, so one patient's concurrent requests run one after another: the active limit,
/// the one-hold rule and the overlap check read what the previous request wrote.
/// Different patients never wait on each other. Returns whether the patient exists.
pub async fn lock_patient(conn: &mut PgConnection, patient_id: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, i64>(
        "select patient_id from patients where patient_id = $1 for no key update",
    )
    .bind(patient_id)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Locks the account's row until the transaction ends: changes to one person's second
/// steps (app, passkeys, recovery codes) are made one at a time, so two at once cannot
/// both pass a check such as "keeps one factor".
pub async fn lock_user(conn: &mut PgConnection, user_id: i64) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, i64>(
        "select user_id from users where user_id = $1 for no key update",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// Deletes sign-in attempts older than a day (throttling looks back 15 minutes); how many.
pub async fn prune_login_attempts(pool: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("delete from login_attempts where attempted_at < now() - interval '1 day'")
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
