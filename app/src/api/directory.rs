//! The clinic's public directory: its name and contact details and the doctors who work
//! there. Public on purpose (it is the clinic's front page), so it carries no patient data.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorCard {
    pub doctor_id: i64,
    pub display_name: String,
    pub specialty: String,
}

impl DoctorCard {
    /// Whether this doctor matches what was typed into the directory search box.
    pub fn matches(&self, query: &str) -> bool {
        domain::directory::matches_query(query, &[&self.display_name, &self.specialty])
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicProfile {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicDirectory {
    pub clinic: ClinicProfile,
    pub doctors: Vec<DoctorCard>,
}

/// Public: no session needed. Lists active doctors only.
#[server(prefix = "/api", endpoint = "clinic_directory")]
pub async fn get_clinic_directory() -> Result<ClinicDirectory, AppError> {
    use crate::server::{db, state::app_state};
    let state = app_state()?;
    let clinic = db::settings::clinic_profile(&state.pool).await?;
    let doctors = db::doctors::list_active(&state.pool).await?;
    Ok(ClinicDirectory { clinic, doctors })
}

pub type DirectoryResource = Resource<Result<ClinicDirectory, AppError>>;

/// Loads the directory once per page render and shares it with the header and pages.
pub fn provide_clinic_directory() {
    let resource: DirectoryResource = Resource::new(|| (), |_| get_clinic_directory());
    provide_context(resource);
}

pub fn use_clinic_directory() -> DirectoryResource {
    expect_context::<DirectoryResource>()
}
