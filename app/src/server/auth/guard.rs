//! Guards for server functions. Every server function is a public POST endpoint, so each
//! one calls one of these itself; route guards in the pages are only a convenience.

use chrono::Utc;
use tower_sessions::Session;

use crate::server::auth::session::{self, CurrentUser};
use crate::server::state::app_state;
use crate::AppError;
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
