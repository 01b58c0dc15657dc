//! The plain HTTP downloads (not server functions): a patient's `.ics` for one visit, a
//! doctor's calendar feed, and the staff's audit CSV. Each reads its request here (the
//! session, the headers, the clock) and asks the service for the file.

use app::services::auth::session::{self, CurrentUser};
use app::services::calendar;
use app::services::call::{Call, Staff};
use app::services::staff::audit_export::{self, ExportParams};
use app::services::state::AppState;
use app::AppError;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use domain::role::Role;
use tower_sessions::Session;

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|h| h.to_str().ok())
}

/// `GET /appointments/{id}/calendar.ics`: the patient's "add to calendar" download. A GET
/// that changes nothing; only the appointment's patient may fetch it.
pub async fn appointment_ics(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    let now = Utc::now();
    let file = async {
        let user = session::load(&state, &session, now)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let patient_id = user.patient_id.ok_or(AppError::NotFound)?;
        calendar::appointment_file(&state, user.user_id, patient_id, id, now).await
    };
    match file.await {
        Ok((filename, body)) => (
            [
                (
                    header::CONTENT_TYPE,
                    "text/calendar; charset=utf-8".to_owned(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
            ],
            body,
        )
            .into_response(),
        // One answer for another patient's visit, a cancelled one and an unknown id.
        Err(AppError::NotFound) => {
            (StatusCode::NOT_FOUND, "We could not find that appointment.").into_response()
        }
        Err(AppError::Unauthenticated) => (
            StatusCode::UNAUTHORIZED,
            "Please sign in to download your appointment.",
        )
            .into_response(),
        Err(other) => other.into_response(),
    }
}

/// `GET /calendar/{token}.ics`: a doctor's private feed (the token is the secret).
pub async fn doctor_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return AppError::NotFound.into_response();
    };
    let host = header_text(&headers, header::HOST.as_str());
    match calendar::doctor_feed(&state, token, host, Utc::now()).await {
        Ok(body) => (
            [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(AppError::NotFound) => (StatusCode::NOT_FOUND, "No such calendar.").into_response(),
        Err(other) => other.into_response(),
    }
}

/// `GET /admin/audit.csv?…`: the audit rows of the audit page's filter, for staff only.
pub async fn audit_csv(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(params): Query<ExportParams>,
) -> Response {
    let now = Utc::now();
    let user: CurrentUser = match session::load(&state, &session, now).await {
        Ok(Some(user)) if user.role == Role::Admin => user,
        Ok(Some(_)) => return (StatusCode::NOT_FOUND, "Not found.").into_response(),
        Ok(None) => return Redirect::to("/login?next=/admin/audit").into_response(),
        Err(e) => return e.into_response(),
    };
    let filter = match audit_export::filter(&params) {
        Ok(filter) => filter,
        Err(message) => return (StatusCode::BAD_REQUEST, message).into_response(),
    };
    let call = Call {
        state,
        now,
        request_id: header_text(&headers, "x-request-id").map(str::to_owned),
        who: Staff { user },
    };
    match audit_export::csv(&call, &filter).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"audit-log.csv\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
