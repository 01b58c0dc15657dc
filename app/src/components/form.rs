//! Form helpers: labelled inputs that show the server's message for their field.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

/// The message for `field` when `error` is a validation error about it.
pub fn field_message(error: Option<AppError>, field: &str) -> Option<String> {
    match error {
        Some(AppError::Validation { field: f, message }) if f == field => Some(message),
        _ => None,
    }
}

/// What a plain (no-JavaScript) form post that failed leaves for the page it returns to:
/// which server function failed, its error, and the values typed (never passwords). The
/// server keeps it in the session for exactly one page view (see `server::form_posts`);
/// the page shows the error where the script would have, and refills the fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormFlash {
    /// The failing server function's path, e.g. `/api/log_in`.
    pub action: String,
    pub error: AppError,
    pub values: Vec<(String, String)>,
}

impl FormFlash {
    /// The meta element that carries the flash from the server render to hydration.
    pub const META_NAME: &'static str = "clinic-form-flash";

    /// Fields whose values are never kept or echoed back.
    pub fn is_secret(field: &str) -> bool {
        field.contains("password")
    }

    pub fn value(&self, field: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| value.as_str())
    }
}

/// Makes a returned form error visible to the page: every `ServerAction` of the failing
/// server function starts with the error as its value (Leptos' own no-JS mechanism), and
/// [`kept_value`] refills the fields. Called once, at the root of the app.
pub fn provide_form_flash() {
    let Some(flash) = current_form_flash() else {
        return;
    };
    if let Ok(json) = serde_json::to_vec(&flash.error) {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::URL_SAFE.encode(json);
        provide_context(leptos::server::ServerActionError::new(
            &flash.action,
            &encoded,
        ));
    }
    provide_context(flash);
}

/// The flash of this page view: on the server from the request (put there by the
/// middleware), in the browser from the meta element the server rendered.
fn current_form_flash() -> Option<FormFlash> {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<FormFlash>().cloned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        let content = document()
            .query_selector(&format!("meta[name=\"{}\"]", FormFlash::META_NAME))
            .ok()??
            .get_attribute("content")?;
        serde_json::from_str(&content).ok()
    }
}

/// The flash serialised for the page's head (server render only).
pub fn form_flash_meta() -> Option<String> {
    current_form_flash().and_then(|flash| serde_json::to_string(&flash).ok())
}

/// The value a returned form had in `field`, to refill it.
pub fn kept_value(field: &str) -> Option<String> {
    use_context::<FormFlash>().and_then(|flash| flash.value(field).map(str::to_owned))
}

/// A labelled input; `error` yields the message to show under it (linked for screen readers).
#[component]
pub fn Field(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional)] hint: Option<&'static str>,
    /// The value the field starts with (e.g. the saved profile).
    #[prop(optional, into)]
    initial: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{name}");
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    // A form returned without JavaScript comes back with what was typed (never a password).
    let value = (kind != "password")
        .then(|| kept_value(name))
        .flatten()
        .or(initial);
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                required=required
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            />
            <Show when=move || error.get().is_some()>
                <p class="field-error" id=error_id.clone()>{move || error.get()}</p>
            </Show>
        </div>
    }
}
