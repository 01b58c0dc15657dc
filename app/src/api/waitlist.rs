//! The waitlist: "tell me if an earlier time opens" for a visit, or a place on the list
//! for a visit type; leaving it; the patient's places.

use leptos::prelude::*;

use crate::AppError;
#[cfg(feature = "ssr")]
use crate::{request, services::waitlist};

pub use crate::wire::waitlist::{JoinForm, WaitlistEntry};

/// Puts the signed-in patient on the waitlist (for a visit of theirs, or a visit type),
/// with optional limits; answers the entry's id.
#[server(prefix = "/api", endpoint = "join_waitlist")]
pub async fn join_waitlist(#[server(flatten)] form: JoinForm) -> Result<i64, AppError> {
    request::respond(
        async {
            // Back to the visit (or, waiting without one, to the list) it was asked from.
            let back = match form.appointment_id.trim().parse::<i64>() {
                Ok(id) => format!("/appointments/{id}"),
                Err(_) => "/appointments".to_owned(),
            };
            let entry = waitlist::join(&request::as_patient().await?, form).await?;
            request::redirect(&back);
            Ok(entry)
        }
        .await,
    )
}

/// Takes the signed-in patient off the waitlist (one of their places).
#[server(prefix = "/api", endpoint = "leave_waitlist")]
pub async fn leave_waitlist(waitlist_entry_id: i64) -> Result<(), AppError> {
    request::respond(
        async {
            waitlist::leave(&request::as_patient().await?, waitlist_entry_id).await?;
            request::redirect("/appointments");
            Ok(())
        }
        .await,
    )
}

/// The signed-in patient's places on the waitlist.
#[server(prefix = "/api", endpoint = "my_waitlist")]
pub async fn my_waitlist() -> Result<Vec<WaitlistEntry>, AppError> {
    request::respond(async { waitlist::mine(&request::as_patient().await?).await }.await)
}

pub use crate::wire::waitlist::{OfferAnswer, OfferView};

/// What an offer's link shows. Anyone holding the link may read it; it changes nothing.
#[server(prefix = "/api", endpoint = "waitlist_offer")]
pub async fn waitlist_offer(token: String) -> Result<OfferView, AppError> {
    request::respond(async { waitlist::offers::view(&request::call().await?, &token).await }.await)
}

/// Takes the offered time with the link's token (no sign-in: the token allows this one
/// action). Someone quicker is an answer, not an error.
#[server(prefix = "/api", endpoint = "take_waitlist_offer")]
pub async fn take_waitlist_offer(token: String) -> Result<OfferAnswer, AppError> {
    request::respond(
        async {
            let answer = waitlist::offers::take(&request::call().await?, &token).await?;
            match &answer {
                OfferAnswer::Booked { start, .. } => request::redirect(&format!(
                    "/offer/taken?at={}",
                    start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )),
                // A valid token is URL-safe as it is.
                OfferAnswer::TakenByOther => request::redirect(&format!("/offer?token={token}")),
                OfferAnswer::Busy => request::redirect(&format!("/offer?token={token}&busy=1")),
            }
            Ok(answer)
        }
        .await,
    )
}

/// Leaves the waitlist from an offer's link (the place the offer was made for).
#[server(prefix = "/api", endpoint = "leave_waitlist_by_offer")]
pub async fn leave_waitlist_by_offer(token: String) -> Result<(), AppError> {
    request::respond(
        async {
            waitlist::offers::leave(&request::call().await?, &token).await?;
            request::redirect("/offer/left");
            Ok(())
        }
        .await,
    )
}
