//! Sign-up, sign-in, sign-out and password change. Each change is one transaction with
//! its audit row; nothing here logs an email, a name or a password.

use domain::account::{Email, NewPassword, PersonName};
use domain::audit::{AuditAction, AuditActor};
use domain::throttle::{self, Verdict};

use domain::links::safe_next;
use domain::role::Role;

use crate::db::{self, tokens::Purpose};
use crate::error::AppError;
use crate::services::audit::{self, Outcome};
use crate::services::auth::password::{hash_password, verify_dummy, verify_password};
use crate::services::auth::session::{self, CurrentUser};
use crate::services::auth::tokens;
use crate::services::auth::two_step;
use crate::services::call::{Call, Visitor};
use crate::services::notify;
use crate::wire::auth::{SignInStep, UserSummary};
use domain::notify::NotificationKind;

#[tracing::instrument(skip_all)]
pub async fn log_in(
    call: &Call<Visitor>,
    email: String,
    password: String,
) -> Result<SignInStep, AppError> {
    let (state, http_session, now) = (&call.state, &call.who.session, call.now);
    // Throttling keys on what was typed, so unknown emails are throttled too (no address
    // is longer than 254 characters, so nothing longer needs keeping).
    let typed_email: String = email.trim().to_lowercase().chars().take(254).collect();
    let addr = call.who.addr;
    // The attempt is recorded (as failed) *before* it is judged, and judged by the
    // failures recorded before it: attempts sent at once count each other in order, so
    // a burst gets no further than the same attempts one by one.
    let since = now - chrono::Duration::minutes(throttle::WINDOW_MINUTES);
    let (attempt_id, account_failures, address_failures) =
        db::users::record_login_attempt(&state.pool, &typed_email, addr, since, now).await?;
    match throttle::verdict(account_failures, address_failures) {
        Verdict::Block => {
            db::users::withdraw_login_attempt(&state.pool, attempt_id).await?;
            tracing::warn!("sign-in throttled");
            return Err(AppError::TooManyAttempts);
        }
        Verdict::Allow { delay } => {
            if let Ok(delay) = delay.to_std() {
                tokio::time::sleep(delay).await;
            }
        }
    }

    let credentials = db::users::credentials_by_email(&state.pool, &typed_email).await?;
    let verified = match credentials.as_ref().and_then(|c| c.password_hash.clone()) {
        Some(hash) => verify_password(password, hash).await?,
        // No such account, or one staff made that has no password yet: the same work.
        None => verify_dummy(password).await?,
    };
    let unconfirmed = verified
        && credentials
            .as_ref()
            .is_some_and(|c| c.email_verified_at.is_none());
    let user = credentials
        .filter(|c| verified && c.disabled_at.is_none() && c.email_verified_at.is_some());

    let mut tx = state.pool.begin().await?;
    if user.is_some() {
        db::users::mark_login_succeeded(&mut tx, attempt_id).await?;
    }
    audit::record(
        &mut tx,
        &audit::Entry {
            actor_user_id: user.as_ref().map(|u| u.user_id),
            actor_role: user
                .as_ref()
                .and_then(|u| Role::parse(&u.role))
                .map_or(AuditActor::Anonymous, Into::into),
            action: AuditAction::AuthLogin,
            patient_id: None,
            target: None,
            outcome: if user.is_some() {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            request_id: call.request_id.clone(),
        },
    )
    .await?;
    tx.commit().await?;

    let Some(user) = user else {
        // Only someone who knows the password learns the address is not confirmed yet.
        return Err(if unconfirmed {
            AppError::EmailNotConfirmed
        } else {
            AppError::InvalidCredentials
        });
    };
    two_step::sign_in_or_ask(state, http_session, user.user_id, now).await
}

/// The sign-up form.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// Empty when not given.
    pub phone: String,
    pub password: String,
    /// Where the confirmation link leads after signing in.
    pub next: Option<String>,
}

