//! The signed-in person's account page, the same for every role.

use leptos::prelude::*;
use leptos_router::components::A;

use domain::role::Role;

use crate::api::auth::Auth;
use crate::components::auth::RequireRole;
use crate::components::password::ChangePasswordForm;

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <RequireRole roles=vec![Role::Patient, Role::Doctor, Role::Admin] title="Your account">
            <AccountDetails/>
        </RequireRole>
    }
}

#[component]
fn AccountDetails() -> impl IntoView {
    let auth = Auth::get();
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
        <h2>"Two-step sign-in"</h2>
        <p>"A code from your phone after your password. " <A href="/account/two-step">"Two-step sign-in"</A></p>
        <ChangePasswordForm/>
    }
}
