//! `GET /appointments/{id}/calendar.ics`: the patient's "add to calendar" download. A GET
//! that changes nothing; only the appointment's patient may fetch it.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::ics::{self, IcsEvent, IcsMethod};
use tower_sessions::Session;

use crate::server::auth::session;
use crate::server::db;
use crate::server::state::AppState;

pub async fn appointment_ics(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    match render(&state, &session, id).await {
        Ok(Some((filename, body))) => (
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
        Ok(None) => (StatusCode::NOT_FOUND, "We could not find that appointment.").into_response(),
        Err(status) => (status, "Please sign in to download your appointment.").into_response(),
    }
}

async fn render(
    state: &AppState,
    http_session: &Session,
    id: i64,
) -> Result<Option<(String, String)>, StatusCode> {
    let now = Utc::now();
    let user = session::load(state, http_session, now)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let Some(patient_id) = user.patient_id else {
        return Ok(None);
    };
    let row: Option<(DateTime<Utc>, DateTime<Utc>, String, i32)> = sqlx::query_as(
        "select start_time, end_time, status, ics_sequence from appointments where appointment_id = $1 and patient_id = $2",
    )
    .bind(id)
    .bind(patient_id)
    .fetch_optional(&state.pool)
    .await
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let Some((start, end, status, sequence)) = row else {
        return Ok(None);
    };
    let clinic = db::settings::clinic_profile(&state.pool)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let domain = clinic
        .email
        .split('@')
        .nth(1)
        .filter(|d| !d.is_empty())
        .unwrap_or("clinic-scheduler.local")
        .to_owned();
    let summary = format!("Appointment at {}", clinic.name);
    let event = IcsEvent {
        uid: ics::appointment_uid(id, &domain),
        sequence: sequence.max(0) as u32,
        start,
        end,
        stamp: now,
        summary: &summary,
        location: &clinic.address,
        organizer_name: &clinic.name,
        organizer_email: Some(clinic.email.as_str()),
        method: if status == "cancelled" {
            IcsMethod::Cancel
        } else {
            IcsMethod::Request
        },
    };
    Ok(Some((format!("appointment-{id}.ics"), ics::render(&event))))
}
