//! Patients' own details (name, phone, text reminders).

use domain::account::PersonName;

use crate::db;
use crate::error::AppError;
use crate::services::call::{Call, Patient};
use crate::wire::profile::ProfileView;

/// The signed-in patient's details.
pub async fn mine(call: &Call<Patient>) -> Result<ProfileView, AppError> {
    let db::patients::Profile {
        first_name,
        last_name,
        email,
        phone,
        sms_opt_in,
    } = db::patients::profile(&call.state.pool, call.who.patient_id).await?;
    Ok(ProfileView {
        first_name,
        last_name,
        email,
        phone,
        sms_opt_in,
    })
}

/// Changes the signed-in patient's details; returns them as now stored.
pub async fn update(
    call: &Call<Patient>,
    first_name: String,
    last_name: String,
    phone: String,
    sms_opt_in: bool,
) -> Result<ProfileView, AppError> {
    let first_name = PersonName::parse("first_name", &first_name)?;
    let last_name = PersonName::parse("last_name", &last_name)?;
    let phone = crate::services::phone::as_stored(&call.state.pool, &phone).await?;
    if sms_opt_in && phone.is_none() {
        return Err(AppError::validation(
            "phone",
            "Add a phone number to get text reminders.",
        ));
    }
    db::patients::update_profile(
        &call.state.pool,
        call.who.patient_id,
        first_name.as_str(),
        last_name.as_str(),
        phone.as_deref(),
        sms_opt_in,
    )
    .await?;
    mine(call).await
}
