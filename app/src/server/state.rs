//! Application state, handed to axum as router state and to server functions as Leptos
//! context (leptos_axum provides the router state to every server function).

use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::PgPool;

use crate::server::auth::session::SessionPolicy;
use crate::AppError;

#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    pub session_policy: SessionPolicy,
    /// Behind a reverse proxy, take the client address from the last `X-Forwarded-For`
    /// hop (the one our proxy added) instead of the TCP peer (the proxy itself).
    pub trust_forwarded_for: bool,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state inside a server function or a server render.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState missing from context"))
}
