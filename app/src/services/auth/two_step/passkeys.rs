//! Passkeys (WebAuthn), verified by kanidm's `webauthn-rs`: added on the two-step page by
//! someone signed in; used as the second step after the password, or to sign in on their
//! own — a passkey asks for the device's screen lock (user verification is required), so
//! it is something the person has and something they know or are.
//!
//! Each ceremony is two requests: the options (a challenge) for the browser, whose state
//! webauthn-rs hands us and we keep in the server-side session; then the browser's
//! answer, checked against that state, once. The relying party is the clinic's public
//! origin (`CLINIC_PUBLIC_ORIGIN`), else the request's host (local use).

use chrono::{DateTime, Utc};
use domain::audit::AuditAction;
use domain::notify::NotificationKind;
use tower_sessions::Session;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Url, Webauthn, WebauthnBuilder,
};

use super::{changed, codes::new_recovery_codes, record, Change};
use crate::db;
use crate::error::AppError;
use crate::services::audit::Outcome;
use crate::services::auth::session::{self, Ceremony, CurrentUser};
use crate::services::call::{Call, Visitor};
use crate::services::state::AppState;
use crate::wire::auth::{PasskeySummary, UserSummary};

/// At most this many passkeys per person (a phone, a laptop, a key or two…).
const MOST_PASSKEYS: i64 = 10;
/// Adding or removing a passkey needs a sign-in this recent: a passkey signs in on its
/// own, so a session left open (or stolen) must not be able to add one.
const RECENT_SIGN_IN_MINUTES: i64 = 15;

fn signed_in_recently(call: &Call<CurrentUser>) -> Result<(), AppError> {
    if call
        .who
        .signed_in_recently(call.now, RECENT_SIGN_IN_MINUTES)
    {
        Ok(())
    } else {
        Err(AppError::validation(
            "passkey",
            format!("For your safety, please sign out and sign in again (within {RECENT_SIGN_IN_MINUTES} minutes) to change your passkeys."),
        ))
    }
}

/// The relying party for this request: the clinic's origin and its host name.
async fn relying_party(state: &AppState, host: Option<&str>) -> Result<Webauthn, AppError> {
    let origin = state.link_origin(host);
    let url = Url::parse(&origin).map_err(|_| not_here())?;
    let rp_id = url.host_str().ok_or_else(not_here)?.to_owned();
    // An address such as 127.0.0.1 cannot name a relying party: browsers refuse it.
    if rp_id.parse::<std::net::IpAddr>().is_ok() || rp_id.starts_with('[') {
        return Err(not_here());
    }
    let clinic = db::settings::clinic_profile(&state.pool).await?;
    WebauthnBuilder::new(&rp_id, &url)
        .and_then(|b| b.rp_name(&clinic.name).build())
        .map_err(|e| AppError::internal(format!("passkey relying party {rp_id}: {e}")))
}

fn not_here() -> AppError {
    AppError::validation(
        "passkey",
        "Passkeys work only when the clinic's site is opened by its name (such as localhost), not by a numeric address.",
    )
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::internal(format!("passkey JSON: {e}")))
}

/// The browser's answer, as it sent it.
fn from_browser<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, AppError> {
    if json.len() > 64 * 1024 {
        return Err(AppError::validation(
            "credential",
            "That answer is too long.",
        ));
    }
    serde_json::from_str(json).map_err(|_| {
        AppError::validation(
            "credential",
            "Your browser's answer could not be read. Please try again.",
        )
    })
}

fn passkey_of(record: &db::passkeys::PasskeyRecord) -> Result<Passkey, AppError> {
    serde_json::from_str(&record.credential)
        .map_err(|e| AppError::internal(format!("stored passkey: {e}")))
}

/// The person's passkeys, with dates in the clinic's time zone.
pub async fn list(call: &Call<CurrentUser>) -> Result<Vec<PasskeySummary>, AppError> {
    let tz = db::settings::clinic_policy(&call.state.pool)
        .await?
        .time_zone();
    let day = |at: DateTime<Utc>| domain::schedule::local_date(tz, at).to_string();
    let mut conn = call.state.pool.acquire().await?;
    Ok(db::passkeys::of_user(&mut conn, call.who.user_id)
        .await?
        .into_iter()
        .map(|p| PasskeySummary {
            passkey_id: p.passkey_id,
            name: p.name,
            added_on: day(p.created_at),
            last_used_on: p.last_used_at.map(day),
        })
        .collect())
}

