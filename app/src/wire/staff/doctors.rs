//! The wire and view types of `api::staff::doctors`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorRow {
    pub doctor_id: i64,
    pub user_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub specialty: String,
    pub languages: Vec<String>,
    pub introduction: Option<String>,
    pub email: String,
    pub active: bool,
    /// Booked visits still to come.
    pub upcoming: i64,
}
