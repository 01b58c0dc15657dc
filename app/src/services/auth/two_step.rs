//! Two-step sign-in: after the password, a 6-digit code from an authenticator app
//! (TOTP, RFC 6238: the `totp-rs` crate computes the codes) or one of ten recovery codes.
//!
//! - The secret is sealed with AES-256-GCM (RustCrypto's `aes-gcm`) under the server's
//!   [`TwoStepKey`] before it is stored; it is never logged.
//! - A code is accepted within ±1 time step and works once: the step of the last code
//!   accepted is kept, and only a later one passes (`db::two_factor::accept_step`).
//! - Wrong codes are throttled like passwords (per account, sliding window); one
//!   person's attempts are judged one at a time under the factor's row lock.
//! - Turning it on, off or getting new recovery codes ends the person's other sessions,
//!   is audited, and (on and off) told by email.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use chrono::{DateTime, Utc};
use domain::audit::{AuditAction, AuditActor};
use domain::notify::NotificationKind;
use domain::role::Role;
use domain::throttle::{self, Verdict};
use domain::two_factor::{self as rules, TypedCode};
use sqlx::PgConnection;
use tower_sessions::Session;

use crate::db;
use crate::error::AppError;
use crate::services::audit::{self, Outcome};
use crate::services::auth::session::{self, CurrentUser};
use crate::services::call::{Call, Staff, Visitor};
use crate::services::notify;
use crate::services::state::AppState;
use crate::wire::auth::{TwoStepSetup, TwoStepStatus, UserSummary};

/// The key that seals authenticator secrets (`CLINIC_MFA_KEY`: 32 bytes). Its `Debug`
/// shows nothing of it.
#[derive(Clone)]
pub struct TwoStepKey(Key<Aes256Gcm>);

impl std::fmt::Debug for TwoStepKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TwoStepKey(…)")
    }
}

impl TwoStepKey {
    /// A key from its base64 text (32 bytes, standard or URL-safe alphabet).
    pub fn from_base64(text: &str) -> Result<Self, String> {
        use base64::Engine as _;
        let text = text.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
            .map_err(|_| "is not base64".to_owned())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "must be 32 bytes (e.g. `openssl rand -base64 32`)".to_owned())?;
        Ok(Self(bytes.into()))
    }

    /// A fresh random key, as base64 (for a new key file).
    pub fn generate_base64() -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(Aes256Gcm::generate_key(OsRng))
    }

    /// `nonce ‖ ciphertext ‖ tag`.
    fn seal(&self, secret: &[u8]) -> Result<Vec<u8>, AppError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = Aes256Gcm::new(&self.0)
            .encrypt(&nonce, secret)
            .map_err(|_| AppError::internal("sealing a two-step secret failed"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, AppError> {
        if sealed.len() < 12 {
            return Err(AppError::internal("a sealed two-step secret is too short"));
        }
        let (nonce, body) = sealed.split_at(12);
        Aes256Gcm::new(&self.0)
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| AppError::internal("a two-step secret does not open with this key"))
    }
}

/// Whether a role must have two-step sign-in (it reads other people's health data).
pub fn required_for(role: Role) -> bool {
    matches!(role, Role::Doctor | Role::Admin)
}

