//! Two-step sign-in: the code after the password, turning it on (QR code, first code,
//! recovery codes shown once) and off, new recovery codes. Staff reset someone else's in
//! `api::accounts`.

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{
    request,
    services::auth::two_step::{self, passkeys},
};

pub use crate::wire::auth::{PasskeySummary, TwoStepSetup, TwoStepStatus, UserSummary};

/// The second step of signing in: the code from the authenticator app (or a recovery
/// code) for the password this browser just gave; then on to `next`. A recovery code
/// leads to the two-step page, which says how many are left.
#[server(prefix = "/api", endpoint = "sign_in_code")]
pub async fn sign_in_code(code: String, next: Option<String>) -> Result<UserSummary, AppError> {
    request::respond(
        async {
            let signed_in = two_step::sign_in(&request::as_visitor().await?, &code).await?;
            match signed_in.recovery_left {
                Some(left) => request::redirect(&format!("/account/two-step?recovery_left={left}")),
                None => request::redirect(&domain::links::safe_next(
                    next.as_deref(),
                    signed_in.user.role,
                )),
            }
            Ok(signed_in.user)
        }
        .await,
    )
}

/// The signed-in person's two-step sign-in, with the setup in progress if any.
#[server(prefix = "/api", endpoint = "two_step_status")]
pub async fn get_two_step_status() -> Result<TwoStepStatus, AppError> {
    request::respond(async { two_step::status(&request::as_user().await?).await }.await)
}

/// Starts turning two-step sign-in on: a new secret, shown as a QR code.
#[server(prefix = "/api", endpoint = "begin_two_step")]
pub async fn begin_two_step() -> Result<(), AppError> {
    request::respond(
        async {
            two_step::begin(&request::as_user().await?).await?;
            request::redirect("/account/two-step");
            Ok(())
        }
        .await,
    )
}

/// Turns two-step sign-in on with the app's first code; then the recovery codes, once.
#[server(prefix = "/api", endpoint = "confirm_two_step")]
pub async fn confirm_two_step(code: String) -> Result<(), AppError> {
    request::respond(
        async {
            let call = request::as_user().await?;
            two_step::confirm(&call, &request::session().await?, &code).await?;
            request::redirect("/account/two-step/codes");
            Ok(())
        }
        .await,
    )
}

/// Doctors and staff setting up two-step sign-in right after their password (nothing
/// else is open to them until it is on): where the setup stands.
#[server(prefix = "/api", endpoint = "enrolment_status")]
pub async fn get_enrolment_status() -> Result<TwoStepStatus, AppError> {
    request::respond(async { two_step::status(&request::as_enrolling().await?).await }.await)
}

