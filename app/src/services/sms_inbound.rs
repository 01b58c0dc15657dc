//! Texts patients send back (`POST /sms/inbound`, README "Answering reminders by text").
//!
//! The gateway posts one JSON object per text — `{"id", "from", "text", "timestamp"}` —
//! signed with the shared secret: the header `X-Clinic-Signature: sha256=<hex>` holds
//! HMAC-SHA256(secret, raw body). The signature is checked in constant time; the
//! timestamp (Unix seconds, inside the signed body) must be within five minutes of now,
//! and each `id` is acted on once (a repeat is answered "repeat" and does nothing).
//!
//! What a text does (see `domain::sms_reply`): confirm or cancel the one visit of its
//! patient inside the reminder window (a cancel is asked back once), stop or restart texts
//! to the number, or get the help text. A number shared by several patients, or a patient
//! with several visits in the window, gets a link instead of an action. Every answer goes
//! through the outbox, to the number the text came from.

use chrono::{DateTime, Duration, Utc};
use domain::booking::{self as rules, Actor, AppointmentFacts, AppointmentStatus};
use domain::sms_reply::{Reply, CANCEL_CONFIRM_WINDOW};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use sqlx::PgPool;

use crate::db;
use crate::error::AppError;
use crate::services::booking::{self, ActingRole, ActingUser, ConfirmedVia};
use crate::services::notify::render::when;
use crate::services::phone;

/// How far a text's timestamp may be from now (either way).
pub const REPLAY_WINDOW: Duration = Duration::minutes(5);

/// One text, as the gateway posts it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InboundText {
    /// The gateway's id of the message (a repeat carries the same).
    pub id: String,
    /// The sender's number (E.164 preferred; read as a number of the clinic's country
    /// when it has no country code).
    pub from: String,
    pub text: String,
    /// When the gateway received it, in Unix seconds.
    pub timestamp: i64,
}

/// Why a post is not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No signature, a wrong one, or a timestamp outside the window (401).
    Unauthorized(&'static str),
    /// Signed, but not a text as described (400).
    Malformed(String),
}

/// Checks the post: its signature over the raw body, its form, and its timestamp.
pub fn check(
    secret: &[u8],
    body: &[u8],
    signature: Option<&str>,
    now: DateTime<Utc>,
) -> Result<InboundText, Refused> {
    let given = signature
        .and_then(|s| s.trim().strip_prefix("sha256="))
        .and_then(|h| hex::decode(h).ok())
        .ok_or(Refused::Unauthorized("missing or unreadable signature"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|_| Refused::Unauthorized("no usable secret"))?;
    mac.update(body);
    // Constant-time comparison.
    mac.verify_slice(&given)
        .map_err(|_| Refused::Unauthorized("wrong signature"))?;
    let text: InboundText = serde_json::from_slice(body)
        .map_err(|e| Refused::Malformed(format!("not a text message: {e}")))?;
    let sent = DateTime::<Utc>::from_timestamp(text.timestamp, 0)
        .ok_or(Refused::Unauthorized("timestamp out of range"))?;
    if (now - sent).abs() > REPLAY_WINDOW {
        return Err(Refused::Unauthorized(
            "timestamp outside the five-minute window",
        ));
    }
    if text.id.trim().is_empty() || text.id.len() > 200 {
        return Err(Refused::Malformed(
            "id must be 1 to 200 characters".to_owned(),
        ));
    }
    if text.text.len() > 1600 || text.from.len() > 40 {
        return Err(Refused::Malformed("from or text too long".to_owned()));
    }
    Ok(text)
}

/// The signature a gateway sends for `body` (for tests and gateway authors).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// What acting on a text came to: its outcome's name (kept, and answered to the
/// gateway) — never the text's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    pub outcome: &'static str,
    /// The answer queued for the sender (`None`: a repeat, or a number we cannot text).
    pub answer: Option<String>,
}

struct Clinic {
    name: String,
    phone: String,
    base: String,
}

impl Clinic {
    fn call_us(&self) -> String {
        if self.phone.trim().is_empty() {
            "call the clinic".to_owned()
        } else {
            format!("call us at {}", self.phone)
        }
    }

    fn say(&self, words: impl AsRef<str>) -> String {
        let text = format!("{}: {}", self.name, words.as_ref());
        // The outbox keeps at most 640 characters (four text segments).
        text.chars().take(640).collect()
    }

