//! Sign-up, sign-in, sign-out and password change. Each change is one transaction with
//! its audit row; nothing here logs an email, a name or a password.

use chrono::Utc;
use domain::account::{Email, NewPassword, PersonName, Phone};
use domain::throttle::{self, Verdict};

use crate::api::auth::{safe_next, Role, UserSummary};
use crate::server::audit::{self, Outcome};
use crate::server::auth::guard::{self, client_addr, request_id};
use crate::server::auth::password::{hash_password, verify_dummy, verify_password};
use crate::server::auth::session;
use crate::server::db;
use crate::server::notify;
use crate::server::state::app_state;
use crate::AppError;
use domain::notify::NotificationKind;

#[tracing::instrument(skip_all)]
pub async fn log_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<UserSummary, AppError> {
    let state = app_state()?;
    let http_session = guard::session().await?;
    let now = Utc::now();
    // Throttling keys on what was typed, so unknown emails are throttled too (no address
    // is longer than 254 characters, so nothing longer needs keeping).
    let typed_email: String = email.trim().to_lowercase().chars().take(254).collect();
    let addr = client_addr().await;
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
    let verified = match &credentials {
        Some(c) => verify_password(password, c.password_hash.clone()).await?,
        None => verify_dummy(password).await?,
    };
    let user = credentials.filter(|c| verified && c.disabled_at.is_none());

    let mut tx = state.pool.begin().await?;
    if user.is_some() {
        db::users::mark_login_succeeded(&mut tx, attempt_id).await?;
    }
    audit::record(
        &mut tx,
        &audit::Entry {
            actor_user_id: user.as_ref().map(|u| u.user_id),
            actor_role: user.as_ref().map_or("anonymous", |u| {
                Role::parse(&u.role).map_or("anonymous", Role::as_str)
            }),
            action: "auth.login",
            patient_id: None,
            target: None,
            outcome: if user.is_some() {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            request_id: request_id().await,
        },
    )
    .await?;
    tx.commit().await?;

    let Some(user) = user else {
        return Err(AppError::InvalidCredentials);
    };
    session::start(&http_session, user.user_id, now).await?;
    let signed_in = session::load(&state, &http_session, now)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    tracing::info!(user_id = signed_in.user_id, "signed in");
    leptos_axum::redirect(&safe_next(next.as_deref(), signed_in.role));
    Ok(signed_in.summary())
}

#[tracing::instrument(skip_all)]
pub async fn sign_up(
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
    password: String,
    next: Option<String>,
) -> Result<UserSummary, AppError> {
    let first_name = PersonName::parse("first_name", &first_name)?;
    let last_name = PersonName::parse("last_name", &last_name)?;
    let email = Email::parse(&email)?;
    let phone = Phone::parse_optional(&phone)?;
    let password = NewPassword::parse("password", &password, Some(&email))?;

    let state = app_state()?;
    let http_session = guard::session().await?;
    let now = Utc::now();
    let hash = hash_password(password.expose().to_owned()).await?;

    // The user and the patient row are created together or not at all.
    let mut tx = state.pool.begin().await?;
    let user_id =
        db::users::insert_user(&mut tx, email.as_str(), Role::Patient, &hash, now).await?;
    let patient_id = db::users::insert_patient(
        &mut tx,
        user_id,
        first_name.as_str(),
        last_name.as_str(),
        phone.as_ref().map(Phone::as_str),
    )
    .await?;
    audit::record(
        &mut tx,
        &audit::Entry {
            actor_user_id: Some(user_id),
            actor_role: "patient",
            action: "account.signup",
            patient_id: Some(patient_id),
            target: Some(format!("user:{user_id}")),
            outcome: Outcome::Success,
            request_id: request_id().await,
        },
    )
    .await?;
    notify::account_event(&mut tx, user_id, NotificationKind::AccountWelcome, now).await?;
    tx.commit().await?;

    session::start(&http_session, user_id, now).await?;
    let signed_in = session::load(&state, &http_session, now)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    tracing::info!(user_id, "patient signed up");
    leptos_axum::redirect(&safe_next(next.as_deref(), Role::Patient));
    Ok(signed_in.summary())
}

pub async fn log_out() -> Result<(), AppError> {
    let state = app_state()?;
    let http_session = guard::session().await?;
    if let Some(user) = session::load(&state, &http_session, Utc::now()).await? {
        let mut tx = state.pool.begin().await?;
        audit::record(
            &mut tx,
            &audit::Entry {
                actor_user_id: Some(user.user_id),
                actor_role: user.role.as_str(),
                action: "auth.logout",
                patient_id: None,
                target: None,
                outcome: Outcome::Success,
                request_id: request_id().await,
            },
        )
        .await?;
        tx.commit().await?;
    }
    session::end(&http_session).await?;
    leptos_axum::redirect("/");
    Ok(())
}

pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let user = guard::require_user().await?;
    let state = app_state()?;
    let email = Email::parse(&user.email).ok();
    let new_password = NewPassword::parse("new_password", &new_password, email.as_ref())?;
    let now = Utc::now();

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
            actor_role: user.role.as_str(),
            action: "account.password_change",
            patient_id: user.patient_id,
            target: Some(format!("user:{}", user.user_id)),
            outcome: Outcome::Success,
            request_id: request_id().await,
        },
    )
    .await?;
    tx.commit().await?;
    // Every other session ended with the change; this one continues under a new id.
    session::start(&guard::session().await?, user.user_id, now).await
}
