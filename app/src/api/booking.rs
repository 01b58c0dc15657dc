//! Finding a time and booking it, for patients. Browsing open times is public; holding,
//! confirming, moving and cancelling need a signed-in patient and touch only their own.

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use uuid::Uuid;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::patient};

pub use crate::wire::booking::*;

#[server(prefix = "/api", endpoint = "finder_week")]
pub async fn finder_week(
    appointment_type_id: Option<i64>,
    week: Option<NaiveDate>,
    /// A chosen doctor (their times only); none: any doctor.
    doctor: Option<i64>,
    /// Times to move a visit to: its type may be one only staff book new visits of.
    moving: Option<bool>,
) -> Result<WeekView, AppError> {
    request::respond(
        async {
            let call = request::call().await?;
            let ask = patient::FinderAsk {
                appointment_type_id,
                week,
                doctor,
                moving: moving.unwrap_or(false),
            };
            patient::finder_week(&call, ask).await
        }
        .await,
    )
}

/// The doctors who offer a visit type, and a signed-in patient's usual doctor.
#[server(prefix = "/api", endpoint = "doctor_choice")]
pub async fn doctor_choice(appointment_type_id: i64) -> Result<DoctorChoiceView, AppError> {
    request::respond(
        async {
            let call = request::call().await?;
            let patient_id = request::current_user().await?.and_then(|u| u.patient_id);
            patient::doctor_choice(&call, patient_id, appointment_type_id).await
        }
        .await,
    )
}

/// Reserves a time for the signed-in patient, then continues to the confirm page.
#[server(prefix = "/api", endpoint = "hold_time")]
pub async fn hold_time(
    start: DateTime<Utc>,
    appointment_type_id: i64,
    /// The doctor the patient chose; none: the clinic assigns one.
    doctor: Option<i64>,
    /// Whom the visit is for: someone the patient looks after; none: the patient.
    for_patient: Option<i64>,
) -> Result<HoldView, AppError> {
    request::respond(
        async {
            let call = request::as_patient().await?;
            let view =
                patient::hold_time(&call, start, appointment_type_id, doctor, for_patient).await?;
            request::redirect(&format!("/book/confirm?hold={}", view.token));
            Ok(view)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "get_hold")]
pub async fn get_hold(token: Uuid) -> Result<HoldView, AppError> {
    request::respond(async { patient::hold_view(&request::as_patient().await?, token).await }.await)
}

/// Lets go of the signed-in patient's hold ("Choose another time"): the time is offered
/// again at once. Someone else's hold, or none, changes nothing.
#[server(prefix = "/api", endpoint = "release_hold")]
pub async fn release_hold(hold: Uuid, appointment_type_id: Option<i64>) -> Result<(), AppError> {
    request::respond(
        async {
            patient::release_hold(&request::as_patient().await?, hold).await?;
            request::redirect(
                &appointment_type_id
                    .map_or_else(|| "/book".to_owned(), |t| format!("/book?type={t}")),
            );
            Ok(())
        }
        .await,
    )
}

/// Books the held time. Submitting again with the same `idempotency_key` books nothing new.
#[server(prefix = "/api", endpoint = "confirm_booking")]
#[allow(clippy::too_many_arguments)]
pub async fn confirm_booking(
    hold: Uuid,
    reason: Option<String>,
    idempotency_key: Uuid,
    /// Answers to the visit type's intake questions, by position (1 to 5).
    answer_1: Option<String>,
    answer_2: Option<String>,
    answer_3: Option<String>,
    answer_4: Option<String>,
    answer_5: Option<String>,
) -> Result<i64, AppError> {
    request::respond(
        async {
            let call = request::as_patient().await?;
            let answers: Vec<(i32, String)> = [answer_1, answer_2, answer_3, answer_4, answer_5]
                .into_iter()
                .zip(1..)
                .filter_map(|(a, n)| a.map(|a| (n, a)))
                .collect();
            let id =
                patient::confirm_booking(&call, hold, reason, idempotency_key, &answers).await?;
            request::redirect(&format!("/appointments/{id}?booked=1"));
            Ok(id)
        }
        .await,
    )
}

/// Moves the patient's appointment to `start`; the old time is released in the same
/// transaction, only once the new one is taken.
#[server(prefix = "/api", endpoint = "reschedule_appointment")]
pub async fn reschedule_appointment(
    appointment_id: i64,
    start: DateTime<Utc>,
) -> Result<i64, AppError> {
    request::respond(
        async {
            let call = request::as_patient().await?;
            let id = patient::reschedule(&call, appointment_id, start).await?;
            request::redirect(&format!("/appointments/{id}?moved=1"));
            Ok(id)
        }
        .await,
    )
}

/// Who moving the signed-in patient's own appointment to `start` would be with, as things
/// stand: the same doctor when free then, else whom the clinic would assign.
#[server(prefix = "/api", endpoint = "move_preview")]
pub async fn move_preview(
    appointment_id: i64,
    start: DateTime<Utc>,
) -> Result<MoveDoctor, AppError> {
    request::respond(
        async { patient::move_preview(&request::as_patient().await?, appointment_id, start).await }
            .await,
    )
}

/// "I'll be there": the signed-in patient confirms their own visit.
#[server(prefix = "/api", endpoint = "confirm_my_visit")]
pub async fn confirm_my_visit(appointment_id: i64) -> Result<i64, AppError> {
    request::respond(
        async {
            let id = patient::confirm(&request::as_patient().await?, appointment_id).await?;
            request::redirect(&format!("/appointments/{id}?confirmed=1"));
            Ok(id)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "cancel_appointment")]
pub async fn cancel_appointment(appointment_id: i64) -> Result<i64, AppError> {
    request::respond(
        async {
            let id = patient::cancel(&request::as_patient().await?, appointment_id).await?;
            request::redirect(&format!("/appointments/{id}?cancelled=1"));
            Ok(id)
        }
        .await,
    )
}