    fn help(&self) -> String {
        self.say(format!(
            "Reply C to confirm your next visit, X to cancel it, STOP to stop texts. Manage visits at {}/appointments or {}.",
            self.base,
            self.call_us()
        ))
    }
}

/// Acts on one checked text and queues the answer. `base`: where links point.
#[tracing::instrument(skip_all)]
pub async fn receive(
    pool: &PgPool,
    base: &str,
    text: &InboundText,
    now: DateTime<Utc>,
) -> Result<Handled, AppError> {
    let settings = db::settings::message_settings(pool).await?;
    let Some(from) = phone::e164(&text.from, &settings.phone_region) else {
        return Ok(Handled {
            outcome: "unreadable_number",
            answer: None,
        });
    };
    let profile = db::settings::clinic_profile(pool).await?;
    let policy = db::settings::clinic_policy(pool).await?;
    let clinic = Clinic {
        name: profile.name,
        phone: profile.phone,
        base: base.trim_end_matches('/').to_owned(),
    };
    let mut tx = pool.begin().await?;
    if !db::sms::first_sight(&mut tx, &text.id, now).await? {
        return Ok(Handled {
            outcome: "repeat",
            answer: None,
        });
    }
    let (outcome, answer) = match Reply::parse(&text.text) {
        Reply::Stop => {
            db::patients::set_sms_opt_in_by_phone(&mut tx, &from, false).await?;
            db::notifications::supersede_texts_to(&mut tx, &from, now).await?;
            (
                "stop",
                clinic.say("You will get no more texts from us. Reply START to get them again."),
            )
        }
        Reply::Start => {
            let patients = db::patients::by_phone(&mut tx, &from).await?;
            if patients.is_empty() {
                ("start_unknown", clinic.help())
            } else {
                db::patients::set_sms_opt_in_by_phone(&mut tx, &from, true).await?;
                (
                    "start",
                    clinic.say("Texts are on again. Reply STOP to stop them, HELP for help."),
                )
            }
        }
        Reply::Help => ("help", clinic.help()),
        reply @ (Reply::Confirm | Reply::Cancel) => {
            let patients = db::patients::by_phone(&mut tx, &from).await?;
            match patients.as_slice() {
                [] => (
                    "unknown_number",
                    clinic.say(format!(
                        "We could not find a patient with this number. Please {}.",
                        clinic.call_us()
                    )),
                ),
                [one] => match one.user_id {
                    Some(user_id) => {
                        let by = ActingUser {
                            user_id,
                            role: ActingRole::Patient {
                                patient_id: one.patient_id,
                            },
                            request_id: None,
                        };
                        // Their own visits and those of the people they look after (a
                        // carer gets the reminders of both).
                        let family = db::family::family_ids(&mut tx, one.patient_id).await?;
                        let visits = db::appointments::booked_between(
                            &mut tx,
                            &family,
                            now,
                            now + policy.reminder_lead(),
                        )
                        .await?;
                        answer_for_visit(pool, &mut tx, &clinic, &policy, &by, &from, reply, &visits, now)
                            .await?
                    }
                    None => (
                        "no_account",
                        clinic.say(format!("To confirm or change a visit, please {}.", clinic.call_us())),
                    ),
                },
                _ => (
                    "several_patients",
                    clinic.say(format!(
                        "This number belongs to more than one patient: confirm or cancel each visit at {}/appointments, or {}.",
                        clinic.base,
                        clinic.call_us()
                    )),
                ),
            }
        }
    };
    db::sms::record_outcome(&mut tx, &text.id, outcome).await?;
    db::notifications::insert_sms_reply(&mut tx, &from, &answer, now).await?;
    tx.commit().await?;
    tracing::info!(outcome, "inbound text");
    Ok(Handled {
        outcome,
        answer: Some(answer),
    })
}

