//! Invitations: a patient the staff recorded with an email address has an account
//! without a password (it cannot sign in). A one-time link, valid for a week, lets them
//! choose one; that confirms the address and signs them in. Nobody has to accept.

use chrono::{DateTime, Duration, Utc};
use domain::audit::AuditAction;
use domain::notify::NotificationKind;
use sqlx::PgConnection;

use crate::db::{self, tokens::Purpose};
use crate::error::AppError;
use crate::services::auth::reset::{set_password_with_link, LinkUse};
use crate::services::auth::tokens;
use crate::services::call::{Call, Visitor};
use crate::wire::auth::SignInStep;

/// How long an invitation link works.
pub const INVITATION_VALID_FOR: Duration = Duration::days(7);

/// Queues an invitation email to `user_id`. `false` when they were sent too many this
/// hour (nothing is queued then).
pub async fn send_invitation(
    conn: &mut PgConnection,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let Some(token) = tokens::issue(
        conn,
        user_id,
        Purpose::Invitation,
        INVITATION_VALID_FOR,
        now,
    )
    .await?
    else {
        return Ok(false);
    };
    db::notifications::insert_with_secret(
        conn,
        NotificationKind::AccountInvitation,
        user_id,
        &format!("token={token}"),
        now,
    )
    .await?;
    Ok(true)
}

/// Sets the first password with an invitation link's token, and signs in.
#[tracing::instrument(skip_all)]
pub async fn accept_invitation(
    call: &Call<Visitor>,
    token: String,
    new_password: String,
) -> Result<SignInStep, AppError> {
    set_password_with_link(
        call,
        LinkUse {
            purpose: Purpose::Invitation,
            expired: "This invitation has expired or was already used. Call the clinic, or use \"Forgot password\" with your email address.",
            action: AuditAction::AccountInvitationAccepted,
        },
        token,
        new_password,
    )
    .await
}
