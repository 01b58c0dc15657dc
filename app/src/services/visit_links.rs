//! The three links of every confirmation and reminder: "I'll be there", "Cancel this
//! visit" and "Find another time". Each is a single-purpose token for one visit (256
//! random bits, stored as its SHA-256), made when the message is sent and good until the
//! visit starts. Opening a link only shows the visit (mail scanners and link previews
//! fetch links); a button does the one thing it is for, without a password. Moving needs
//! sign-in: that link leads to the move page through it.
//!
//! Every link that cannot be used — unknown, spent, expired, or for another purpose —
//! gets one and the same answer, whoever is signed in. A link whose visit was cancelled
//! or moved since says so (the holder is the patient the message went to).

use chrono::{DateTime, Utc};
use domain::booking::{self as rules, Actor, AppointmentFacts, AppointmentStatus};
use domain::links::encode_next;
use domain::ClinicPolicy;
use sqlx::PgConnection;

use crate::db::{
    self,
    visit_links::{LinkPurpose, LinkRecord},
};
use crate::error::AppError;
use crate::services::auth::tokens::new_token;
use crate::services::booking::{self, ActingRole, ActingUser, ConfirmedVia};
use crate::services::call::Call;
use crate::services::notify::render::{when, VisitLinkTokens};
use crate::wire::visit_links::{VisitLinkState, VisitLinkView};

/// The one answer for every link that cannot be used.
pub fn no_longer_valid() -> AppError {
    AppError::validation(
        "token",
        "This link is no longer valid: each link works once, and only until the visit starts. \
         Sign in to see your appointments, or call the clinic.",
    )
}

