//! Server-only code: application state and database repositories. Compiled only with
//! the `ssr` feature, so none of it reaches the wasm bundle.

pub mod audit;
pub mod auth;
pub mod availability;
pub mod booking;
pub mod calendar;
pub mod db;
pub mod jobs;
pub mod notify;
pub mod patient;
pub mod profile;
pub mod schedule;
pub mod state;

use crate::AppError;

/// Finishes a server function: an error also sets the HTTP status that matches it
/// (401, 403, 404, 409, 429, …) instead of a blanket 500.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(
                axum::http::StatusCode::from_u16(err.status_code())
                    .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    }
    result
}
