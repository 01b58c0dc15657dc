//! The signed-in patient's own details.

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::profile};

pub use crate::wire::profile::*;

#[server(prefix = "/api", endpoint = "my_profile")]
pub async fn my_profile() -> Result<ProfileView, AppError> {
    request::respond(async { profile::mine(&request::as_patient().await?).await }.await)
}

/// `sms_opt_in` is a checkbox: present ("on") when ticked.
#[server(prefix = "/api", endpoint = "update_profile")]
pub async fn update_profile(
    first_name: String,
    last_name: String,
    phone: Option<String>,
    sms_opt_in: Option<String>,
) -> Result<ProfileView, AppError> {
    request::respond(
        async {
            profile::update(
                &request::as_patient().await?,
                first_name,
                last_name,
                phone.unwrap_or_default(),
                sms_opt_in.is_some(),
            )
            .await
        }
        .await,
    )
}
