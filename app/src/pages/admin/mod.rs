//! The staff portal (`/admin`).

mod accounts;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::accounts::{list_accounts, CreateAccount, SetAccountDisabled};
use crate::api::auth::Role;
use crate::components::auth::RequireRole;

#[component]
pub fn StaffPortalPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let create = ServerAction::<CreateAccount>::new();
    let toggle = ServerAction::<SetAccountDisabled>::new();
    let accounts = Resource::new(
        move || (create.version().get(), toggle.version().get()),
        |_| list_accounts(),
    );
    view! {
        <Title text="Staff"/>
        <RequireRole roles=vec![Role::Admin]>
            <h1>"Staff portal"</h1>
            <accounts::AccountsSection create=create toggle=toggle accounts=accounts/>
        </RequireRole>
    }
}
