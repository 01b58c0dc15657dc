//! The staff portal (`/admin`).

mod accounts;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::Role;
use crate::components::auth::RequireRole;

#[component]
pub fn StaffPortalPage() -> impl IntoView {
    view! {
        <Title text="Staff"/>
        <RequireRole roles=vec![Role::Admin]>
            <h1>"Staff portal"</h1>
            <accounts::AccountsSection/>
        </RequireRole>
    }
}
