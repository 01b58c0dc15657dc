//! The clinic's public directory: its name and contact details and the doctors who work
//! there. Public on purpose (it is the clinic's front page), so it carries no patient data.

use leptos::prelude::*;

use crate::AppError;

pub use crate::wire::directory::*;

/// Public: no session needed. Lists active doctors only.
#[server(prefix = "/api", endpoint = "clinic_directory")]
pub async fn get_clinic_directory() -> Result<ClinicDirectory, AppError> {
    use crate::server::{db, state::app_state};
    let state = app_state()?;
    let clinic = db::settings::clinic_profile(&state.pool).await?;
    // A moment old is fine here: from the read replica when there is one.
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

/// Public: the clinic's name and contact details, for every page's header and footer
/// (the doctors are only on the front page: [`get_clinic_directory`]). Cached per
/// instance while it follows the database.
#[server(prefix = "/api", endpoint = "clinic_profile")]
pub async fn get_clinic_profile() -> Result<ClinicProfile, AppError> {
    use crate::server::state::app_state;
    let state = app_state()?;
    Ok(state.availability.settings(&state.pool).await?.profile)
}

pub type ClinicResource = Resource<Result<ClinicProfile, AppError>>;

/// Loads the clinic's profile once per page render and shares it with the header and
/// pages.
pub fn provide_clinic_profile() {
    let resource: ClinicResource = Resource::new(|| (), |_| get_clinic_profile());
    provide_context(resource);
}

pub fn use_clinic_profile() -> ClinicResource {
    expect_context::<ClinicResource>()
}
