//! The wire and view types of `api::directory`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorCard {
    pub doctor_id: i64,
    pub display_name: String,
    pub specialty: String,
    /// Languages the doctor speaks with patients.
    pub languages: Vec<String>,
    /// A short public introduction.
    pub introduction: Option<String>,
}

impl DoctorCard {
    /// Whether this doctor matches what was typed into the directory search box.
    pub fn matches(&self, query: &str) -> bool {
        let languages = self.languages.join(" ");
        domain::directory::matches_query(query, &[&self.display_name, &self.specialty, &languages])
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