/// Confirm or cancel for a patient with `visits` in the reminder window.
#[allow(clippy::too_many_arguments)]
async fn answer_for_visit(
    pool: &PgPool,
    tx: &mut sqlx::PgConnection,
    clinic: &Clinic,
    policy: &domain::ClinicPolicy,
    by: &ActingUser,
    from: &str,
    reply: Reply,
    visits: &[(i64, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Result<(&'static str, String), AppError> {
    let tz = policy.time_zone();
    let hours = policy.reminder_lead().num_hours();
    let (appointment_id, start) = match visits {
        [] => {
            return Ok((
                "no_visit",
                clinic.say(format!(
                    "You have no visit in the next {hours} hours to confirm or cancel. See your visits at {}/appointments.",
                    clinic.base
                )),
            ))
        }
        [one] => *one,
        _ => {
            return Ok((
                "several_visits",
                clinic.say(format!(
                    "You have more than one visit soon: confirm or cancel each at {}/appointments.",
                    clinic.base
                )),
            ))
        }
    };
    let at = when(tz, start);
    if reply == Reply::Confirm {
        return Ok(
            match booking::confirm_attendance(pool, by, appointment_id, ConfirmedVia::Sms, now)
                .await
            {
                Ok(_) => (
                    "confirm",
                    clinic.say(format!("Thank you: your visit on {at} is confirmed.")),
                ),
                Err(AppError::Booking(_)) => (
                    "confirm_refused",
                    clinic.say(format!(
                        "We could not confirm this visit. Please {}.",
                        clinic.call_us()
                    )),
                ),
                Err(other) => return Err(other),
            },
        );
    }
    // Cancel: not inside the change freeze; asked back once.
    let facts = AppointmentFacts {
        start,
        status: AppointmentStatus::Booked,
        change_count: 0,
    };
    if rules::check_cancel(policy, now, &facts, &Actor::Patient).is_err() {
        db::sms::take_cancel_request(tx, from, now).await?;
        return Ok((
            "cancel_too_late",
            clinic.say(format!(
                "It is too late to cancel your visit on {at} by text. Please {}.",
                clinic.call_us()
            )),
        ));
    }
    let asked = db::sms::take_cancel_request(tx, from, now - CANCEL_CONFIRM_WINDOW).await?;
    if asked != Some(appointment_id) {
        db::sms::ask_cancel(tx, from, appointment_id, now).await?;
        return Ok((
            "cancel_asked",
            clinic.say(format!("Reply X again to cancel your visit on {at}.")),
        ));
    }
    Ok(
        match booking::cancel(pool, policy, by, appointment_id, now).await {
            Ok(_) => (
                "cancel",
                clinic.say(format!(
                    "Your visit on {at} is cancelled. To book again, go to {}/book.",
                    clinic.base
                )),
            ),
            Err(AppError::Booking(_)) => (
                "cancel_refused",
                clinic.say(format!(
                    "We could not cancel this visit. Please {}.",
                    clinic.call_us()
                )),
            ),
            Err(other) => return Err(other),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a shared secret of the gateway";

    /// Any instant will do: the check compares the body's timestamp with it.
    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_000_000, 0).expect("in range")
    }

    fn body(timestamp: i64) -> Vec<u8> {
        format!(r#"{{"id":"m1","from":"+12125550123","text":"C","timestamp":{timestamp}}}"#)
            .into_bytes()
    }

    #[test]
    fn a_signed_fresh_text_is_taken() {
        let now = at();
        let body = body(now.timestamp());
        let text = check(SECRET, &body, Some(&sign(SECRET, &body)), now).unwrap();
        assert_eq!(text.text, "C");
    }

    #[test]
    fn a_wrong_or_missing_signature_is_refused() {
        let now = at();
        let body = body(now.timestamp());
        let other = sign(b"another secret", &body);
        for signature in [None, Some("sha256=zz"), Some(other.as_str()), Some("")] {
            assert!(matches!(
                check(SECRET, &body, signature, now),
                Err(Refused::Unauthorized(_))
            ));
        }
        // Signed, then changed.
        let signature = sign(SECRET, &body);
        let mut changed = body.clone();
        changed[10] ^= 1;
        assert!(matches!(
            check(SECRET, &changed, Some(&signature), now),
            Err(Refused::Unauthorized(_))
        ));
    }

    #[test]
    fn a_stale_timestamp_is_refused_either_way() {
        let now = at();
        for skew in [-301, 301, -100_000] {
            let body = body(now.timestamp() + skew);
            assert!(matches!(
                check(SECRET, &body, Some(&sign(SECRET, &body)), now),
                Err(Refused::Unauthorized(_))
            ));
        }
        let body = body(now.timestamp() - 299);
        assert!(check(SECRET, &body, Some(&sign(SECRET, &body)), now).is_ok());
    }

    #[test]
    fn signed_nonsense_is_malformed() {
        let now = at();
        let body = b"not json".to_vec();
        assert!(matches!(
            check(SECRET, &body, Some(&sign(SECRET, &body)), now),
            Err(Refused::Malformed(_))
        ));
    }
}
