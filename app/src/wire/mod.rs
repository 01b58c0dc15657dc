//! Wire and view types: what server functions take and return. Pages, server
//! functions and services all import them from here, so no layer imports a layer above
//! it. Compiled for the browser and the server alike.

pub mod accounts;
pub mod appointments;
pub mod auth;
pub mod booking;
pub mod directory;
pub mod doctor;
pub mod family;
pub mod profile;
pub mod staff;
pub mod visit_links;
pub mod waitlist;
