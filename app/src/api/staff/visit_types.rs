//! Visit types, staff side: the list, creating and changing one (with a preview of what
//! the change touches), retiring and restoring, and the types staff may book.

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::staff};

pub use crate::wire::booking::AppointmentTypeView;
pub use crate::wire::staff::visit_types::{
    QuestionForm, VisitTypeForm, VisitTypeOutcome, VisitTypesView,
};

/// Every visit type (retired ones last) and the doctors who may offer them.
#[server(prefix = "/api", endpoint = "staff_visit_types")]
pub async fn staff_visit_types() -> Result<VisitTypesView, AppError> {
    request::respond(async { staff::visit_types::list(&request::as_staff().await?).await }.await)
}

/// The active types staff may book for a patient (online and staff-only).
#[server(prefix = "/api", endpoint = "staff_bookable_types")]
pub async fn staff_bookable_types() -> Result<Vec<AppointmentTypeView>, AppError> {
    request::respond(
        async { staff::visit_types::bookable(&request::as_staff().await?).await }.await,
    )
}

/// Creates or changes a visit type; with `intent = "preview"` only says what it would
/// change and touch.
#[server(prefix = "/api", endpoint = "save_visit_type")]
#[allow(clippy::too_many_arguments)]
pub async fn save_visit_type(
    // Each field its own argument (not a flattened struct): numbers and lists of a
    // flattened struct arrive as text and would not parse.
    appointment_type_id: Option<i64>,
    name: String,
    slot_count: String,
    buffer_minutes: Option<String>,
    online: Option<String>,
    all_doctors: Option<String>,
    doctors: Option<Vec<i64>>,
    note: Option<String>,
    questions: Option<Vec<QuestionForm>>,
    intent: Option<String>,
) -> Result<VisitTypeOutcome, AppError> {
    let form = VisitTypeForm {
        appointment_type_id,
        name,
        slot_count,
        buffer_minutes: buffer_minutes.unwrap_or_default(),
        online,
        all_doctors,
        doctors,
        note,
        questions,
        intent,
    };
    request::respond(
        async { staff::visit_types::save(&request::as_staff().await?, form).await }.await,
    )
}

/// Retires a visit type (no new bookings; booked visits keep it) or restores it.
#[server(prefix = "/api", endpoint = "set_visit_type_active")]
pub async fn set_visit_type_active(appointment_type_id: i64, active: bool) -> Result<(), AppError> {
    request::respond(
        async {
            staff::visit_types::set_active(
                &request::as_staff().await?,
                appointment_type_id,
                active,
            )
            .await?;
            request::redirect("/admin/visit-types");
            Ok(())
        }
        .await,
    )
}
