//! The links of confirmations and reminders: "I'll be there", "Cancel this visit",
//! "Find another time". The token is the only credential, good for its one action.

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::visit_links};

pub use crate::wire::visit_links::{VisitLinkState, VisitLinkView};

/// What a visit's link shows (`purpose`: confirm, cancel or move). Anyone holding the link
/// may read it; it changes nothing.
#[server(prefix = "/api", endpoint = "visit_link")]
pub async fn visit_link(purpose: String, token: String) -> Result<VisitLinkView, AppError> {
    request::respond(
        async {
            let call = request::call().await?;
            // A session that cannot be read is simply no session here.
            let signed_in = request::current_user()
                .await
                .ok()
                .flatten()
                .and_then(|u| u.patient_id);
            visit_links::view(&call, &purpose, &token, signed_in).await
        }
        .await,
    )
}

/// "I'll be there", with the link's token (no sign-in: the token allows this one action).
#[server(prefix = "/api", endpoint = "confirm_visit_by_link")]
pub async fn confirm_visit_by_link(token: String) -> Result<(), AppError> {
    request::respond(
        async {
            let start = visit_links::confirm(&request::call().await?, &token).await?;
            request::redirect(&format!(
                "/visit/done?did=confirmed&at={}",
                start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
            Ok(())
        }
        .await,
    )
}

/// "Cancel this visit", with the link's token — not inside the change freeze.
#[server(prefix = "/api", endpoint = "cancel_visit_by_link")]
pub async fn cancel_visit_by_link(token: String) -> Result<(), AppError> {
    request::respond(
        async {
            let start = visit_links::cancel(&request::call().await?, &token).await?;
            request::redirect(&format!(
                "/visit/done?did=cancelled&at={}",
                start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
            Ok(())
        }
        .await,
    )
}
