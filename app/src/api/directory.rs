//! The clinic's public directory: its name and contact details and the doctors who work
//! there. Public on purpose (it is the clinic's front page), so it carries no patient data.

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::directory};

pub use crate::wire::directory::*;

/// Public: no session needed. Lists active doctors only.
#[server(prefix = "/api", endpoint = "clinic_directory")]
pub async fn get_clinic_directory() -> Result<ClinicDirectory, AppError> {
    request::respond(async { directory::directory(&request::call().await?).await }.await)
}

/// Public: the clinic's name and contact details, for every page's header and footer
/// (the doctors are only on the front page: [`get_clinic_directory`]). Cached per
/// instance while it follows the database.
#[server(prefix = "/api", endpoint = "clinic_profile")]
pub async fn get_clinic_profile() -> Result<ClinicProfile, AppError> {
    request::respond(async { directory::profile(&request::call().await?).await }.await)
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
