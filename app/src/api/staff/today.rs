//! The staff home page: today's visits and the clinic's figures at a glance.

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::staff};

pub use crate::wire::staff::today::*;

/// Today at the clinic (each patient listed is an audited read).
#[server(prefix = "/api", endpoint = "staff_today")]
pub async fn staff_today() -> Result<TodayView, AppError> {
    request::respond(async { staff::today::today(&request::as_staff().await?).await }.await)
}
