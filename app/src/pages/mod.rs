//! Pages, one folder per portal.

pub mod account;
pub mod admin;
pub mod doctor;
pub mod patient;
pub mod public;
pub mod two_step;

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <h1>"Page not found"</h1>
        <p>"There is no page at this address. " <a href="/">"Go to the clinic's home page"</a> "."</p>
    }
}
