//! The codes: TOTP (RFC 6238) by `totp-rs`, new secrets and recovery codes from the
//! operating system's generator, and one code checked against a person's factor —
//! counted and throttled first, accepted once.

use aes_gcm::aead::OsRng;
use chrono::{DateTime, Utc};
use domain::audit::AuditAction;
use domain::role::Role;
use domain::throttle::{self, Verdict};
use domain::two_factor::{self as rules, TypedCode};
use sqlx::PgConnection;

use super::{record, TwoStepKey};
use crate::db;
use crate::error::AppError;
use crate::services::audit::Outcome;
use crate::services::state::AppState;

pub(super) fn totp(
    secret: Vec<u8>,
    issuer: &str,
    account: &str,
) -> Result<totp_rs::Totp, AppError> {
    // The otpauth label cannot hold ':' (it separates issuer and account).
    let clean = |s: &str| s.replace(':', " ");
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(rules::DIGITS as u8)
        .with_step_duration(rules::STEP_SECONDS as u64)
        .with_skew(0)
        .with_secret(secret)
        .with_issuer(Some(clean(issuer)))
        .with_account_name(clean(account))
        .build()
        .map_err(|e| AppError::internal(format!("two-step code generator: {e}")))
}

/// Equal without an early exit (the codes compared are short and change every step).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The step of `code` among the steps still acceptable at `now`, if it is one of them.
fn matching_step(
    generator: &totp_rs::Totp,
    code: &str,
    last_step: Option<i64>,
    now: DateTime<Utc>,
) -> Option<i64> {
    rules::acceptable_steps(rules::step_of(now.timestamp()), last_step)
        .into_iter()
        .filter(|step| *step >= 0)
        .find(|step| {
            let at = (*step * rules::STEP_SECONDS) as u64;
            same(&generator.generate(at).to_string(), code)
        })
}

pub(super) fn new_secret() -> Vec<u8> {
    use aes_gcm::aead::rand_core::RngCore;
    let mut secret = vec![0u8; 20];
    OsRng.fill_bytes(&mut secret);
    secret
}

pub(super) fn new_recovery_codes() -> Vec<String> {
    use aes_gcm::aead::rand_core::RngCore;
    (0..rules::RECOVERY_CODES)
        .map(|_| {
            let mut random = [0u8; rules::RECOVERY_LENGTH];
            OsRng.fill_bytes(&mut random);
            rules::recovery_code(&random)
        })
        .collect()
}

/// Counts a code attempt before it is judged, and throttles like passwords: slower after
/// a few wrong codes, refused for a while after many. No lock is held while waiting.
/// Returns the attempt, to be marked right if it was.
pub(super) async fn throttled(
    state: &AppState,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let since = now - chrono::Duration::minutes(throttle::WINDOW_MINUTES);
    let mut tx = state.pool.begin().await?;
    let (attempt, failures) = db::two_factor::record_attempt(&mut tx, user_id, since, now).await?;
    tx.commit().await?;
    match throttle::verdict(u32::try_from(failures).unwrap_or(u32::MAX), 0) {
        Verdict::Block => {
            let mut conn = state.pool.acquire().await?;
            db::two_factor::withdraw_attempt(&mut conn, attempt).await?;
            tracing::warn!("two-step codes throttled");
            Err(AppError::TooManyAttempts)
        }
        Verdict::Allow { delay } => {
            if let Ok(delay) = delay.to_std() {
                tokio::time::sleep(delay).await;
            }
            Ok(attempt)
        }
    }
}

/// A code checked against the person's factor (once only), inside `conn`'s transaction
/// with the factor's row locked. `Ok(None)`: a wrong code (audited; the attempt stays
/// counted as failed).
pub(super) async fn check_code(
    conn: &mut PgConnection,
    key: &TwoStepKey,
    attempt: Attempt<'_>,
) -> Result<Option<Checked>, AppError> {
    let Attempt {
        user,
        code,
        confirmed_only,
        id: attempt,
        request_id,
        now,
    } = attempt;
    let factor = db::two_factor::factor_for_update(&mut *conn, user.0).await?;
    let checked = match code {
        TypedCode::Totp(digits) => {
            let Some(factor) = factor else {
                return Err(AppError::validation(
                    "code",
                    "No authenticator app is set up for this account.",
                ));
            };
            if confirmed_only && factor.confirmed_at.is_none() {
                return Err(AppError::validation(
                    "code",
                    "Two-step sign-in is not on for this account.",
                ));
            }
            let generator = totp(key.open(&factor.secret_sealed)?, "clinic", "person")?;
            match matching_step(&generator, &digits, factor.last_step, now) {
                Some(step)
                    if db::two_factor::accept_step(&mut *conn, user.0, step, now).await? =>
                {
                    Some(Checked {
                        recovery_left: None,
                    })
                }
                _ => None,
            }
        }
        // Recovery codes are issued when the first factor is confirmed (an app or a
        // passkey): none before. Using one is a single update, so it works once.
        TypedCode::Recovery(code) => {
            db::two_factor::use_recovery_code(&mut *conn, user.0, &code, now)
                .await?
                .map(|left| Checked {
                    recovery_left: Some(left),
                })
        }
    };
    if checked.is_some() {
        db::two_factor::mark_attempt_succeeded(&mut *conn, attempt).await?;
    } else {
        record(
            conn,
            user,
            AuditAction::AuthSecondStep,
            Outcome::Failure,
            request_id,
            None,
        )
        .await?;
    }
    Ok(checked)
}

/// One code to check: whose, what was typed, whether an enrolment may be confirmed by it
/// (`confirmed_only` false), the attempt counted for it, and the request.
pub(super) struct Attempt<'a> {
    pub(super) user: (i64, Role),
    pub(super) code: TypedCode,
    pub(super) confirmed_only: bool,
    pub(super) id: i64,
    pub(super) request_id: &'a Option<String>,
    pub(super) now: DateTime<Utc>,
}

pub(super) fn parse(code: &str) -> Result<TypedCode, AppError> {
    rules::parse_code(code).map_err(|e| AppError::validation("code", e.to_string()))
}

pub(super) struct Checked {
    /// Recovery codes left, when one was used.
    pub(super) recovery_left: Option<i64>,
}

pub(super) fn wrong_code() -> AppError {
    AppError::validation(
        "code",
        "That code is not right, or was already used. Enter the code your app shows now.",
    )
}
