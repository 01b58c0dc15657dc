//! What a session remembers, and the checks made on every request: idle and absolute
//! timeouts, account disabled, sessions revoked by a password change.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use domain::role::Role;

use crate::db;
use crate::error::AppError;
use crate::services::state::AppState;
use crate::wire::auth::UserSummary;

const KEY: &str = "auth";
/// Set between the password and the second step: whose password this browser gave, and
/// when. Nothing reads it as signed in.
const AWAITING: &str = "awaiting_second_step";
/// Set between the password and setting up two-step sign-in, for doctors and staff who
/// must have it and have none yet: whose password, and when. Only the setup reads it.
const ENROLLING: &str = "enrolling_second_step";
/// New recovery codes, until shown once.
const FRESH_CODES: &str = "fresh_recovery_codes";
/// A passkey ceremony's state (webauthn-rs's, kept server-side between its two requests)
/// lives this long.
const CEREMONY_MINUTES: i64 = 5;
/// `last_seen_at` is written back at most this often, so most requests cost no write.
const TOUCH_EVERY: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Serialize, Deserialize)]
struct AwaitingRecord {
    user_id: i64,
    since: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionRecord {
    user_id: i64,
    logged_in_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

/// The signed-in person, re-read from the database on every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub user_id: i64,
    pub role: Role,
    pub email: String,
    pub display_name: String,
    pub patient_id: Option<i64>,
    pub doctor_id: Option<i64>,
    /// When this session's sign-in happened (the password, or the start of a setup).
    pub signed_in_at: DateTime<Utc>,
}

impl CurrentUser {
    /// Whether the sign-in was within the last `minutes` (asked before changes a stolen
    /// or unattended session must not make, such as adding a passkey).
    pub fn signed_in_recently(&self, now: DateTime<Utc>, minutes: i64) -> bool {
        now - self.signed_in_at <= Duration::minutes(minutes)
    }

    pub fn summary(&self) -> UserSummary {
        UserSummary {
            user_id: self.user_id,
            role: self.role,
            display_name: self.display_name.clone(),
            email: self.email.clone(),
            session_limits: None,
        }
    }

    /// How this session ends by itself: after `policy.idle` without a request, or at its
    /// absolute limit.
    pub fn session_limits(
        &self,
        policy: &crate::services::state::SessionPolicy,
    ) -> crate::wire::auth::SessionLimits {
        crate::wire::auth::SessionLimits {
            idle_seconds: policy.idle.num_seconds(),
            absolute_end: self.signed_in_at + policy.absolute,
        }
    }
}

/// The session store is PostgreSQL: when it fails, the database is not answering.
fn session_error(err: tower_sessions::session::Error) -> AppError {
    use tower_sessions::session::Error;
    use tower_sessions::session_store::Error as Store;
    match err {
        Error::Store(Store::Backend(cause)) => {
            AppError::unavailable(format!("session store: {cause}"))
        }
        other => AppError::internal(format!("session store: {other}")),
    }
}

/// The password was right and the second step is next: the session (under a new id)
/// remembers whose, and is not signed in.
pub async fn await_second_step(
    session: &Session,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    forget_person(session).await?;
    let record = AwaitingRecord {
        user_id,
        since: now,
    };
    session
        .insert(AWAITING, record)
        .await
        .map_err(session_error)
}

/// Forgets everything the session held for the person it was for: signed in, awaiting a
/// step, their recovery codes not yet shown, passkey ceremonies. Done whenever the
/// session starts to be for someone (perhaps someone else on the same browser).
async fn forget_person(session: &Session) -> Result<(), AppError> {
    for key in [
        KEY,
        AWAITING,
        ENROLLING,
        FRESH_CODES,
        Ceremony::Register.key(),
        Ceremony::SignIn.key(),
        Ceremony::SecondStep.key(),
    ] {
        session.remove_value(key).await.map_err(session_error)?;
    }
    Ok(())
}

/// Whose second step this browser owes, if it gave a password within the last
/// [`domain::two_factor::PENDING_MINUTES`].
pub async fn awaiting_second_step(
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let record = session
        .get::<AwaitingRecord>(AWAITING)
        .await
        .map_err(session_error)?;
    Ok(record
        .filter(|r| now - r.since <= Duration::minutes(domain::two_factor::PENDING_MINUTES))
        .map(|r| r.user_id))
}

/// The password was right and two-step sign-in must be set up next: the session (under
/// a new id) remembers whose, and is not signed in.
pub async fn await_enrolment(
    session: &Session,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    forget_person(session).await?;
    let record = AwaitingRecord {
        user_id,
        since: now,
    };
    session
        .insert(ENROLLING, record)
        .await
        .map_err(session_error)
}

/// The person setting up two-step sign-in on this browser after their password (within
/// [`domain::two_factor::ENROL_MINUTES`]), if their account still may sign in.
pub async fn enrolling(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(record) = session
        .get::<AwaitingRecord>(ENROLLING)
        .await
        .map_err(session_error)?
        .filter(|r| now - r.since <= Duration::minutes(domain::two_factor::ENROL_MINUTES))
    else {
        return Ok(None);
    };
    let user = db::users::user_record(&state.pool, record.user_id).await?;
    match user.filter(|u| may_sign_in(u, record.since)) {
        Some(user) => current_user(user, record.since).map(Some),
        None => Ok(None),
    }
}

/// Starts a signed-in session under a **new** session id (no fixation).
pub async fn start(session: &Session, user_id: i64, now: DateTime<Utc>) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_error)?;
    forget_person(session).await?;
    let record = SessionRecord {
        user_id,
        logged_in_at: now,
        last_seen_at: now,
    };
    session.insert(KEY, record).await.map_err(session_error)
}

