//! What a server function learns from its HTTP request, and the only server code that
//! reads it (the Leptos context: session, headers, state, response options) or the clock
//! for a request. Every server function is a public POST endpoint, so each one builds its
//! [`Call`] here first — `as_patient`, `as_doctor`, `as_staff`, `as_user` or `call` for
//! anyone — which is the authorization check; route guards in the pages are only a
//! convenience. The services then take the call as an argument.

use chrono::Utc;
use tower_sessions::Session;

use crate::error::AppError;
use crate::services::auth::session::{self, CurrentUser};
use crate::services::call::{Call, Doctor, Patient, Staff, Visitor};
use crate::services::state::AppState;
use domain::role::Role;

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| AppError::internal(format!("session layer missing: {e}")))
}

/// The signed-in person, if any.
pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    let state = app_state()?;
    let session = session().await?;
    session::load(&state, &session, Utc::now()).await
}

/// Anyone signed in.
pub async fn require_user() -> Result<CurrentUser, AppError> {
    current_user().await?.ok_or(AppError::Unauthenticated)
}

/// Someone signed in with one of `roles`.
pub async fn require_role(roles: &[Role]) -> Result<CurrentUser, AppError> {
    let user = require_user().await?;
    if roles.contains(&user.role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// A signed-in patient, with their patient id.
pub async fn require_patient() -> Result<(CurrentUser, i64), AppError> {
    let user = require_role(&[Role::Patient]).await?;
    let patient_id = user.patient_id.ok_or(AppError::Forbidden)?;
    Ok((user, patient_id))
}

/// A signed-in doctor, with their doctor id.
pub async fn require_doctor() -> Result<(CurrentUser, i64), AppError> {
    let user = require_role(&[Role::Doctor]).await?;
    let doctor_id = user.doctor_id.ok_or(AppError::Forbidden)?;
    Ok((user, doctor_id))
}

pub async fn require_admin() -> Result<CurrentUser, AppError> {
    require_role(&[Role::Admin]).await
}

/// A call from anyone, signed in or not (nothing checked): the state, the moment and
/// the request id.
pub async fn call() -> Result<Call, AppError> {
    Ok(Call {
        state: app_state()?,
        now: Utc::now(),
        request_id: request_id().await,
        who: (),
    })
}

/// A call from someone at the sign-in door, with their session and address.
pub async fn as_visitor() -> Result<Call<Visitor>, AppError> {
    let call = call().await?;
    let visitor = Visitor {
        session: session().await?,
        addr: client_addr().await,
    };
    Ok(call.with(visitor))
}

/// A call from anyone signed in.
pub async fn as_user() -> Result<Call<CurrentUser>, AppError> {
    let call = call().await?;
    let session = session().await?;
    let user = session::load(&call.state, &session, call.now)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(call.with(user))
}

/// A call from a doctor or staff member setting up two-step sign-in right after their
/// password (not signed in until it is on).
pub async fn as_enrolling() -> Result<Call<CurrentUser>, AppError> {
    let call = call().await?;
    let session = session().await?;
    let user = session::enrolling(&call.state, &session, call.now)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(call.with(user))
}

/// A call from someone signed in with one of `roles`.
pub async fn as_role(roles: &[Role]) -> Result<Call<CurrentUser>, AppError> {
    let call = as_user().await?;
    if roles.contains(&call.who.role) {
        Ok(call)
    } else {
        Err(AppError::Forbidden)
    }
}

/// A call from a signed-in patient.
pub async fn as_patient() -> Result<Call<Patient>, AppError> {
    let call = as_role(&[Role::Patient]).await?;
    let patient_id = call.who.patient_id.ok_or(AppError::Forbidden)?;
    let user = call.who.clone();
    Ok(call.with(Patient { user, patient_id }))
}

/// A call from a signed-in doctor.
pub async fn as_doctor() -> Result<Call<Doctor>, AppError> {
    let call = as_role(&[Role::Doctor]).await?;
    let doctor_id = call.who.doctor_id.ok_or(AppError::Forbidden)?;
    let user = call.who.clone();
    Ok(call.with(Doctor { user, doctor_id }))
}

/// A call from signed-in clinic staff.
pub async fn as_staff() -> Result<Call<Staff>, AppError> {
    let call = as_role(&[Role::Admin]).await?;
    let user = call.who.clone();
    Ok(call.with(Staff { user }))
}

/// The `Host` header, for absolute links when no public origin is configured.
pub async fn host() -> Option<String> {
    let headers = leptos_axum::extract::<axum::http::HeaderMap>().await.ok()?;
    headers
        .get(axum::http::header::HOST)?
        .to_str()
        .ok()
        .map(str::to_owned)
}

/// Sends the browser on to `path` after a form posted without JavaScript (a call from
/// the app itself ignores it).
pub fn redirect(path: &str) {
    leptos_axum::redirect(path);
}

/// The request id set by the HTTP layer, for audit rows.
pub async fn request_id() -> Option<String> {
    let headers = leptos_axum::extract::<axum::http::HeaderMap>().await.ok()?;
    headers
        .get("x-request-id")?
        .to_str()
        .ok()
        .map(str::to_owned)
}

/// The client's address: the TCP peer, or behind a trusted proxy the last
/// `X-Forwarded-For` hop (earlier hops are client-supplied and could be forged).
pub async fn client_addr() -> Option<std::net::IpAddr> {
    if app_state().is_ok_and(|s| s.trust_forwarded_for) {
        let headers = leptos_axum::extract::<axum::http::HeaderMap>().await.ok()?;
        let forwarded = headers.get("x-forwarded-for")?.to_str().ok()?;
        return forwarded.rsplit(',').next()?.trim().parse().ok();
    }
    leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .await
        .ok()
        .map(|info| info.0.ip())
}

/// Finishes a server function: an error also sets the HTTP status that matches it
/// (401, 403, 404, 409, 429, …) instead of a blanket 500 — when the server function was
/// called over HTTP. Called by a page's resource during a server render, the error is the
/// page's data, not the page's status: the page shows it (a guarded page redirects an
/// anonymous visitor to sign in, which a 401 would override).
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    let page_render =
        leptos::prelude::use_context::<leptos_router::location::RequestUrl>().is_some();
    // A page whose data cannot be read because the database is away says so with 503
    // (load balancers and monitors see it; the page shows the message).
    let unavailable = matches!(result, Err(AppError::Unavailable));
    if let (Err(err), false) = (&result, page_render && !unavailable) {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(
                axum::http::StatusCode::from_u16(err.status_code())
                    .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    }
    result
}

/// The state inside a server function or a server render.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| AppError::internal("AppState missing from context"))
}
