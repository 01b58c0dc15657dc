//! Staff-only account management: create doctor and admin accounts, disable accounts.

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::auth::accounts};

pub use crate::wire::accounts::*;

#[server(prefix = "/api", endpoint = "list_accounts")]
pub async fn list_accounts() -> Result<Vec<AccountRow>, AppError> {
    request::respond(async { accounts::list_accounts(&request::as_staff().await?).await }.await)
}

/// Creates a doctor or admin account (patients sign up themselves).
#[server(prefix = "/api", endpoint = "create_account")]
pub async fn create_account(
    role: String,
    first_name: String,
    last_name: String,
    email: String,
    password: String,
    specialty: Option<String>,
) -> Result<AccountRow, AppError> {
    let form = accounts::NewAccount {
        role,
        first_name,
        last_name,
        email,
        password,
        specialty,
    };
    request::respond(
        async { accounts::create_account(&request::as_staff().await?, form).await }.await,
    )
}

/// Resets another person's two-step sign-in (a lost phone, no recovery codes left), with
/// the reason for the audit log; they are told by email and signed out everywhere.
#[server(prefix = "/api", endpoint = "reset_two_step")]
pub async fn reset_two_step(user_id: i64, reason: String) -> Result<(), AppError> {
    request::respond(
        async {
            let call = request::as_staff().await?;
            crate::services::auth::two_step::reset_by_staff(&call, user_id, &reason).await
        }
        .await,
    )
}

/// Disabling ends every session of the account at once.
#[server(prefix = "/api", endpoint = "set_account_disabled")]
pub async fn set_account_disabled(user_id: i64, disabled: bool) -> Result<AccountRow, AppError> {
    request::respond(
        async { accounts::set_disabled(&request::as_staff().await?, user_id, disabled).await }
            .await,
    )
}