/// A new patient's sign-up. The answer is the same whether or not the address already
/// has an account, so nobody can use the form to find out who is a patient here:
/// - a new address gets an unconfirmed account and an email with a one-time link that
///   confirms it and signs them in (then on to `next`);
/// - an existing address gets nothing new; its owner gets an email saying someone tried,
///   with the ways to sign in or reset the password — or, for a patient the staff
///   recorded who has no password yet, the invitation link to choose one.
///
/// Nobody is signed in by this call, and both paths hash the password (same timing).
#[tracing::instrument(skip_all)]
pub async fn sign_up(call: &Call, form: SignUp) -> Result<(), AppError> {
    let first_name = PersonName::parse("first_name", &form.first_name)?;
    let last_name = PersonName::parse("last_name", &form.last_name)?;
    let email = Email::parse(&form.email)?;
    let phone = crate::services::phone::as_stored(&call.state.pool, &form.phone).await?;
    let password = NewPassword::parse("password", &form.password, Some(&email))?;
    let next = form.next;

    let (state, now) = (&call.state, call.now);
    let request_id = call.request_id.clone();
    let hash = hash_password(password.expose().to_owned()).await?;
    let existing = db::users::credentials_by_email(&state.pool, email.as_str()).await?;

    let mut tx = state.pool.begin().await?;
    match existing {
        // A patient the staff recorded, who has no password yet: the invitation link lets
        // them set one (the password typed here is not taken: the link proves the address).
        Some(owner) if owner.password_hash.is_none() && owner.disabled_at.is_none() => {
            crate::services::auth::invite::send_invitation(&mut tx, owner.user_id, now).await?;
        }
        Some(owner) => {
            // A few a day at most, so the form cannot be used to flood someone's inbox.
            if db::notifications::sent_recently(
                &mut tx,
                owner.user_id,
                NotificationKind::SignupAttempt,
                now - chrono::Duration::hours(24),
            )
            .await?
                < 3
            {
                notify::account_event(&mut tx, owner.user_id, NotificationKind::SignupAttempt, now)
                    .await?;
            }
        }
        None => {
            let user_id = db::users::insert_unverified_user(
                &mut tx,
                email.as_str(),
                Role::Patient,
                &hash,
                now,
            )
            .await?;
            let patient_id = db::users::insert_patient(
                &mut tx,
                user_id,
                first_name.as_str(),
                last_name.as_str(),
                phone.as_deref(),
            )
            .await?;
            send_verification(&mut tx, user_id, next.as_deref(), now).await?;
            audit::record(
                &mut tx,
                &audit::Entry {
                    actor_user_id: Some(user_id),
                    actor_role: AuditActor::Patient,
                    action: AuditAction::AccountSignup,
                    patient_id: Some(patient_id),
                    target: Some(format!("user:{user_id}")),
                    outcome: Outcome::Success,
                    request_id,
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// How long the link in the confirmation email works.
pub const VERIFICATION_VALID_FOR: chrono::Duration = chrono::Duration::hours(24);

/// Queues the confirmation email with a fresh one-time link (rate-limited: a person gets
/// at most a few an hour). `next` is where the link leads once confirmed.
async fn send_verification(
    conn: &mut sqlx::PgConnection,
    user_id: i64,
    next: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let Some(token) = tokens::issue(
        conn,
        user_id,
        Purpose::EmailVerification,
        VERIFICATION_VALID_FOR,
        now,
    )
    .await?
    else {
        return Ok(());
    };
    let mut query = format!("token={token}");
    let next = safe_next(next, Role::Patient);
    let encoded = domain::links::encode_next(&next);
    // The outbox keeps at most 200 characters of a link; a longer `next` is left out.
    if query.len() + 6 + encoded.len() <= 200 {
        query.push_str(&format!("&next={encoded}"));
    }
    db::notifications::insert_with_secret(
        conn,
        NotificationKind::EmailVerification,
        user_id,
        &query,
        now,
    )
    .await?;
    Ok(())
}

/// Sends the confirmation link again to an address with an unconfirmed account. The
/// same answer for every address.
#[tracing::instrument(skip_all)]
pub async fn resend_verification(call: &Call, email: String) -> Result<(), AppError> {
    let (state, now) = (&call.state, call.now);
    let email = Email::parse(&email)?;
    let pending = db::users::credentials_by_email(&state.pool, email.as_str())
        .await?
        .filter(|u| u.email_verified_at.is_none() && u.disabled_at.is_none());
    if let Some(user) = pending {
        let mut tx = state.pool.begin().await?;
        if user.password_hash.is_none() {
            // A patient the staff recorded: what they need is the link to choose a password.
            crate::services::auth::invite::send_invitation(&mut tx, user.user_id, now).await?;
        } else {
            send_verification(&mut tx, user.user_id, None, now).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Opens a confirmation link: the address is confirmed, the browser signed in, and on to
/// `next`. The link works once.
#[tracing::instrument(skip_all)]
pub async fn verify_email(call: &Call<Visitor>, token: String) -> Result<UserSummary, AppError> {
    let (state, http_session, now) = (&call.state, &call.who.session, call.now);
    let request_id = call.request_id.clone();
    let mut tx = state.pool.begin().await?;
    let Some(user_id) = tokens::redeem(&mut tx, Purpose::EmailVerification, &token, now).await?
    else {
        return Err(AppError::validation(
            "token",
            "This link has expired or was already used. Sign in, or ask for a new link.",
        ));
    };
    db::users::mark_email_verified(&mut tx, user_id, now).await?;
    let record = db::users::user_record(&state.pool, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    notify::account_event(&mut tx, user_id, NotificationKind::AccountWelcome, now).await?;
    audit::record(
        &mut tx,
        &audit::Entry {
            actor_user_id: Some(user_id),
            actor_role: AuditActor::Patient,
            action: AuditAction::AccountEmailVerified,
            patient_id: record.patient_id,
            target: Some(format!("user:{user_id}")),
            outcome: Outcome::Success,
            request_id,
        },
    )
    .await?;
    tx.commit().await?;
    let signed_in = session::sign_in(state, http_session, user_id, now).await?;
    Ok(signed_in.summary())
}

pub async fn log_out(call: &Call<Visitor>) -> Result<(), AppError> {
    let (state, http_session) = (&call.state, &call.who.session);
    if let Some(user) = session::load(state, http_session, call.now).await? {
        let mut tx = state.pool.begin().await?;
        audit::record(
            &mut tx,
            &audit::Entry {
                actor_user_id: Some(user.user_id),
                actor_role: user.role.into(),
                action: AuditAction::AuthLogout,
                patient_id: None,
                target: None,
                outcome: Outcome::Success,
                request_id: call.request_id.clone(),
            },
        )
        .await?;
        tx.commit().await?;
    }
    session::end(http_session).await?;
    Ok(())
}

pub async fn change_password(
    call: &Call<CurrentUser>,
    http_session: &tower_sessions::Session,
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let (state, user, now) = (&call.state, &call.who, call.now);
    let email = Email::parse(&user.email).ok();
    let new_password = NewPassword::parse("new_password", &new_password, email.as_ref())?;

    let mut conn = state.pool.acquire().await?;
    let stored = db::users::password_hash(&mut conn, user.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    drop(conn);
    if !verify_password(current_password, stored).await? {
        return Err(AppError::validation(
            "current_password",
            "Your current password is not correct.",
        ));
    }
    let hash = hash_password(new_password.expose().to_owned()).await?;
    let mut tx = state.pool.begin().await?;
    db::users::set_password(&mut tx, user.user_id, &hash, now).await?;
    notify::account_event(
        &mut tx,
        user.user_id,
        NotificationKind::PasswordChanged,
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        &audit::Entry {
            actor_user_id: Some(user.user_id),
            actor_role: user.role.into(),
            action: AuditAction::AccountPasswordChange,
            patient_id: user.patient_id,
            target: Some(format!("user:{}", user.user_id)),
            outcome: Outcome::Success,
            request_id: call.request_id.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    // Every other session ended with the change; this one continues under a new id.
    session::start(http_session, user.user_id, now).await
}
