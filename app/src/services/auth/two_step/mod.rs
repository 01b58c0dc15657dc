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

mod codes;
pub mod key;
pub mod passkeys;

use domain::audit::{AuditAction, AuditActor};
use domain::notify::NotificationKind;
use domain::role::Role;
use domain::two_factor as rules;
use sqlx::PgConnection;
use tower_sessions::Session;

use crate::db;
use crate::error::AppError;
use crate::services::audit::{self, Outcome};
use crate::services::auth::session::{self, CurrentUser};
use crate::services::call::{Call, Staff, Visitor};
use crate::services::notify;
use crate::services::state::AppState;
use crate::wire::auth::{SignInStep, TwoStepSetup, TwoStepStatus, UserSummary};
use chrono::{DateTime, Utc};

use codes::{
    check_code, new_recovery_codes, new_secret, parse, throttled, totp, wrong_code, Attempt,
};
pub use key::TwoStepKey;

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
        required: rules::required_for(user.role),
        recovery_codes_left: db::two_factor::recovery_codes_left(&mut conn, user.user_id).await?,
        setup,
        passkeys: passkeys::list(call).await?,
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
    db::users::lock_user(&mut tx, user.0).await?;
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
    let change = Change {
        action: AuditAction::AccountTwoStepOn,
        tell: Some(NotificationKind::TwoStepOn),
    };
    changed(tx, call, http_session, change).await?;
    session::keep_fresh_codes(http_session, &codes).await
}

/// A change to one's own two-step sign-in: what the audit log calls it, and what the
/// person is told by email (if anything).
struct Change {
    action: AuditAction,
    tell: Option<NotificationKind>,
}

/// The end of every change to one's own two-step sign-in: the other sessions end, the
/// person is told, the change is audited and committed, and this browser goes on under
/// a new session id.
async fn changed(
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    call: &Call<CurrentUser>,
    http_session: &Session,
    change: Change,
) -> Result<(), AppError> {
    let user = (call.who.user_id, call.who.role);
    db::users::end_other_sessions(&mut tx, user.0, call.now).await?;
    if let Some(kind) = change.tell {
        notify::account_event(&mut tx, user.0, kind, call.now).await?;
    }
    record(
        &mut tx,
        user,
        change.action,
        Outcome::Success,
        &call.request_id,
        None,
    )
    .await?;
    tx.commit().await?;
    session::start(http_session, user.0, call.now).await
}

/// New recovery codes for the signed-in person (the old ones stop working), kept in the
/// session to be shown once. Their other sessions end.
pub async fn new_codes(call: &Call<CurrentUser>, http_session: &Session) -> Result<(), AppError> {
    let user = (call.who.user_id, call.who.role);
    let mut tx = call.state.pool.begin().await?;
    db::users::lock_user(&mut tx, user.0).await?;
    if !db::two_factor::is_on(&mut tx, user.0).await?
        && db::passkeys::count(&mut tx, user.0).await? == 0
    {
        return Err(AppError::validation(
            "code",
            "Turn two-step sign-in on first.",
        ));
    }
    let codes = new_recovery_codes();
    db::two_factor::replace_recovery_codes(&mut tx, user.0, &codes, call.now).await?;
    let change = Change {
        action: AuditAction::AccountTwoStepCodes,
        tell: None,
    };
    changed(tx, call, http_session, change).await?;
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
    if rules::required_for(user.1) {
        return Err(AppError::validation(
            "code",
            "Two-step sign-in is required for the clinic's doctors and staff.",
        ));
    }
    let code = parse(code)?;
    let attempt = throttled(&call.state, user.0, call.now).await?;
    let mut tx = call.state.pool.begin().await?;
    db::users::lock_user(&mut tx, user.0).await?;
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
    // Recovery codes stand in for every factor: they stay while a passkey does.
    if db::passkeys::count(&mut tx, user.0).await? == 0 {
        db::two_factor::remove_recovery_codes(&mut tx, user.0).await?;
    }
    let change = Change {
        action: AuditAction::AccountTwoStepOff,
        tell: Some(NotificationKind::TwoStepOff),
    };
    changed(tx, call, http_session, change).await
}

/// Staff reset another person's two-step sign-in (a lost phone and no recovery codes):
/// the authenticator app, the passkeys and the recovery codes go, with a reason: audited with it, the person is told by email and signed out
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
    db::users::lock_user(&mut tx, user_id).await?;
    if !db::two_factor::is_on(&mut tx, user_id).await?
        && db::passkeys::count(&mut tx, user_id).await? == 0
    {
        return Err(AppError::validation(
            "user_id",
            "That account has no two-step sign-in to reset.",
        ));
    }
    db::two_factor::remove(&mut tx, user_id).await?;
    db::passkeys::remove_all(&mut tx, user_id).await?;
    db::two_factor::remove_recovery_codes(&mut tx, user_id).await?;
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

/// After a right password (or a reset link, which proves the address, not the second
/// factor): signed in — or, with two-step sign-in on, only the code step opened; or, for
/// doctors and staff who have none yet, only its setup.
pub async fn sign_in_or_ask(
    state: &AppState,
    http_session: &Session,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<SignInStep, AppError> {
    let user = db::users::user_record(&state.pool, user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let role = Role::parse(&user.role).ok_or_else(|| AppError::internal("unknown role"))?;
    if user.second_factor {
        session::await_second_step(http_session, user_id, now).await?;
        return Ok(SignInStep::SecondStep);
    }
    if rules::required_for(role) {
        session::await_enrolment(http_session, user_id, now).await?;
        return Ok(SignInStep::Enrol);
    }
    let signed_in = session::sign_in(state, http_session, user_id, now).await?;
    tracing::info!(user_id, "signed in");
    Ok(SignInStep::SignedIn(signed_in.summary()))
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
    // The account may have been disabled since the password: no step to finish then.
    let record_of = db::users::user_record(&state.pool, user_id)
        .await?
        .filter(|u| session::may_sign_in(u, call.now))
        .ok_or_else(|| {
            AppError::validation(
                "code",
                "Your sign-in has expired. Please enter your email and password again.",
            )
        })?;
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
