//! The wire and view types of `api::profile`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub sms_opt_in: bool,
}