fn totp(secret: Vec<u8>, issuer: &str, account: &str) -> Result<totp_rs::Totp, AppError> {
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

fn new_secret() -> Vec<u8> {
    use aes_gcm::aead::rand_core::RngCore;
    let mut secret = vec![0u8; 20];
    OsRng.fill_bytes(&mut secret);
    secret
}

fn new_recovery_codes() -> Vec<String> {
    use aes_gcm::aead::rand_core::RngCore;
    (0..rules::RECOVERY_CODES)
        .map(|_| {
            let mut random = [0u8; rules::RECOVERY_LENGTH];
            OsRng.fill_bytes(&mut random);
            rules::recovery_code(&random)
        })
        .collect()
}

async fn record(
    conn: &mut PgConnection,
    user: (i64, Role),
    action: AuditAction,
    outcome: Outcome,
    request_id: &Option<String>,
    detail: Option<&str>,
) -> Result<(), AppError> {
    let entry = audit::Entry {
        actor_user_id: Some(user.0),
        actor_role: user.1.into(),
        action,
        patient_id: None,
        target: Some(format!("user:{}", user.0)),
        outcome,
        request_id: request_id.clone(),
    };
    audit::record_with_detail(conn, &entry, detail).await?;
    Ok(())
}

/// The signed-in person's two-step sign-in: on or off, required or not, codes left, and
/// the setup in progress (QR code and secret) if they started one.
pub async fn status(call: &Call<CurrentUser>) -> Result<TwoStepStatus, AppError> {
    let user = &call.who;
    let mut conn = call.state.pool.acquire().await?;
    let factor = db::two_factor::factor(&mut conn, user.user_id).await?;
    let on = factor.as_ref().is_some_and(|f| f.confirmed_at.is_some());
    let setup = match factor.filter(|f| f.confirmed_at.is_none()) {
        Some(pending) => {
            let secret = call.state.two_step_key.open(&pending.secret_sealed)?;
            let clinic = db::settings::clinic_profile(&call.state.pool).await?;
            Some(setup_view(totp(secret, &clinic.name, &user.email)?)?)
        }
        None => None,
    };
    Ok(TwoStepStatus {
        on,
        required: required_for(user.role),
        recovery_codes_left: if on {
            db::two_factor::recovery_codes_left(&mut conn, user.user_id).await?
        } else {
            0
        },
        setup,
    })
}

fn setup_view(generator: totp_rs::Totp) -> Result<TwoStepSetup, AppError> {
    let uri = generator
        .to_url()
        .map_err(|e| AppError::internal(format!("otpauth URI: {e}")))?;
    let qr = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| AppError::internal(format!("QR code: {e}")))?;
    let svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    Ok(TwoStepSetup {
        secret: rules::show_secret(&generator.secret().to_base32()),
        otpauth_uri: uri,
        qr_svg: svg,
    })
}

/// Starts setting up two-step sign-in: a new secret, waiting for its first code. A setup
/// already started is replaced (its QR code stops working); one that is on is kept.
pub async fn begin(call: &Call<CurrentUser>) -> Result<(), AppError> {
    let sealed = call.state.two_step_key.seal(&new_secret())?;
    let mut conn = call.state.pool.acquire().await?;
    if !db::two_factor::start_enrolment(&mut conn, call.who.user_id, &sealed, call.now).await? {
        return Err(AppError::validation(
            "code",
            "Two-step sign-in is already on for your account.",
        ));
    }
    Ok(())
}

