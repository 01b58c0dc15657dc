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
    /// How this session ends by itself: what the browser may keep for reading offline
    /// lasts no longer. Set only by `current_user`.
    #[serde(default)]
    pub session_limits: Option<SessionLimits>,
}

/// A session ends after `idle_seconds` without a request, and at `absolute_end` in any
/// case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionLimits {
    pub idle_seconds: i64,
    pub absolute_end: chrono::DateTime<chrono::Utc>,
}

impl SessionLimits {
    /// When the session ends if the request made at `now` is its last. A minute early:
    /// the server writes the last request's time back at most once a minute.
    pub fn ends_after(&self, now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
        (now + chrono::Duration::seconds(self.idle_seconds - 60)).min(self.absolute_end)
    }
}

/// Where signing in stands after the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInStep {
    /// Signed in.
    SignedIn(UserSummary),
    /// The password was right; the code from the authenticator app is next.
    SecondStep,
    /// The password was right, and two-step sign-in must be set up before anything else
    /// (doctors and staff who have none yet).
    Enrol,
}

/// The signed-in person's two-step sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoStepStatus {
    pub on: bool,
    /// Doctors and staff must have it.
    pub required: bool,
    pub recovery_codes_left: i64,
    /// A setup started and waiting for its first code.
    pub setup: Option<TwoStepSetup>,
    /// The person's passkeys (each also a second step, or a sign-in of its own).
    pub passkeys: Vec<PasskeySummary>,
}

/// One of the person's passkeys, as their two-step page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySummary {
    pub passkey_id: i64,
    pub name: String,
    /// When it was added and last used, as dates in the clinic's time zone (`2026-12-07`).
    pub added_on: String,
    pub last_used_on: Option<String>,
}

/// What an authenticator app needs: the QR code, and the same secret as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoStepSetup {
    /// Base 32, in groups of four.
    pub secret: String,
    /// `otpauth://totp/…`
    pub otpauth_uri: String,
    /// The QR code of `otpauth_uri`, drawn on the server as an SVG document.
    pub qr_svg: String,
}
