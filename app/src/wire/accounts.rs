//! The wire and view types of `api::accounts`: what its server functions
//! take and return, shared by the pages, the server functions and the services.

use domain::role::Role;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    pub display_name: String,
    pub disabled: bool,
    /// Two-step sign-in is on.
    pub two_step: bool,
}
