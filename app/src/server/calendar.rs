//! `GET /appointments/{id}/calendar.ics`: the patient's "add to calendar" download. A GET
//! that changes nothing; only the appointment's patient may fetch it.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use domain::booking::AppointmentStatus;
use domain::ics::{self, IcsMethod};
use tower_sessions::Session;

use crate::server::auth::session;
use crate::server::db;
use crate::server::state::AppState;
use crate::AppError;

pub async fn appointment_ics(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Response {
    match render(&state, &session, id).await {
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

async fn render(
    state: &AppState,
    http_session: &Session,
    id: i64,
) -> Result<(String, String), AppError> {
    let now = Utc::now();
    let user = session::load(state, http_session, now)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let patient_id = user.patient_id.ok_or(AppError::NotFound)?;
    let row = db::appointments::calendar_entry(&state.pool, id, patient_id).await?;
    // A cancelled visit has nothing to add to a calendar.
    let row = row
        .filter(|r| r.status != AppointmentStatus::Cancelled)
        .ok_or(AppError::NotFound)?;
    let (start, end, sequence, doctor) = (
        row.start_time,
        row.end_time,
        row.ics_sequence,
        row.doctor_name,
    );
    let clinic = db::settings::clinic_profile(&state.pool).await?;
    let description = format!(
        "With {doctor}. To change or cancel, visit your appointments page or call {}.",
        clinic.phone
    );
    let visit = ics::ClinicVisit {
        appointment_id: id,
        sequence,
        start,
        end,
        clinic_name: &clinic.name,
        clinic_address: &clinic.address,
        clinic_email: &clinic.email,
        description: &description,
    };
    // A file the patient adds themselves: published, not an invitation to answer.
    let file = ics::render_visit(&visit, IcsMethod::Publish, now);
    Ok((format!("appointment-{id}.ics"), file))
}

/// `GET /calendar/{token}.ics`: a doctor's private feed of their booked visits — times,
/// visit types and links, never a patient's name or reason (the URL ends up in calendar
/// apps). The token is the secret; only its hash is stored.
pub async fn doctor_feed(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "No such calendar.").into_response();
    let Some(token) = file.strip_suffix(".ics").filter(|t| {
        t.len() == 43
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) else {
        return not_found();
    };
    let now = Utc::now();
    // A revoked feed's old token, an unknown one and a malformed one answer alike.
    let doctor = match db::doctors::by_feed_token(&state.pool, token).await {
        Ok(Some(doctor)) => doctor,
        Ok(None) => return not_found(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let visits =
        match db::doctors::feed_visits(&state.pool, doctor.0, now - chrono::Duration::days(30))
            .await
        {
            Ok(visits) => visits,
            Err(e) => return AppError::from(e).into_response(),
        };
    let origin = state.link_origin(headers.get(header::HOST).and_then(|h| h.to_str().ok()));
    let host = origin.split("://").nth(1).unwrap_or("localhost");
    let events: Vec<ics::FeedEvent> = visits
        .into_iter()
        .map(|(id, start, end, type_name, sequence)| ics::FeedEvent {
            uid: ics::appointment_uid(id, host),
            sequence: sequence.max(0) as u32,
            start,
            end,
            summary: format!("Visit ({type_name})"),
            url: format!("{origin}/doctor/visits/{id}"),
        })
        .collect();
    (
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        ics::render_feed(&format!("{} — clinic visits", doctor.1), &events, now),
    )
        .into_response()
}