/// Tokens are 43 URL-safe characters; anything else is not one (and is not looked up).
fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Makes the three links of a message about the booked visit `appointment_id` at `start`.
pub async fn issue(
    conn: &mut PgConnection,
    appointment_id: i64,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<VisitLinkTokens, sqlx::Error> {
    let tokens = VisitLinkTokens {
        confirm: new_token(),
        cancel: new_token(),
        move_time: new_token(),
    };
    for (purpose, token) in [
        (LinkPurpose::Confirm, &tokens.confirm),
        (LinkPurpose::Cancel, &tokens.cancel),
        (LinkPurpose::Move, &tokens.move_time),
    ] {
        db::visit_links::insert(conn, appointment_id, purpose, token, start, now).await?;
    }
    Ok(tokens)
}

/// The link behind `token` if it is a live link of `purpose`.
async fn find(call: &Call, purpose: LinkPurpose, token: &str) -> Result<LinkRecord, AppError> {
    if !plausible(token) {
        return Err(no_longer_valid());
    }
    let mut conn = call.state.pool.acquire().await?;
    let link = db::visit_links::by_token(&mut conn, token)
        .await?
        .ok_or_else(no_longer_valid)?;
    let live = link.purpose == purpose.as_str()
        && link.used_at.is_none()
        && link.expires_at > call.now
        && link.patient_user_id.is_some()
        && matches!(link.status.as_str(), "booked" | "cancelled");
    if live {
        Ok(link)
    } else {
        Err(no_longer_valid())
    }
}

fn state_of(link: &LinkRecord, tz: chrono_tz::Tz) -> VisitLinkState {
    if link.status == "cancelled" {
        VisitLinkState::Cancelled
    } else if link.start_time != link.issued_start {
        VisitLinkState::Moved {
            when: when(tz, link.start_time),
        }
    } else {
        VisitLinkState::Booked {
            confirmed: link.confirmed_at.is_some(),
        }
    }
}

/// Why the patient may not cancel or move online now (the change freeze), with the
/// clinic's number.
async fn change_blocked(
    call: &Call,
    policy: &ClinicPolicy,
    link: &LinkRecord,
) -> Result<Option<String>, AppError> {
    let facts = AppointmentFacts {
        start: link.start_time,
        status: AppointmentStatus::Booked,
        change_count: u32::try_from(link.change_count).unwrap_or(u32::MAX),
    };
    if rules::check_cancel(policy, call.now, &facts, &Actor::Patient).is_ok() {
        return Ok(None);
    }
    let profile = db::settings::clinic_profile(&call.state.pool).await?;
    let phone = if profile.phone.trim().is_empty() {
        "the clinic".to_owned()
    } else {
        format!("the clinic at {}", profile.phone)
    };
    Ok(Some(format!(
        "It is too late to change this visit online: changes close {} hours before a visit. \
         To cancel or move it, please call {phone}.",
        policy.change_freeze().num_hours()
    )))
}

/// What the link shows. Reads only. `signed_in_patient`: the patient signed in on this
/// browser, if any (the move link then skips the sign-in page).
pub async fn view(
    call: &Call,
    purpose: &str,
    token: &str,
    signed_in_patient: Option<i64>,
) -> Result<VisitLinkView, AppError> {
    let purpose = LinkPurpose::parse(purpose).ok_or_else(no_longer_valid)?;
    let link = find(call, purpose, token).await?;
    let policy = db::settings::clinic_policy(&call.state.pool).await?;
    let tz = policy.time_zone();
    let state = state_of(&link, tz);
    let change_blocked = match (&state, purpose) {
        (VisitLinkState::Booked { .. }, LinkPurpose::Cancel | LinkPurpose::Move) => {
            change_blocked(call, &policy, &link).await?
        }
        _ => None,
    };
    let move_page = format!(
        "/book?type={}&reschedule={}",
        link.appointment_type_id, link.appointment_id
    );
    let move_href = if signed_in_patient == Some(link.patient_id) {
        move_page
    } else {
        format!("/login?next={}", encode_next(&move_page))
    };
    Ok(VisitLinkView {
        purpose: purpose.as_str().to_owned(),
        start: link.start_time,
        when: when(tz, link.start_time),
        type_name: link.type_name,
        doctor_name: link.doctor_name,
        state,
        change_blocked,
        move_href,
    })
}

/// The patient acting through their link.
fn acting(call: &Call, link: &LinkRecord) -> Result<ActingUser, AppError> {
    Ok(ActingUser {
        user_id: link.patient_user_id.ok_or_else(no_longer_valid)?,
        role: ActingRole::Patient {
            patient_id: link.patient_id,
        },
        request_id: call.request_id.clone(),
    })
}

/// Refuses an action on a visit that was cancelled or moved since the link was sent.
fn still_as_sent(link: &LinkRecord, tz: chrono_tz::Tz) -> Result<(), AppError> {
    match state_of(link, tz) {
        VisitLinkState::Booked { .. } => Ok(()),
        VisitLinkState::Cancelled => Err(AppError::validation(
            "token",
            "This visit was cancelled, so there is nothing left to do here. To book again, go to Book a time.",
        )),
        VisitLinkState::Moved { when } => Err(AppError::validation(
            "token",
            format!("This visit has moved to {when}. Use the links in the newer message, or sign in to see it."),
        )),
    }
}

/// "I'll be there". Returns the visit's start. Confirming a confirmed visit is fine.
pub async fn confirm(call: &Call, token: &str) -> Result<DateTime<Utc>, AppError> {
    let link = find(call, LinkPurpose::Confirm, token).await?;
    let tz = db::settings::clinic_policy(&call.state.pool)
        .await?
        .time_zone();
    still_as_sent(&link, tz)?;
    let by = acting(call, &link)?;
    booking::confirm_attendance(
        &call.state.pool,
        &by,
        link.appointment_id,
        ConfirmedVia::Link,
        call.now,
    )
    .await?;
    let mut conn = call.state.pool.acquire().await?;
    db::visit_links::mark_used(&mut conn, link.visit_link_id, call.now).await?;
    Ok(link.start_time)
}

/// "Cancel this visit" — unless it is inside the change freeze (call the clinic instead).
/// Returns the visit's start.
pub async fn cancel(call: &Call, token: &str) -> Result<DateTime<Utc>, AppError> {
    let link = find(call, LinkPurpose::Cancel, token).await?;
    let policy = db::settings::clinic_policy(&call.state.pool).await?;
    still_as_sent(&link, policy.time_zone())?;
    if let Some(blocked) = change_blocked(call, &policy, &link).await? {
        return Err(AppError::validation("token", blocked));
    }
    let by = acting(call, &link)?;
    booking::cancel(
        &call.state.pool,
        &policy,
        &by,
        link.appointment_id,
        call.now,
    )
    .await?;
    let mut conn = call.state.pool.acquire().await?;
    db::visit_links::mark_used(&mut conn, link.visit_link_id, call.now).await?;
    Ok(link.start_time)
}
