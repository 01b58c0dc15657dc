//! Staff-only account management: create doctor and admin accounts, disable accounts.

use leptos::prelude::*;

use crate::AppError;

pub use crate::wire::accounts::*;

#[server(prefix = "/api", endpoint = "list_accounts")]
pub async fn list_accounts() -> Result<Vec<AccountRow>, AppError> {
    use crate::server::auth::accounts;
    crate::server::respond(accounts::list_accounts().await)
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
    use crate::server::auth::accounts;
    crate::server::respond(
        accounts::create_account(role, first_name, last_name, email, password, specialty).await,
    )
}

/// Disabling ends every session of the account at once.
#[server(prefix = "/api", endpoint = "set_account_disabled")]
pub async fn set_account_disabled(user_id: i64, disabled: bool) -> Result<AccountRow, AppError> {
    use crate::server::auth::accounts;
    crate::server::respond(accounts::set_disabled(user_id, disabled).await)
}
