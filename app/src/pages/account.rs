//! The signed-in person's account page, the same for every role.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{Auth, ChangePassword, Role};
use crate::components::auth::RequireRole;
use crate::components::form::{field_message, Field};

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Your account"/>
        <RequireRole roles=vec![Role::Patient, Role::Doctor, Role::Admin]>
            <AccountDetails/>
        </RequireRole>
    }
}

#[component]
fn AccountDetails() -> impl IntoView {
    let auth = Auth::get();
    let change = ServerAction::<ChangePassword>::new();
    let error = Signal::derive(move || change.value().get().and_then(Result::err));
    let done = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <h1>"Your account"</h1>
        <Transition fallback=|| ()>
            {move || auth.user.get().and_then(Result::ok).flatten().map(|user| view! {
                <dl class="details">
                    <dt>"Name"</dt><dd>{user.display_name}</dd>
                    <dt>"Email"</dt><dd>{user.email}</dd>
                    <dt>"Role"</dt><dd>{user.role.as_str()}</dd>
                </dl>
            })}
        </Transition>
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
