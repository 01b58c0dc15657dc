//! The doctors' portal (`/doctor`).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{Auth, Role};
use crate::components::auth::RequireRole;

#[component]
pub fn DoctorPortalPage() -> impl IntoView {
    let auth = Auth::get();
    view! {
        <Title text="Doctors"/>
        <RequireRole roles=vec![Role::Doctor]>
            <h1>"Doctors' portal"</h1>
            <p>
                {move || auth.user.get().and_then(Result::ok).flatten().map(|u| format!("Signed in as {}.", u.display_name))}
            </p>
            <p>"Your calendar, weekly hours, leave and blocks, and visit outcomes will appear here."</p>
        </RequireRole>
    }
}
