//! Server-only code: application state and database repositories. Compiled only with
//! the `ssr` feature, so none of it reaches the wasm bundle.

pub mod auth;
pub mod availability;
pub mod booking;
pub mod db;
pub mod schedule;
pub mod state;