/// Options for the browser to make a new passkey for the signed-in person (JSON of
/// `CreationChallengeResponse`); their own passkeys are excluded.
pub async fn begin_adding(
    call: &Call<CurrentUser>,
    http_session: &Session,
    host: Option<&str>,
) -> Result<String, AppError> {
    signed_in_recently(call)?;
    let webauthn = relying_party(&call.state, host).await?;
    let user = &call.who;
    let mut conn = call.state.pool.acquire().await?;
    let existing = db::passkeys::of_user(&mut conn, user.user_id).await?;
    if existing.len() as i64 >= MOST_PASSKEYS {
        return Err(AppError::validation(
            "passkey",
            format!("You have {MOST_PASSKEYS} passkeys, the most an account may have: remove one first."),
        ));
    }
    let exclude = existing
        .iter()
        .map(|p| passkey_of(p).map(|k| k.cred_id().clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let handle = db::passkeys::handle_of(&mut conn, user.user_id).await?;
    let (options, registration): (CreationChallengeResponse, PasskeyRegistration) = webauthn
        .start_passkey_registration(handle, &user.email, &user.display_name, Some(exclude))
        .map_err(|e| AppError::internal(format!("passkey options: {e}")))?;
    // Discoverable where the device can (phones and computers always can): such a
    // passkey also signs in without the email. The check of the answer does not depend
    // on it (webauthn-rs asks for "discouraged" to spare small security keys' storage).
    let mut options = serde_json::to_value(&options)
        .map_err(|e| AppError::internal(format!("passkey JSON: {e}")))?;
    if let Some(selection) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(|s| s.as_object_mut())
    {
        selection.insert("residentKey".into(), "preferred".into());
    }
    session::keep_ceremony(
        http_session,
        Ceremony::Register,
        (user.user_id, registration),
        call.now,
    )
    .await?;
    to_json(&options)
}

/// Adds the passkey the browser made, named by the person. The other sessions end;
/// audited and told by email. Answers whether recovery codes were made (the person's
/// first factor: shown next, once).
pub async fn finish_adding(
    call: &Call<CurrentUser>,
    http_session: &Session,
    host: Option<&str>,
    name: &str,
    credential: &str,
) -> Result<bool, AppError> {
    let name = match name.trim() {
        "" => "Passkey",
        name => name,
    };
    if name.chars().count() > 60 {
        return Err(AppError::validation(
            "name",
            "Please use at most 60 characters.",
        ));
    }
    domain::text::check_field(name).map_err(|e| AppError::validation("name", e.to_string()))?;
    signed_in_recently(call)?;
    let webauthn = relying_party(&call.state, host).await?;
    let answer: RegisterPublicKeyCredential = from_browser(credential)?;
    let Some((user_id, registration)) = session::take_ceremony::<(i64, PasskeyRegistration)>(
        http_session,
        Ceremony::Register,
        call.now,
    )
    .await?
    .filter(|(user_id, _)| *user_id == call.who.user_id) else {
        return Err(AppError::validation(
            "passkey",
            "Adding the passkey took too long. Please start again.",
        ));
    };
    let passkey = webauthn
        .finish_passkey_registration(&answer, &registration)
        .map_err(|_| {
            AppError::validation(
                "passkey",
                "That passkey could not be checked. Please try again.",
            )
        })?;
    let mut tx = call.state.pool.begin().await?;
    let existing = db::passkeys::count(&mut tx, user_id).await?;
    if existing >= MOST_PASSKEYS {
        return Err(AppError::validation(
            "passkey",
            format!("You have {MOST_PASSKEYS} passkeys, the most an account may have: remove one first."),
        ));
    }
    let first_factor = existing == 0 && !db::two_factor::is_on(&mut tx, user_id).await?;
    let added = db::passkeys::insert(
        &mut tx,
        user_id,
        passkey.cred_id().as_ref(),
        &to_json(&passkey)?,
        name,
        call.now,
    )
    .await?;
    if !added {
        return Err(AppError::validation(
            "passkey",
            "That passkey is already registered.",
        ));
    }
    // Recovery codes come with the first factor, whichever it is.
    let codes = first_factor.then(new_recovery_codes);
    if let Some(codes) = &codes {
        db::two_factor::replace_recovery_codes(&mut tx, user_id, codes, call.now).await?;
    }
    let change = Change {
        action: AuditAction::AccountPasskeyAdd,
        tell: Some(NotificationKind::PasskeyAdded),
    };
    changed(tx, call, http_session, change).await?;
    if let Some(codes) = &codes {
        session::keep_fresh_codes(http_session, codes).await?;
    }
    Ok(codes.is_some())
}

/// Removes one of the signed-in person's passkeys (only theirs: another's id is "not
/// found"). Doctors and staff keep at least one factor. The other sessions end; audited
/// and told by email.
pub async fn remove(
    call: &Call<CurrentUser>,
    http_session: &Session,
    passkey_id: i64,
) -> Result<(), AppError> {
    signed_in_recently(call)?;
    let user_id = call.who.user_id;
    let mut tx = call.state.pool.begin().await?;
    db::users::lock_user(&mut tx, user_id).await?;
    if !db::passkeys::remove(&mut tx, user_id, passkey_id).await? {
        // Someone else's, or none: the same answer, and the attempt is on record.
        drop(tx);
        let mut conn = call.state.pool.acquire().await?;
        let entry = crate::services::audit::Entry {
            actor_user_id: Some(user_id),
            actor_role: call.who.role.into(),
            action: AuditAction::AccountPasskeyRemove,
            patient_id: None,
            target: Some(format!("passkey:{passkey_id}")),
            outcome: Outcome::Denied,
            request_id: call.request_id.clone(),
        };
        crate::services::audit::record(&mut conn, &entry).await?;
        return Err(AppError::NotFound);
    }
    let left = db::passkeys::count(&mut tx, user_id).await?;
    let app = db::two_factor::is_on(&mut tx, user_id).await?;
    if left == 0 && !app {
        if domain::two_factor::required_for(call.who.role) {
            return Err(AppError::validation(
                "passkey",
                "This is your only second step, which the clinic's doctors and staff must have: set up an authenticator app first.",
            ));
        }
        // No factor left: the recovery codes go with the last one.
        db::two_factor::remove_recovery_codes(&mut tx, user_id).await?;
    }
    let change = Change {
        action: AuditAction::AccountPasskeyRemove,
        tell: Some(NotificationKind::PasskeyRemoved),
    };
    changed(tx, call, http_session, change).await
}

/// Options for signing in with a passkey alone (JSON of `RequestChallengeResponse`): the
/// browser offers the passkeys it has for this site, so no email is asked.
pub async fn begin_sign_in(call: &Call<Visitor>, host: Option<&str>) -> Result<String, AppError> {
    let webauthn = relying_party(&call.state, host).await?;
    let (mut options, state): (RequestChallengeResponse, DiscoverableAuthentication) = webauthn
        .start_discoverable_authentication()
        .map_err(|e| AppError::internal(format!("passkey options: {e}")))?;
    // Asked for by a button, not offered in the email field's autofill.
    options.mediation = None;
    session::keep_ceremony(&call.who.session, Ceremony::SignIn, state, call.now).await?;
    to_json(&options)
}

fn not_signed_in() -> AppError {
    AppError::validation(
        "passkey",
        "That passkey did not sign you in. Use your email and password instead.",
    )
}

/// Signs in with the passkey the browser chose: the person it belongs to, if their
/// account may sign in. Audited either way.
pub async fn finish_sign_in(
    call: &Call<Visitor>,
    host: Option<&str>,
    credential: &str,
) -> Result<UserSummary, AppError> {
    let webauthn = relying_party(&call.state, host).await?;
    let answer: PublicKeyCredential = from_browser(credential)?;
    let Some(state) = session::take_ceremony::<DiscoverableAuthentication>(
        &call.who.session,
        Ceremony::SignIn,
        call.now,
    )
    .await?
    else {
        return Err(AppError::validation(
            "passkey",
            "Signing in took too long. Please try again.",
        ));
    };
    let mut conn = call.state.pool.acquire().await?;
    // The passkey names its account (its user handle) and itself (its id).
    let found = match webauthn.identify_discoverable_authentication(&answer) {
        Ok((handle, credential_id)) => {
            let owner = db::passkeys::user_of_handle(&mut conn, handle).await?;
            let stored = db::passkeys::by_credential(&mut conn, credential_id).await?;
            match (owner, stored) {
                (Some(owner), Some((user_id, record))) if owner == user_id => {
                    Some((user_id, record))
                }
                _ => None,
            }
        }
        Err(_) => None,
    };
    drop(conn);
    let Some((user_id, record)) = found else {
        failed(call, None).await?;
        return Err(not_signed_in());
    };
    let mut passkey = passkey_of(&record)?;
    let Ok(result) = webauthn.finish_discoverable_authentication_v2(&answer, state, &passkey)
    else {
        failed(call, Some(user_id)).await?;
        return Err(not_signed_in());
    };
    passkey.update_credential(&result);
    let Some(user) = db::users::user_record(&call.state.pool, user_id)
        .await?
        .filter(|u| session::may_sign_in(u, call.now))
    else {
        // Disabled, or not confirmed: the passkey was right, the account may not sign in.
        failed(call, Some(user_id)).await?;
        return Err(not_signed_in());
    };
    let user = session::current_user(user, call.now)?;
    let tx = call.state.pool.begin().await?;
    let used = Used {
        passkey_id: record.passkey_id,
        passkey: &passkey,
        action: AuditAction::AuthPasskey,
    };
    signed_in_with(call, tx, &user, used).await
}

async fn failed(call: &Call<Visitor>, user_id: Option<i64>) -> Result<(), AppError> {
    let mut conn = call.state.pool.acquire().await?;
    let entry = crate::services::audit::Entry {
        actor_user_id: user_id,
        actor_role: domain::audit::AuditActor::Anonymous,
        action: AuditAction::AuthPasskey,
        patient_id: None,
        target: user_id.map(|id| format!("user:{id}")),
        outcome: Outcome::Failure,
        request_id: call.request_id.clone(),
    };
    crate::services::audit::record(&mut conn, &entry).await?;
    Ok(())
}

/// The passkey that signed someone in, with its updated record, and what the audit log
/// calls the sign-in.
struct Used<'a> {
    passkey_id: i64,
    passkey: &'a Passkey,
    action: AuditAction,
}

/// The end of every sign-in by passkey (alone or as the second step): the passkey's new
/// record (its counter) and the audit row in `tx`, then this browser is signed in.
async fn signed_in_with(
    call: &Call<Visitor>,
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    user: &CurrentUser,
    used: Used<'_>,
) -> Result<UserSummary, AppError> {
    db::passkeys::used(&mut tx, used.passkey_id, &to_json(used.passkey)?, call.now).await?;
    record(
        &mut tx,
        (user.user_id, user.role),
        used.action,
        Outcome::Success,
        &call.request_id,
        Some("passkey"),
    )
    .await?;
    tx.commit().await?;
    let signed_in =
        session::sign_in(&call.state, &call.who.session, user.user_id, call.now).await?;
    tracing::info!(user_id = user.user_id, "signed in (passkey)");
    Ok(signed_in.summary())
}

/// Options for a passkey as the second step, for the person whose password this browser
/// just gave: their passkeys only.
pub async fn begin_second_step(
    call: &Call<Visitor>,
    host: Option<&str>,
) -> Result<String, AppError> {
    let Some(user_id) = session::awaiting_second_step(&call.who.session, call.now).await? else {
        return Err(AppError::validation(
            "passkey",
            "Your sign-in has expired. Please enter your email and password again.",
        ));
    };
    let webauthn = relying_party(&call.state, host).await?;
    let mut conn = call.state.pool.acquire().await?;
    let passkeys = db::passkeys::of_user(&mut conn, user_id)
        .await?
        .iter()
        .map(passkey_of)
        .collect::<Result<Vec<_>, _>>()?;
    if passkeys.is_empty() {
        return Err(AppError::validation(
            "passkey",
            "Your account has no passkey: enter the code from your authenticator app instead.",
        ));
    }
    let (options, state): (RequestChallengeResponse, PasskeyAuthentication) = webauthn
        .start_passkey_authentication(&passkeys)
        .map_err(|e| AppError::internal(format!("passkey options: {e}")))?;
    session::keep_ceremony(
        &call.who.session,
        Ceremony::SecondStep,
        (user_id, state),
        call.now,
    )
    .await?;
    to_json(&options)
}

/// The second step with one of the person's passkeys: signed in (audited as the second
/// step).
pub async fn finish_second_step(
    call: &Call<Visitor>,
    host: Option<&str>,
    credential: &str,
) -> Result<UserSummary, AppError> {
    let webauthn = relying_party(&call.state, host).await?;
    let answer: PublicKeyCredential = from_browser(credential)?;
    let awaiting = session::awaiting_second_step(&call.who.session, call.now).await?;
    let Some((user_id, state)) = session::take_ceremony::<(i64, PasskeyAuthentication)>(
        &call.who.session,
        Ceremony::SecondStep,
        call.now,
    )
    .await?
    .filter(|(user_id, _)| Some(*user_id) == awaiting) else {
        return Err(AppError::validation(
            "passkey",
            "Your sign-in has expired. Please enter your email and password again.",
        ));
    };
    let Ok(result) = webauthn.finish_passkey_authentication(&answer, &state) else {
        failed(call, Some(user_id)).await?;
        return Err(not_signed_in());
    };
    let mut tx = call.state.pool.begin().await?;
    let stored = db::passkeys::by_credential(&mut tx, result.cred_id())
        .await?
        .filter(|(owner, _)| *owner == user_id);
    let account = db::users::user_record(&call.state.pool, user_id)
        .await?
        .filter(|u| session::may_sign_in(u, call.now));
    let (Some((_, record)), Some(account)) = (stored, account) else {
        drop(tx);
        failed(call, Some(user_id)).await?;
        return Err(not_signed_in());
    };
    let mut passkey = passkey_of(&record)?;
    passkey.update_credential(&result);
    let user = session::current_user(account, call.now)?;
    let used = Used {
        passkey_id: record.passkey_id,
        passkey: &passkey,
        action: AuditAction::AuthSecondStep,
    };
    signed_in_with(call, tx, &user, used).await
}
