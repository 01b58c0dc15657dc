//! Server-only code: application state and database repositories. Compiled only with
//! the `ssr` feature, so none of it reaches the wasm bundle.

pub mod audit;
pub mod auth;
pub mod availability;
pub mod blocks;
pub mod booking;
pub mod calendar;
pub mod counters;
pub mod db;
pub mod doctor;
pub mod jobs;
pub mod notify;
pub mod patient;
pub mod profile;
pub mod reassignment;
pub mod schedule;
pub mod staff;
pub mod state;
pub mod visits;

use crate::AppError;

/// Finishes a server function: an error also sets the HTTP status that matches it
/// (401, 403, 404, 409, 429, …) instead of a blanket 500 — when the server function was
/// called over HTTP. Called by a page's resource during a server render, the error is the
/// page's data, not the page's status: the page shows it (a guarded page redirects an
/// anonymous visitor to sign in, which a 401 would override).
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    let page_render =
        leptos::prelude::use_context::<leptos_router::location::RequestUrl>().is_some();
    // A page whose data cannot be read because the database is away says so with 503
    // (load balancers and monitors see it; the page shows the message).
    let unavailable = matches!(result, Err(AppError::Unavailable));
    if let (Err(err), false) = (&result, page_render && !unavailable) {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(
                axum::http::StatusCode::from_u16(err.status_code())
                    .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    }
    result
}
