//! Signing up, in and out, and who is signed in.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Patient,
    Doctor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::Doctor => "doctor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "patient" => Some(Self::Patient),
            "doctor" => Some(Self::Doctor),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }

    /// Where this role lands after signing in: its own portal.
    pub fn home_path(self) -> &'static str {
        match self {
            Self::Patient => "/",
            Self::Doctor => "/doctor",
            Self::Admin => "/admin",
        }
    }
}

/// What the pages may know about the signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub user_id: i64,
    pub role: Role,
    pub display_name: String,
    pub email: String,
}

/// Only same-site paths are followed after signing in (no open redirects).
pub fn safe_next(next: Option<&str>, role: Role) -> String {
    match next {
        Some(path) if is_local_path(path) => path.to_owned(),
        _ => role.home_path().to_owned(),
    }
}

/// A path on this site, safe to put in a `Location` header: one leading `/` (not `//`,
/// which browsers read as another host) followed by printable ASCII only — no spaces,
/// tabs or line breaks (browsers drop tabs, so `/\t/evil.example` would become
/// `//evil.example`; a line break cannot be a header value at all), no backslashes
/// (read as `/` by browsers). Percent-escapes stay as they are: browsers do not decode
/// them when resolving a path.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_local_paths_are_followed() {
        for good in [
            "/",
            "/book?type=2&week=2026-11-23",
            "/book/confirm?hold=abc",
            "/%09/x",
        ] {
            assert_eq!(safe_next(Some(good), Role::Patient), good);
        }
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a\nb",
            "/a\rb",
            "/a\0b",
            "/a\u{b}b",
            "/a b",
            "/ä",
            "evil",
            "",
        ] {
            assert_eq!(safe_next(Some(bad), Role::Doctor), "/doctor", "{bad:?}");
        }
        assert_eq!(safe_next(None, Role::Admin), "/admin");
    }
}

#[server(prefix = "/api", endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<UserSummary>, AppError> {
    use crate::server::auth::guard;
    crate::server::respond(async { Ok(guard::current_user().await?.map(|u| u.summary())) }.await)
}

/// Signs in and sends the person on to `next` (or their portal).
#[server(prefix = "/api", endpoint = "log_in")]
pub async fn log_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<UserSummary, AppError> {
    use crate::server::auth::flows;
    crate::server::respond(flows::log_in(email, password, next).await)
}

/// Creates a patient account, confirmed by an emailed link (which then signs them in).
/// The answer is the same whether or not the address already has an account.
#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(
    first_name: String,
    last_name: String,
    email: String,
    phone: Option<String>,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::server::auth::flows;
    crate::server::respond(
        flows::sign_up(
            first_name,
            last_name,
            email,
            phone.unwrap_or_default(),
            password,
            next,
        )
        .await,
    )
}

/// Sends the confirmation link again, if the address has an unconfirmed account.
#[server(prefix = "/api", endpoint = "resend_verification")]
pub async fn resend_verification(email: String) -> Result<(), AppError> {
    use crate::server::auth::flows;
    crate::server::respond(flows::resend_verification(email).await)
}

/// Confirms a new patient's address with the emailed link's token and signs them in.
#[server(prefix = "/api", endpoint = "verify_email")]
pub async fn verify_email(token: String, next: Option<String>) -> Result<UserSummary, AppError> {
    use crate::server::auth::flows;
    crate::server::respond(flows::verify_email(token, next).await)
}

/// Ends the session on the server: the old cookie is worthless afterwards.
#[server(prefix = "/api", endpoint = "log_out")]
pub async fn log_out() -> Result<(), AppError> {
    use crate::server::auth::flows;
    crate::server::respond(flows::log_out().await)
}

/// Changes the signed-in person's password; every other session of theirs ends.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::server::auth::flows;
    crate::server::respond(flows::change_password(current_password, new_password).await)
}

/// Emails a one-time link to reset the password, if the address has an account. The
/// answer is the same either way.
#[server(prefix = "/api", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::auth::reset;
    crate::server::respond(reset::request_password_reset(email).await)
}

/// Sets a new password with a reset link's token; signs this browser in.
#[server(prefix = "/api", endpoint = "reset_password")]
pub async fn reset_password(token: String, new_password: String) -> Result<UserSummary, AppError> {
    use crate::server::auth::reset;
    crate::server::respond(reset::reset_password(token, new_password).await)
}

/// Chooses the first password with an invitation link's token (a patient the staff
/// recorded); signs this browser in.
#[server(prefix = "/api", endpoint = "accept_invitation")]
pub async fn accept_invitation(
    token: String,
    new_password: String,
) -> Result<UserSummary, AppError> {
    use crate::server::auth::invite;
    crate::server::respond(invite::accept_invitation(token, new_password).await)
}

/// The signed-in person and the actions that change it, shared by the header, the
/// sign-in pages and the route guards. The user is re-read whenever one of the actions
/// completes.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<UserSummary>, AppError>>,
    pub log_in: ServerAction<LogIn>,
    pub sign_up: ServerAction<SignUp>,
    pub log_out: ServerAction<LogOut>,
    /// Setting a new password with a reset link signs the browser in.
    pub reset_password: ServerAction<ResetPassword>,
    /// Opening the confirmation link signs a new patient in.
    pub verify_email: ServerAction<VerifyEmail>,
    /// Accepting an invitation signs the patient in.
    pub accept_invitation: ServerAction<AcceptInvitation>,
}

impl Auth {
    pub fn provide() {
        let log_in = ServerAction::<LogIn>::new();
        let sign_up = ServerAction::<SignUp>::new();
        let log_out = ServerAction::<LogOut>::new();
        let reset_password = ServerAction::<ResetPassword>::new();
        let verify_email = ServerAction::<VerifyEmail>::new();
        let accept_invitation = ServerAction::<AcceptInvitation>::new();
        let user = Resource::new(
            move || {
                (
                    log_in.version().get(),
                    sign_up.version().get(),
                    log_out.version().get(),
                    reset_password.version().get(),
                    verify_email.version().get(),
                    accept_invitation.version().get(),
                )
            },
            |_| get_current_user(),
        );
        provide_context(Self {
            user,
            log_in,
            sign_up,
            log_out,
            reset_password,
            verify_email,
            accept_invitation,
        });
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }
}
