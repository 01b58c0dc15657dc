//! Clinic Scheduler's pure core: the clinic's rules as plain Rust.
//!
//! Nothing here performs IO, reads the clock or touches the database: callers pass `now`
//! and the clinic's time zone in. The crate compiles for wasm32 as well, so the browser
//! uses the very same rules as the server.

pub mod account;
pub mod assignment;
pub mod audit;
pub mod availability;
pub mod booking;
pub mod bounded;
pub mod directory;
pub mod family;
pub mod hours;
pub mod ics;
pub mod links;
pub mod notify;
pub mod policy;
pub mod reassignment;
pub mod role;
pub mod schedule;
pub mod slot_index;
pub mod sms_reply;
pub mod text;
pub mod throttle;
pub mod two_factor;
pub mod visit_type;
pub mod waitlist;

pub use policy::{ClinicPolicy, ClinicPolicyInput, PolicyError};
