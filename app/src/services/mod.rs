//! The server side's decisions: booking, availability, schedules, the portals' reads and
//! writes, sign-in. Context-free: each function takes what it needs (a [`call::Call`]
//! with the state, the moment and the caller; or the pool and `now`) as arguments.

pub mod audit;
pub mod auth;
pub mod availability;
pub mod blocks;
pub mod booking;
pub mod calendar;
pub mod call;
pub mod counters;
pub mod directory;
pub mod doctor;
pub mod family;
pub mod notify;
pub mod patient;
pub mod phone;
pub mod profile;
pub mod reassignment;
pub mod schedule;
pub mod sms_inbound;
pub mod staff;
pub mod state;
pub mod visit_links;
pub mod visits;
pub mod waitlist;