/// Starts the setup after the password: a new secret, shown as a QR code.
#[server(prefix = "/api", endpoint = "begin_enrolment")]
pub async fn begin_enrolment(next: Option<String>) -> Result<(), AppError> {
    request::respond(
        async {
            two_step::begin(&request::as_enrolling().await?).await?;
            request::redirect(&with_next("/login/enrol", next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// Finishes the setup with the app's first code: two-step sign-in is on and this browser
/// is signed in; then the recovery codes, once, and on to `next`.
#[server(prefix = "/api", endpoint = "confirm_enrolment")]
pub async fn confirm_enrolment(code: String, next: Option<String>) -> Result<(), AppError> {
    request::respond(
        async {
            let call = request::as_enrolling().await?;
            two_step::confirm(&call, &request::session().await?, &code).await?;
            request::redirect(&with_next("/account/two-step/codes", next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// `path`, passing on where to go afterwards (only a path of this site).
#[cfg(feature = "ssr")]
pub(crate) fn with_next(path: &str, next: Option<&str>) -> String {
    match next.filter(|n| domain::links::is_local_path(n)) {
        Some(next) => format!("{path}?next={}", domain::links::encode_next(next)),
        None => path.to_owned(),
    }
}

/// The recovery codes just made, once: a second look finds none.
#[server(prefix = "/api", endpoint = "fresh_recovery_codes")]
pub async fn fresh_recovery_codes() -> Result<Vec<String>, AppError> {
    request::respond(
        async {
            request::as_user().await?;
            two_step::fresh_codes(&request::session().await?).await
        }
        .await,
    )
}

/// New recovery codes (the old ones stop working); then shown, once.
#[server(prefix = "/api", endpoint = "new_recovery_codes")]
pub async fn new_recovery_codes() -> Result<(), AppError> {
    request::respond(
        async {
            let call = request::as_user().await?;
            two_step::new_codes(&call, &request::session().await?).await?;
            request::redirect("/account/two-step/codes");
            Ok(())
        }
        .await,
    )
}

/// Turns two-step sign-in off, with a current code or a recovery code (patients only: the
/// clinic's doctors and staff must keep it).
#[server(prefix = "/api", endpoint = "turn_off_two_step")]
pub async fn turn_off_two_step(code: String) -> Result<(), AppError> {
    request::respond(
        async {
            let call = request::as_user().await?;
            two_step::turn_off(&call, &request::session().await?, &code).await?;
            request::redirect("/account/two-step");
            Ok(())
        }
        .await,
    )
}

/// Options for the browser to make a passkey for the signed-in person (WebAuthn's
/// `PublicKeyCredentialCreationOptions`, as JSON).
#[server(prefix = "/api", endpoint = "passkey_add_options")]
pub async fn passkey_add_options() -> Result<String, AppError> {
    request::respond(
        async {
            let call = request::as_user().await?;
            let session = request::session().await?;
            passkeys::begin_adding(&call, &session, request::host().await.as_deref()).await
        }
        .await,
    )
}

/// Adds the passkey the browser made (its answer as JSON), with a name the person gave
/// it. Answers whether recovery codes were made (their first second step): shown next.
#[server(prefix = "/api", endpoint = "add_passkey")]
pub async fn add_passkey(name: String, credential: String) -> Result<bool, AppError> {
    request::respond(
        async {
            let call = request::as_user().await?;
            let session = request::session().await?;
            let host = request::host().await;
            passkeys::finish_adding(&call, &session, host.as_deref(), &name, &credential).await
        }
        .await,
    )
}

/// Removes one of the signed-in person's passkeys.
#[server(prefix = "/api", endpoint = "remove_passkey")]
pub async fn remove_passkey(passkey_id: i64) -> Result<(), AppError> {
    request::respond(
        async {
            let call = request::as_user().await?;
            passkeys::remove(&call, &request::session().await?, passkey_id).await?;
            request::redirect("/account/two-step");
            Ok(())
        }
        .await,
    )
}

/// Options for signing in with a passkey instead of the password (WebAuthn's
/// `PublicKeyCredentialRequestOptions`, as JSON).
#[server(prefix = "/api", endpoint = "passkey_sign_in_options")]
pub async fn passkey_sign_in_options() -> Result<String, AppError> {
    request::respond(
        async {
            let call = request::as_visitor().await?;
            passkeys::begin_sign_in(&call, request::host().await.as_deref()).await
        }
        .await,
    )
}

/// Signs in with the passkey the browser chose (its answer as JSON).
#[server(prefix = "/api", endpoint = "sign_in_with_passkey")]
pub async fn sign_in_with_passkey(credential: String) -> Result<UserSummary, AppError> {
    request::respond(
        async {
            let call = request::as_visitor().await?;
            passkeys::finish_sign_in(&call, request::host().await.as_deref(), &credential).await
        }
        .await,
    )
}

/// Options for a passkey as the second step after the password.
#[server(prefix = "/api", endpoint = "passkey_second_step_options")]
pub async fn passkey_second_step_options() -> Result<String, AppError> {
    request::respond(
        async {
            let call = request::as_visitor().await?;
            passkeys::begin_second_step(&call, request::host().await.as_deref()).await
        }
        .await,
    )
}

/// The second step with a passkey (its answer as JSON): signed in.
#[server(prefix = "/api", endpoint = "second_step_with_passkey")]
pub async fn second_step_with_passkey(credential: String) -> Result<UserSummary, AppError> {
    request::respond(
        async {
            let call = request::as_visitor().await?;
            let host = request::host().await;
            passkeys::finish_second_step(&call, host.as_deref(), &credential).await
        }
        .await,
    )
}
