//! The clinic's public directory: its name, contact details and active doctors. No
//! patient data, so anyone may call.

use crate::db;
use crate::error::AppError;
use crate::services::call::Call;
use crate::wire::directory::{ClinicDirectory, ClinicProfile};

/// The clinic and its active doctors. A moment old is fine here: from the read replica
/// when there is one, else (or when it is away) the primary.
pub async fn directory(call: &Call) -> Result<ClinicDirectory, AppError> {
    let state = &call.state;
    let clinic = db::settings::clinic_profile(&state.pool).await?;
    let doctors = match &state.read_pool {
        Some(replica) => match db::doctors::list_active(replica).await {
            Ok(doctors) => doctors,
            Err(err) => {
                tracing::warn!(error = %err, "read replica unavailable; reading the primary");
                db::doctors::list_active(&state.pool).await?
            }
        },
        None => db::doctors::list_active(&state.pool).await?,
    };
    Ok(ClinicDirectory { clinic, doctors })
}

/// The clinic's name and contact details, from this instance's settings cache.
pub async fn profile(call: &Call) -> Result<ClinicProfile, AppError> {
    let state = &call.state;
    Ok(state.availability.settings(&state.pool).await?.profile)
}
