//! What a service learns from its HTTP request. The server function builds a [`Call`]
//! (with the request layer's `call`, `as_patient`, …: the only server code that reads the
//! request) and hands it in; services read neither the request nor the clock themselves, so each
//! can be called from a test, a job or a tool with any moment and any caller.

use chrono::{DateTime, Utc};

use crate::services::auth::session::CurrentUser;
use crate::services::booking::{ActingRole, ActingUser};
use crate::services::state::AppState;

/// One call into the services: the state (pools, index, caches), the moment it is
/// handled, the request id for audit rows, and who is calling — `()` for anyone, or one
/// of [`Patient`], [`Doctor`], [`Staff`], [`CurrentUser`] (anyone signed in), or a
/// [`Visitor`] at the sign-in door.
#[derive(Clone, Debug)]
pub struct Call<Who = ()> {
    pub state: AppState,
    pub now: DateTime<Utc>,
    pub request_id: Option<String>,
    pub who: Who,
}

/// Someone at the door (signing up, in or out, using an emailed link): their browser
/// session, which signing in or out changes, and their address, for throttling.
#[derive(Clone, Debug)]
pub struct Visitor {
    pub session: tower_sessions::Session,
    pub addr: Option<std::net::IpAddr>,
}

/// A signed-in patient, acting for themselves.
#[derive(Clone, Debug)]
pub struct Patient {
    pub user: CurrentUser,
    pub patient_id: i64,
}

/// A signed-in doctor, acting on their own calendar.
#[derive(Clone, Debug)]
pub struct Doctor {
    pub user: CurrentUser,
    pub doctor_id: i64,
}

/// Signed-in clinic staff (the admin role).
#[derive(Clone, Debug)]
pub struct Staff {
    pub user: CurrentUser,
}

impl<Who> Call<Who> {
    /// The same moment and request, as someone else (after a role check).
    pub fn with<Other>(self, who: Other) -> Call<Other> {
        Call {
            state: self.state,
            now: self.now,
            request_id: self.request_id,
            who,
        }
    }
}

impl Call<Patient> {
    /// The patient, as the booking service's acting user.
    pub fn acting(&self) -> ActingUser {
        ActingUser {
            user_id: self.who.user.user_id,
            role: ActingRole::Patient {
                patient_id: self.who.patient_id,
            },
            request_id: self.request_id.clone(),
        }
    }
}

impl Call<Staff> {
    /// Staff acting for a patient, as the booking service's acting user.
    pub fn acting(&self, override_reason: Option<String>) -> ActingUser {
        ActingUser {
            user_id: self.who.user.user_id,
            role: ActingRole::Staff { override_reason },
            request_id: self.request_id.clone(),
        }
    }
}