/// Signs `user_id` in on this session (under a new id) and returns who is signed in.
pub async fn sign_in(
    state: &AppState,
    session: &Session,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<CurrentUser, AppError> {
    start(session, user_id, now).await?;
    load(state, session, now)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// Keeps new recovery codes in the session until the page that shows them has shown them
/// once ([`take_fresh_codes`]): with or without JavaScript, they outlive the redirect
/// only that long.
pub async fn keep_fresh_codes(session: &Session, codes: &[String]) -> Result<(), AppError> {
    session
        .insert(FRESH_CODES, codes.to_vec())
        .await
        .map_err(session_error)
}

/// The recovery codes just made, once (taken from the session).
pub async fn take_fresh_codes(session: &Session) -> Result<Vec<String>, AppError> {
    Ok(session
        .remove::<Vec<String>>(FRESH_CODES)
        .await
        .map_err(session_error)?
        .unwrap_or_default())
}

/// The passkey ceremonies: each keeps webauthn-rs's state (the challenge) in the session
/// between handing the browser its options and checking the browser's answer.
#[derive(Debug, Clone, Copy)]
pub enum Ceremony {
    /// Adding a passkey (signed in).
    Register,
    /// Signing in with a passkey instead of the password.
    SignIn,
    /// A passkey as the second step after the password.
    SecondStep,
}

impl Ceremony {
    fn key(self) -> &'static str {
        match self {
            Self::Register => "passkey_register",
            Self::SignIn => "passkey_sign_in",
            Self::SecondStep => "passkey_second_step",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct CeremonyRecord<T> {
    since: DateTime<Utc>,
    state: T,
}

/// Keeps a ceremony's state until its answer (a new ceremony of the kind replaces it).
pub async fn keep_ceremony<T: Serialize + Send + Sync>(
    session: &Session,
    ceremony: Ceremony,
    state: T,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    session
        .insert(ceremony.key(), CeremonyRecord { since: now, state })
        .await
        .map_err(session_error)
}

/// The ceremony's state, once (taken from the session), if it began in the last few
/// minutes.
pub async fn take_ceremony<T: serde::de::DeserializeOwned>(
    session: &Session,
    ceremony: Ceremony,
    now: DateTime<Utc>,
) -> Result<Option<T>, AppError> {
    let record = session
        .remove::<CeremonyRecord<T>>(ceremony.key())
        .await
        .map_err(session_error)?;
    Ok(record
        .filter(|r| now - r.since <= Duration::minutes(CEREMONY_MINUTES))
        .map(|r| r.state))
}

/// Ends the session: deleted from the store, so the cookie is worthless afterwards.
pub async fn end(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)
}

/// The user behind this session, or `None` (ending the session) when it has timed out,
/// the account is disabled, or its sessions were revoked.
pub async fn load(
    state: &AppState,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(mut record) = session
        .get::<SessionRecord>(KEY)
        .await
        .map_err(session_error)?
    else {
        return Ok(None);
    };
    let policy = state.session_policy;
    if now - record.logged_in_at > policy.absolute || now - record.last_seen_at > policy.idle {
        end(session).await?;
        return Ok(None);
    }
    let user = db::users::user_record(&state.pool, record.user_id).await?;
    // Doctors and staff without a second factor are not signed in (their sessions from
    // before it was required, too): they sign in again and set it up first.
    let Some(user) = user.filter(|u| {
        may_sign_in(u, record.logged_in_at)
            && (u.second_factor
                || Role::parse(&u.role).is_some_and(|r| !domain::two_factor::required_for(r)))
    }) else {
        end(session).await?;
        return Ok(None);
    };
    let logged_in_at = record.logged_in_at;
    if now - record.last_seen_at >= TOUCH_EVERY {
        record.last_seen_at = now;
        session.insert(KEY, record).await.map_err(session_error)?;
    }
    current_user(user, logged_in_at).map(Some)
}

/// Whether the account may still be signed in by a password given at `since`: not
/// disabled, its address confirmed, its sessions not revoked after that.
pub fn may_sign_in(user: &db::users::UserRecord, since: DateTime<Utc>) -> bool {
    user.disabled_at.is_none()
        && user.email_verified_at.is_some()
        && user.sessions_valid_after <= since
}

pub fn current_user(
    user: db::users::UserRecord,
    signed_in_at: DateTime<Utc>,
) -> Result<CurrentUser, AppError> {
    let role = Role::parse(&user.role).ok_or_else(|| AppError::internal("unknown role"))?;
    Ok(CurrentUser {
        user_id: user.user_id,
        role,
        email: user.email,
        display_name: user
            .display_name
            .unwrap_or_else(|| "Clinic staff".to_owned()),
        patient_id: user.patient_id,
        doctor_id: user.doctor_id,
        signed_in_at,
    })
}
