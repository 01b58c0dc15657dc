//! Signing up, in and out, and who is signed in.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::request;
#[cfg(feature = "ssr")]
use crate::services::auth::{flows, invite, reset};
use crate::AppError;
#[cfg(feature = "ssr")]
use domain::links::safe_next;

pub use crate::wire::auth::*;

#[server(prefix = "/api", endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<UserSummary>, AppError> {
    request::respond(
        async {
            let call = request::call().await?;
            Ok(request::current_user().await?.map(|u| UserSummary {
                session_limits: Some(u.session_limits(&call.state.session_policy)),
                ..u.summary()
            }))
        }
        .await,
    )
}

/// Signs in and sends the person on to `next` (or their portal) — or, with two-step
/// sign-in on, to the code page first.
#[server(prefix = "/api", endpoint = "log_in")]
pub async fn log_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<SignInStep, AppError> {
    request::respond(
        async {
            let step = flows::log_in(&request::as_visitor().await?, email, password).await?;
            request::redirect(&after_password(&step, next.as_deref()));
            Ok(step)
        }
        .await,
    )
}

/// Where the browser goes once the password was right: on (signed in), or to the code.
#[cfg(feature = "ssr")]
fn after_password(step: &SignInStep, next: Option<&str>) -> String {
    match step {
        SignInStep::SignedIn(user) => safe_next(next, user.role),
        SignInStep::SecondStep => crate::api::two_step::with_next("/login/code", next),
        SignInStep::Enrol => crate::api::two_step::with_next("/login/enrol", next),
    }
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
    let form = flows::SignUp {
        first_name,
        last_name,
        email,
        phone: phone.unwrap_or_default(),
        password,
        next,
    };
    request::respond(
        async {
            flows::sign_up(&request::call().await?, form).await?;
            request::redirect("/signup?sent=1");
            Ok(())
        }
        .await,
    )
}

/// Sends the confirmation link again, if the address has an unconfirmed account.
#[server(prefix = "/api", endpoint = "resend_verification")]
pub async fn resend_verification(email: String) -> Result<(), AppError> {
    request::respond(
        async {
            flows::resend_verification(&request::call().await?, email).await?;
            request::redirect("/signup?sent=1");
            Ok(())
        }
        .await,
    )
}

/// Confirms a new patient's address with the emailed link's token and signs them in.
#[server(prefix = "/api", endpoint = "verify_email")]
pub async fn verify_email(token: String, next: Option<String>) -> Result<UserSummary, AppError> {
    request::respond(
        async {
            let signed_in = flows::verify_email(&request::as_visitor().await?, token).await?;
            request::redirect(&safe_next(next.as_deref(), signed_in.role));
            Ok(signed_in)
        }
        .await,
    )
}

/// Ends the session on the server: the old cookie is worthless afterwards.
#[server(prefix = "/api", endpoint = "log_out")]
pub async fn log_out() -> Result<(), AppError> {
    request::respond(
        async {
            flows::log_out(&request::as_visitor().await?).await?;
            request::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// Changes the signed-in person's password; every other session of theirs ends.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    request::respond(
        async {
            let call = request::as_user().await?;
            let session = request::session().await?;
            flows::change_password(&call, &session, current_password, new_password).await
        }
        .await,
    )
}

/// Emails a one-time link to reset the password, if the address has an account. The
/// answer is the same either way.
#[server(prefix = "/api", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    request::respond(
        async {
            reset::request_password_reset(&request::call().await?, email).await?;
            // The page then says "if an account exists…" — also after a plain form post.
            request::redirect("/forgot-password?sent=1");
            Ok(())
        }
        .await,
    )
}

/// Sets a new password with a reset link's token; signs this browser in (after the
/// code, with two-step sign-in on).
#[server(prefix = "/api", endpoint = "reset_password")]
pub async fn reset_password(token: String, new_password: String) -> Result<SignInStep, AppError> {
    request::respond(
        async {
            let call = request::as_visitor().await?;
            let step = reset::reset_password(&call, token, new_password).await?;
            request::redirect(&after_password(&step, None));
            Ok(step)
        }
        .await,
    )
}

/// Chooses the first password with an invitation link's token (a patient the staff
/// recorded); signs this browser in.
#[server(prefix = "/api", endpoint = "accept_invitation")]
pub async fn accept_invitation(
    token: String,
    new_password: String,
) -> Result<SignInStep, AppError> {
    request::respond(
        async {
            let call = request::as_visitor().await?;
            let step = invite::accept_invitation(&call, token, new_password).await?;
            request::redirect(&after_password(&step, None));
            Ok(step)
        }
        .await,
    )
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
    /// The code after the password signs the person in.
    pub sign_in_code: ServerAction<crate::api::two_step::SignInCode>,
    /// Finishing the setup of two-step sign-in after the password signs the person in.
    pub enrol: ServerAction<crate::api::two_step::ConfirmEnrolment>,
}

impl Auth {
    pub fn provide() {
        let log_in = ServerAction::<LogIn>::new();
        let sign_up = ServerAction::<SignUp>::new();
        let log_out = ServerAction::<LogOut>::new();
        let reset_password = ServerAction::<ResetPassword>::new();
        let verify_email = ServerAction::<VerifyEmail>::new();
        let accept_invitation = ServerAction::<AcceptInvitation>::new();
        let sign_in_code = ServerAction::<crate::api::two_step::SignInCode>::new();
        let enrol = ServerAction::<crate::api::two_step::ConfirmEnrolment>::new();
        let user = Resource::new(
            move || {
                (
                    log_in.version().get(),
                    sign_up.version().get(),
                    log_out.version().get(),
                    reset_password.version().get(),
                    verify_email.version().get(),
                    accept_invitation.version().get(),
                    sign_in_code.version().get(),
                    enrol.version().get(),
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
            sign_in_code,
            enrol,
        });
    }

    pub fn get() -> Self {
        expect_context::<Self>()
    }
}
