//! `POST /sms/inbound`: texts patients send back, posted by the SMS gateway (the format
//! and its signature are in `app::services::sms_inbound` and the README). Answers 404 when
//! no secret is configured, 401 for a missing or wrong signature or a stale timestamp,
//! 400 for a signed body that is not a text, and 200 with what was done otherwise
//! (`{"outcome": "confirm"}`; a repeat of a message id: `"repeat"`, nothing done again).

use app::services::sms_inbound::{self, Refused};
use app::services::state::AppState;
use app::AppError;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};

/// The shared secret (`CLINIC_SMS_WEBHOOK_SECRET`), if inbound texts are wired up.
#[derive(Clone)]
pub struct InboundSecret(pub Option<SecretString>);

pub async fn receive(
    State(state): State<AppState>,
    Extension(InboundSecret(secret)): Extension<InboundSecret>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(secret) = secret else {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    };
    let now = Utc::now();
    let signature = headers
        .get("x-clinic-signature")
        .and_then(|v| v.to_str().ok());
    let text = match sms_inbound::check(secret.expose_secret().as_bytes(), &body, signature, now) {
        Ok(text) => text,
        Err(Refused::Unauthorized(why)) => {
            tracing::warn!(why, "inbound text refused");
            return (StatusCode::UNAUTHORIZED, why).into_response();
        }
        Err(Refused::Malformed(why)) => return (StatusCode::BAD_REQUEST, why).into_response(),
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let base = state.link_origin(host);
    match sms_inbound::receive(&state.pool, &base, &text, now).await {
        Ok(handled) => Json(serde_json::json!({ "outcome": handled.outcome })).into_response(),
        Err(AppError::Unavailable) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The database is not answering: try again shortly.",
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "inbound text failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The text could not be handled: try again.",
            )
                .into_response()
        }
    }
}
