//! The wire types of `api::visit_links`: what a confirmation's or reminder's link shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a visit's link shows (no sign-in needed): the visit, and what the link can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitLinkView {
    /// `confirm`, `cancel` or `move`.
    pub purpose: String,
    pub start: DateTime<Utc>,
    /// The visit's time in the clinic's words and zone.
    pub when: String,
    pub type_name: String,
    pub doctor_name: String,
    pub state: VisitLinkState,
    /// Why the visit cannot be cancelled or moved online now (inside the change freeze),
    /// with the clinic's number to call instead.
    pub change_blocked: Option<String>,
    /// Where "Find another time" goes: the move page, through sign-in when needed.
    pub move_href: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum VisitLinkState {
    /// Booked, at the time the link was sent for.
    Booked { confirmed: bool },
    /// Cancelled since (by anyone).
    Cancelled,
    /// Moved since to another time (in words).
    Moved { when: String },
}
