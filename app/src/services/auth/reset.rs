//! Forgot password: a one-time link by email, then a new password. The answer to a
//! request is the same whether or not the address has an account.

use chrono::Duration;
use domain::account::{Email, NewPassword};
use domain::audit::{AuditAction, AuditActor};
use domain::notify::NotificationKind;

use domain::role::Role;

use crate::db::{self, tokens::Purpose};
use crate::error::AppError;
use crate::services::audit::{self, Outcome};
use crate::services::auth::password::hash_password;
use crate::services::auth::tokens;
use crate::services::auth::two_step;
use crate::services::call::{Call, Visitor};
use crate::wire::auth::SignInStep;

/// How long a reset link works.
pub const LINK_VALID_FOR: Duration = Duration::minutes(30);

/// Emails a reset link when the address belongs to an active account (and it had fewer
/// than [`tokens::PER_HOUR`] links this hour). Always answers `Ok`: the page says "if
/// an account exists…", so nobody learns who has one.
#[tracing::instrument(skip_all)]
pub async fn request_password_reset(call: &Call, email: String) -> Result<(), AppError> {
    let (state, now) = (&call.state, call.now);
    let request_id = call.request_id.clone();
    let Ok(email) = Email::parse(&email) else {
        return Err(AppError::validation(
            "email",
            "Enter an email address like name@example.com.",
        ));
    };
    let user = db::users::credentials_by_email(&state.pool, email.as_str())
        .await?
        .filter(|u| u.disabled_at.is_none());
    let Some(user) = user else {
        return Ok(());
    };
    let mut tx = state.pool.begin().await?;
    if let Some(token) = tokens::issue(
        &mut tx,
        user.user_id,
        Purpose::PasswordReset,
        LINK_VALID_FOR,
        now,
    )
    .await?
    {
        db::notifications::insert_with_secret(
            &mut tx,
            NotificationKind::PasswordReset,
            user.user_id,
            &format!("token={token}"),
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            &audit::Entry {
                actor_user_id: None,
                actor_role: AuditActor::Anonymous,
                action: AuditAction::AuthPasswordResetRequest,
                patient_id: None,
                target: Some(format!("user:{}", user.user_id)),
                outcome: Outcome::Success,
                request_id,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets a new password with a reset link's token: every session of the account ends, the
/// change is audited and announced, and this browser is signed in.
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    call: &Call<Visitor>,
    token: String,
    new_password: String,
) -> Result<SignInStep, AppError> {
    set_password_with_link(
        call,
        LinkUse {
            purpose: Purpose::PasswordReset,
            expired: "This link has expired or was already used. Ask for a new one.",
            action: AuditAction::AccountPasswordReset,
        },
        token,
        new_password,
    )
    .await
}

/// What one kind of emailed link sets a password for.
pub struct LinkUse {
    pub purpose: Purpose,
    /// Said when the token is unknown, used or expired.
    pub expired: &'static str,
    pub action: AuditAction,
}

/// Redeems a one-time link's token and sets the account's password: the link proves the
/// address, so it counts as confirmed; every other session ends; the change is audited
/// and announced; this browser is signed in and sent home.
pub async fn set_password_with_link(
    call: &Call<Visitor>,
    link: LinkUse,
    token: String,
    new_password: String,
) -> Result<SignInStep, AppError> {
    let (state, http_session, now) = (&call.state, &call.who.session, call.now);
    let request_id = call.request_id.clone();
    let mut tx = state.pool.begin().await?;
    let Some(user_id) = tokens::redeem(&mut tx, link.purpose, &token, now).await? else {
        return Err(AppError::validation("token", link.expired));
    };
    let record = db::users::user_record(&state.pool, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let email = Email::parse(&record.email).ok();
    let password = NewPassword::parse("new_password", &new_password, email.as_ref())?;
    let hash = hash_password(password.expose().to_owned()).await?;
    let first_password = !db::users::has_password(&mut tx, user_id).await?;
    db::users::set_password(&mut tx, user_id, &hash, now).await?;
    // A person someone cared for who now has their own login manages their own visits:
    // the carers' access ends (the person may grant it again).
    if let (true, Some(patient_id)) = (first_password, record.patient_id) {
        end_carers_access(&mut tx, user_id, patient_id, request_id.clone(), now).await?;
    }
    db::users::mark_email_verified(&mut tx, user_id, now).await?;
    crate::services::notify::account_event(
        &mut tx,
        user_id,
        NotificationKind::PasswordChanged,
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        &audit::Entry {
            actor_user_id: Some(user_id),
            actor_role: Role::parse(&record.role).map_or(AuditActor::Anonymous, Into::into),
            action: link.action,
            patient_id: record.patient_id,
            target: Some(format!("user:{user_id}")),
            outcome: Outcome::Success,
            request_id,
        },
    )
    .await?;
    tx.commit().await?;
    // Sessions that started before `now` are dead (set_password); this one starts now —
    // after the code, with two-step sign-in on.
    two_step::sign_in_or_ask(state, http_session, user_id, now).await
}

/// A person someone looked after chose their first password: they manage their own visits
/// from now on, and every carer's access ends (one audit row each), in the password's
/// transaction. The person may grant it again (`services::family::regrant_carer`).
async fn end_carers_access(
    conn: &mut sqlx::PgConnection,
    user_id: i64,
    patient_id: i64,
    request_id: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let why = db::family::Ended::OwnLogin;
    let carers = db::family::end_links_to(conn, patient_id, why, Some(user_id), now).await?;
    for carer in carers {
        let entry = audit::Entry {
            actor_user_id: Some(user_id),
            actor_role: AuditActor::Patient,
            action: domain::audit::AuditAction::FamilyUnlink,
            patient_id: Some(patient_id),
            target: Some(format!("carer:{carer}")),
            outcome: Outcome::Success,
            request_id: request_id.clone(),
        };
        audit::record_with_detail(conn, &entry, Some(why.as_str())).await?;
    }
    Ok(())
}
