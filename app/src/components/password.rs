//! The change-password form, on the account and profile pages.

use leptos::prelude::*;

use crate::api::auth::ChangePassword;
use crate::components::form::{field_message, Field};

#[component]
pub fn ChangePasswordForm() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let error = Signal::derive(move || change.value().get().and_then(Result::err));
    let done = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <h2>"Change your password"</h2>
        <ActionForm action=change>
            <Field name="current_password" label="Current password" kind="password" autocomplete="current-password"
                required=true error=Signal::derive(move || field_message(error.get(), "current_password"))/>
            <Field name="new_password" label="New password" kind="password" autocomplete="new-password"
                required=true hint="At least 8 characters."
                error=Signal::derive(move || field_message(error.get(), "new_password"))/>
            <p class="form-status" role="status">{move || done().then_some("Your password was changed. Other devices were signed out.")}</p>
            <button type="submit" disabled=move || change.pending().get()>"Change password"</button>
        </ActionForm>
    }
}
