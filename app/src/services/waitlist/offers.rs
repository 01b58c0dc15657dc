//! An offer's one-action link: the page it opens (a read, changing nothing — mail
//! scanners follow links), taking the time, and leaving the list. The link's token is
//! the only credential and is good for these and nothing else; an unknown, used,
//! expired or withdrawn token gets one and the same answer, whoever is signed in.

use chrono::{DateTime, Utc};

use crate::db::{self, waitlist::offers::OfferRecord};
use crate::error::AppError;
use crate::services::booking::{self, OfferTaken};
use crate::services::call::Call;
use crate::services::notify::render::when;
use crate::services::state::AppState;
use crate::wire::waitlist::{OfferAnswer, OfferView};

/// The one answer for every link that is not an open offer.
pub fn no_longer_valid() -> AppError {
    AppError::validation(
        "token",
        "This offer link is no longer valid: offers work once and only for a short time. \
         Sign in to see your appointments and your place on the waitlist.",
    )
}

/// Tokens are 43 URL-safe characters; anything else is not one (and is not looked up).
fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The offer behind a link while it is open, or taken by someone else first, until it
/// expires.
async fn find(state: &AppState, token: &str, now: DateTime<Utc>) -> Result<OfferRecord, AppError> {
    if !plausible(token) {
        return Err(no_longer_valid());
    }
    let mut conn = state.pool.acquire().await?;
    let offer = db::waitlist::offers::by_token(&mut conn, token)
        .await?
        .ok_or_else(no_longer_valid)?;
    // Open, or beaten to it — either only until the offer's own expiry.
    let open_or_beaten = matches!(offer.outcome.as_deref(), None | Some("taken_by_other"));
    if offer.entry_live && open_or_beaten && offer.expires_at > now {
        Ok(offer)
    } else {
        Err(no_longer_valid())
    }
}

/// What the link shows. Reads only.
pub async fn view(call: &Call, token: &str) -> Result<OfferView, AppError> {
    let state = &call.state;
    let offer = find(state, token, call.now).await?;
    let tz = db::settings::clinic_policy(&state.pool).await?.time_zone();
    let replaces = match offer.appointment_id {
        Some(id) => db::appointments::get(&state.pool, id)
            .await?
            .map(|visit| when(tz, visit.start)),
        None => None,
    };
    Ok(OfferView {
        type_name: offer.type_name,
        doctor_name: offer.doctor_name,
        when: when(tz, offer.start_time),
        replaces,
        expires: when(tz, offer.expires_at),
        taken_by_other: offer.outcome.is_some() || offer.opening_closed,
    })
}

/// Takes the offered time (see `booking::take_offer`).
pub async fn take(call: &Call, token: &str) -> Result<OfferAnswer, AppError> {
    let (state, now) = (&call.state, call.now);
    let request_id = call.request_id.clone();
    let offer = find(state, token, now).await?;
    let policy = db::settings::clinic_policy(&state.pool).await?;
    match booking::take_offer(state, &policy, &offer, request_id, now, no_longer_valid).await? {
        OfferTaken::Booked(visit) => Ok(OfferAnswer::Booked {
            start: visit.start,
            when: when(policy.time_zone(), visit.start),
            doctor_name: offer.doctor_name,
        }),
        OfferTaken::ByAnother => Ok(OfferAnswer::TakenByOther),
        OfferTaken::Busy => Ok(OfferAnswer::Busy),
    }
}

/// Takes the offer's patient off the waitlist (the place the offer was made for).
pub async fn leave(call: &Call, token: &str) -> Result<(), AppError> {
    let (state, now) = (&call.state, call.now);
    let offer = find(state, token, now).await?;
    // Ended meanwhile: the same answer as any other dead link.
    super::leave_as(&state.pool, offer.patient_id, offer.waitlist_entry_id, now)
        .await
        .map_err(|e| match e {
            AppError::NotFound => no_longer_valid(),
            other => other,
        })
}