/// Counts a code attempt before it is judged, and throttles like passwords: slower after
/// a few wrong codes, refused for a while after many. No lock is held while waiting.
/// Returns the attempt, to be marked right if it was.
async fn throttled(state: &AppState, user_id: i64, now: DateTime<Utc>) -> Result<i64, AppError> {
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
async fn check_code(
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
    let Some(factor) = db::two_factor::factor_for_update(&mut *conn, user.0).await? else {
        return Err(AppError::validation(
            "code",
            "Two-step sign-in is not set up for this account.",
        ));
    };
    if confirmed_only && factor.confirmed_at.is_none() {
        return Err(AppError::validation(
            "code",
            "Two-step sign-in is not on for this account.",
        ));
    }
    let checked = match code {
        TypedCode::Totp(digits) => {
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
        // Recovery codes are issued when the factor is confirmed: none before.
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
struct Attempt<'a> {
    user: (i64, Role),
    code: TypedCode,
    confirmed_only: bool,
    id: i64,
    request_id: &'a Option<String>,
    now: DateTime<Utc>,
}

fn parse(code: &str) -> Result<TypedCode, AppError> {
    rules::parse_code(code).map_err(|e| AppError::validation("code", e.to_string()))
}

struct Checked {
    /// Recovery codes left, when one was used.
    recovery_left: Option<i64>,
}

fn wrong_code() -> AppError {
    AppError::validation(
        "code",
        "That code is not right, or was already used. Enter the code your app shows now.",
    )
}

/// Confirms the setup with its first code: two-step sign-in is on, ten recovery codes
/// are made (kept in the session to be shown once), the person's other sessions end and this one
/// continues under a new id; audited and told by email.
pub async fn confirm(
    call: &Call<CurrentUser>,
    http_session: &Session,
    code: &str,
) -> Result<(), AppError> {
    let user = (call.who.user_id, call.who.role);
    let code = parse(code)?;
    let attempt = throttled(&call.state, user.0, call.now).await?;
    let mut tx = call.state.pool.begin().await?;
    if db::two_factor::is_on(&mut tx, user.0).await? {
        return Err(AppError::validation(
            "code",
            "Two-step sign-in is already on for your account.",
        ));
    }
    let checked = check_code(
        &mut tx,
        &call.state.two_step_key,
        Attempt {
            user,
            code,
            confirmed_only: false,
            id: attempt,
            request_id: &call.request_id,
            now: call.now,
        },
    )
    .await?;
    if checked.is_none_or(|c| c.recovery_left.is_some()) {
        // Commit the recorded failure, then answer.
        tx.commit().await?;
        return Err(wrong_code());
    }
    let codes = new_recovery_codes();
    db::two_factor::replace_recovery_codes(&mut tx, user.0, &codes, call.now).await?;
    db::users::end_other_sessions(&mut tx, user.0, call.now).await?;
    notify::account_event(&mut tx, user.0, NotificationKind::TwoStepOn, call.now).await?;
    record(
        &mut tx,
        user,
        AuditAction::AccountTwoStepOn,
        Outcome::Success,
        &call.request_id,
        None,
    )
    .await?;
    tx.commit().await?;
    session::start(http_session, user.0, call.now).await?;
    session::keep_fresh_codes(http_session, &codes).await
}

/// New recovery codes for the signed-in person (the old ones stop working), kept in the
/// session to be shown once. Their other sessions end.
pub async fn new_codes(call: &Call<CurrentUser>, http_session: &Session) -> Result<(), AppError> {
    let user = (call.who.user_id, call.who.role);
    let mut tx = call.state.pool.begin().await?;
    if !db::two_factor::is_on(&mut tx, user.0).await? {
        return Err(AppError::validation(
            "code",
            "Turn two-step sign-in on first.",
        ));
    }
    let codes = new_recovery_codes();
    db::two_factor::replace_recovery_codes(&mut tx, user.0, &codes, call.now).await?;
    db::users::end_other_sessions(&mut tx, user.0, call.now).await?;
    record(
        &mut tx,
        user,
        AuditAction::AccountTwoStepCodes,
        Outcome::Success,
        &call.request_id,
        None,
    )
    .await?;
    tx.commit().await?;
    session::start(http_session, user.0, call.now).await?;
    session::keep_fresh_codes(http_session, &codes).await
}

/// Turns two-step sign-in off, with a current code or a recovery code (so a session left
/// open on a shared computer cannot). Not for roles that must have it.
pub async fn turn_off(
    call: &Call<CurrentUser>,
    http_session: &Session,
    code: &str,
) -> Result<(), AppError> {
    let user = (call.who.user_id, call.who.role);
    if required_for(user.1) {
        return Err(AppError::validation(
            "code",
            "Two-step sign-in is required for the clinic's doctors and staff.",
        ));
    }
    let code = parse(code)?;
    let attempt = throttled(&call.state, user.0, call.now).await?;
    let mut tx = call.state.pool.begin().await?;
    let checked = check_code(
        &mut tx,
        &call.state.two_step_key,
        Attempt {
            user,
            code,
            confirmed_only: true,
            id: attempt,
            request_id: &call.request_id,
            now: call.now,
        },
    )
    .await?;
    if checked.is_none() {
        tx.commit().await?;
        return Err(wrong_code());
    }
    db::two_factor::remove(&mut tx, user.0).await?;
    db::users::end_other_sessions(&mut tx, user.0, call.now).await?;
    notify::account_event(&mut tx, user.0, NotificationKind::TwoStepOff, call.now).await?;
    record(
        &mut tx,
        user,
        AuditAction::AccountTwoStepOff,
        Outcome::Success,
        &call.request_id,
        None,
    )
    .await?;
    tx.commit().await?;
    session::start(http_session, user.0, call.now).await
}

/// Staff reset another person's two-step sign-in (a lost phone and no recovery codes),
/// with a reason: audited with it, the person is told by email and signed out
/// everywhere. Nobody resets their own.
pub async fn reset_by_staff(
    call: &Call<Staff>,
    user_id: i64,
    reason: &str,
) -> Result<(), AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::validation(
            "reason",
            "Say why (at most 500 characters): it is kept in the audit log.",
        ));
    }
    domain::text::check_field(reason).map_err(|e| AppError::validation("reason", e.to_string()))?;
    if user_id == call.who.user.user_id {
        return Err(AppError::validation(
            "user_id",
            "You cannot reset your own two-step sign-in; another administrator can.",
        ));
    }
    let mut tx = call.state.pool.begin().await?;
    if !db::two_factor::is_on(&mut tx, user_id).await? {
        return Err(AppError::validation(
            "user_id",
            "That account has no two-step sign-in to reset.",
        ));
    }
    db::two_factor::remove(&mut tx, user_id).await?;
    db::users::end_other_sessions(&mut tx, user_id, call.now).await?;
    notify::account_event(&mut tx, user_id, NotificationKind::TwoStepOff, call.now).await?;
    let entry = audit::Entry {
        actor_user_id: Some(call.who.user.user_id),
        actor_role: AuditActor::Admin,
        action: AuditAction::AccountTwoStepReset,
        patient_id: None,
        target: Some(format!("user:{user_id}")),
        outcome: Outcome::Success,
        request_id: call.request_id.clone(),
    };
    audit::record_with_detail(&mut tx, &entry, Some(reason)).await?;
    tx.commit().await?;
    Ok(())
}

