//! Calendar files: a patient's "add to calendar" download of one visit, and a doctor's
//! private feed (served by the binary at `/appointments/{id}/calendar.ics` and
//! `/calendar/{token}.ics`).

use chrono::{DateTime, Utc};
use domain::booking::AppointmentStatus;
use domain::ics::{self, IcsMethod};

use crate::db;
use crate::error::AppError;
use crate::services::audit;
use crate::services::state::AppState;
use domain::audit::{AuditAction, AuditActor};

/// The patient's "add to calendar" file for their visit `id`, or for a visit of someone they
/// look after (that read audited): its name and text. Another patient's visit, a cancelled
/// one and an unknown id are all "not found".
pub async fn appointment_file(
    state: &AppState,
    user_id: i64,
    patient_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(String, String), AppError> {
    let mut tx = state.pool.begin().await?;
    let family = db::family::family_ids(&mut tx, patient_id).await?;
    let row = db::appointments::calendar_entry(&mut tx, id, &family).await?;
    // A cancelled visit has nothing to add to a calendar.
    let row = row
        .filter(|r| r.status != AppointmentStatus::Cancelled)
        .ok_or(AppError::NotFound)?;
    let for_name = (row.patient_id != patient_id).then(|| row.first_name.clone());
    if for_name.is_some() {
        let entry = audit::Entry {
            actor_user_id: Some(user_id),
            actor_role: AuditActor::Patient,
            action: AuditAction::AppointmentRead,
            patient_id: Some(row.patient_id),
            target: Some(format!("appointment:{id}")),
            outcome: audit::Outcome::Success,
            request_id: None,
        };
        audit::record(&mut tx, &entry).await?;
    }
    tx.commit().await?;
    let (start, end, sequence, doctor) = (
        row.start_time,
        row.end_time,
        row.ics_sequence,
        row.doctor_name,
    );
    let clinic = db::settings::clinic_profile(&state.pool).await?;
    let description = format!(
        "{}With {doctor}. To change or cancel, visit your appointments page or call {}.",
        for_name.map(|n| format!("For {n}. ")).unwrap_or_default(),
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

/// A doctor's private feed of their booked visits, by the feed's secret `token` — times,
/// visit types and links, never a patient's name or reason (the URL ends up in calendar
/// apps). Only the token's hash is stored; a revoked, unknown or malformed token is "not
/// found" alike. Links are absolute, from the public origin or else `host`.
pub async fn doctor_feed(
    state: &AppState,
    token: &str,
    host: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let well_formed = token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(AppError::NotFound);
    }
    let doctor = db::doctors::by_feed_token(&state.pool, token)
        .await?
        .ok_or(AppError::NotFound)?;
    let visits =
        db::doctors::feed_visits(&state.pool, doctor.0, now - chrono::Duration::days(30)).await?;
    let origin = state.link_origin(host);
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
    Ok(ics::render_feed(
        &format!("{} — clinic visits", doctor.1),
        &events,
        now,
    ))
}
