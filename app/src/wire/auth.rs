//! The wire and view types of `api::auth`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use domain::role::Role;
use serde::{Deserialize, Serialize};

/// What the pages may know about the signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub user_id: i64,
    pub role: Role,
    pub display_name: String,
    pub email: String,
}
