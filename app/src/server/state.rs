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
