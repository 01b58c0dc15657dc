//! Signing up, in and out, and who is signed in.

use leptos::prelude::*;

use crate::AppError;

pub use crate::wire::auth::*;

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