/// The recovery codes just made, in the form they are shown (`ABCDE-FGHJK`), once.
pub async fn fresh_codes(http_session: &Session) -> Result<Vec<String>, AppError> {
    Ok(session::take_fresh_codes(http_session)
        .await?
        .iter()
        .map(|c| rules::show_recovery_code(c))
        .collect())
}

/// Whether signing `user_id` in needs the second step.
pub async fn needed(conn: &mut PgConnection, user_id: i64) -> Result<bool, AppError> {
    Ok(db::two_factor::is_on(conn, user_id).await?)
}

/// What the second step of signing in answers.
pub struct SignedIn {
    pub user: UserSummary,
    /// Recovery codes left, when one was used to sign in.
    pub recovery_left: Option<i64>,
}

/// The second step of signing in: the code for the person whose password this browser
/// gave (within [`rules::PENDING_MINUTES`]). Right: signed in (audited as a sign-in).
pub async fn sign_in(call: &Call<Visitor>, code: &str) -> Result<SignedIn, AppError> {
    let state = &call.state;
    let Some(user_id) = session::awaiting_second_step(&call.who.session, call.now).await? else {
        return Err(AppError::validation(
            "code",
            "Your sign-in has expired. Please enter your email and password again.",
        ));
    };
    let record_of = db::users::user_record(&state.pool, user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let role = Role::parse(&record_of.role).ok_or_else(|| AppError::internal("unknown role"))?;
    let code = parse(code)?;
    let attempt = throttled(state, user_id, call.now).await?;
    let mut tx = state.pool.begin().await?;
    let checked = check_code(
        &mut tx,
        &state.two_step_key,
        Attempt {
            user: (user_id, role),
            code,
            confirmed_only: true,
            id: attempt,
            request_id: &call.request_id,
            now: call.now,
        },
    )
    .await?;
    let Some(checked) = checked else {
        tx.commit().await?;
        return Err(wrong_code());
    };
    record(
        &mut tx,
        (user_id, role),
        AuditAction::AuthSecondStep,
        Outcome::Success,
        &call.request_id,
        checked.recovery_left.map(|_| "recovery code"),
    )
    .await?;
    tx.commit().await?;
    let signed_in = session::sign_in(state, &call.who.session, user_id, call.now).await?;
    tracing::info!(user_id, "signed in (two steps)");
    Ok(SignedIn {
        user: signed_in.summary(),
        recovery_left: checked.recovery_left,
    })
}
