//! Server functions and the types they exchange, grouped by domain. Each one is a public
//! POST endpoint: authorization happens inside the function, never only in a route guard.

pub mod accounts;
pub mod appointments;
pub mod auth;
pub mod booking;
pub mod directory;
pub mod doctor;
pub mod family;
pub mod profile;
pub mod staff;
pub mod two_step;
pub mod visit_links;
pub mod waitlist;
