//! Patients' own details (name, phone, text reminders).

use domain::account::{PersonName, Phone};

use crate::server::auth::guard;
use crate::server::db;
use crate::server::state::app_state;
use crate::wire::profile::ProfileView;
use crate::AppError;

async fn load(patient_id: i64) -> Result<ProfileView, AppError> {
    let state = app_state()?;
    let db::patients::Profile {
        first_name,
        last_name,
        email,
        phone,
        sms_opt_in,
    } = db::patients::profile(&state.pool, patient_id).await?;
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
    db::patients::update_profile(
        &state.pool,
        patient_id,
        first_name.as_str(),
        last_name.as_str(),
        phone.as_ref().map(Phone::as_str),
        sms_opt_in,
    )
    .await?;
    load(patient_id).await
}
