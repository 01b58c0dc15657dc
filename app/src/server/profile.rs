//! Patients' own details (name, phone, text reminders).

use domain::account::{PersonName, Phone};

use crate::server::auth::guard;
use crate::server::state::app_state;
use crate::wire::profile::ProfileView;
use crate::AppError;

async fn load(patient_id: i64) -> Result<ProfileView, AppError> {
    let state = app_state()?;
    let (first_name, last_name, email, phone, sms_opt_in): (
        String,
        String,
        String,
        Option<String>,
        bool,
    ) = sqlx::query_as(
        "select p.first_name, p.last_name, u.email, p.phone, p.sms_opt_in
         from patients p join users u on u.user_id = p.user_id where p.patient_id = $1",
    )
    .bind(patient_id)
    .fetch_one(&state.pool)
    .await?;
    Ok(ProfileView {
        first_name,
        last_name,
        email,
        phone,
        sms_opt_in,
    })
}

pub async fn my_profile() -> Result<ProfileView, AppError> {
    let (_, patient_id) = guard::require_patient().await?;
    load(patient_id).await
}

pub async fn update_profile(
    first_name: String,
    last_name: String,
    phone: String,
    sms_opt_in: bool,
) -> Result<ProfileView, AppError> {
    let (_, patient_id) = guard::require_patient().await?;
    let first_name = PersonName::parse("first_name", &first_name)?;
    let last_name = PersonName::parse("last_name", &last_name)?;
    let phone = Phone::parse_optional(&phone)?;
    if sms_opt_in && phone.is_none() {
        return Err(AppError::validation(
            "phone",
            "Add a phone number to get text reminders.",
        ));
    }
    let state = app_state()?;
    sqlx::query(
        "update patients set first_name = $2, last_name = $3, phone = $4, sms_opt_in = $5, updated_at = now()
         where patient_id = $1",
    )
    .bind(patient_id)
    .bind(first_name.as_str())
    .bind(last_name.as_str())
    .bind(phone.as_ref().map(Phone::as_str))
    .bind(sms_opt_in)
    .execute(&state.pool)
    .await?;
    load(patient_id).await
}
