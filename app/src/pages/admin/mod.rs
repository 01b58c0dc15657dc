//! The staff portal (`/admin`).

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn StaffPortalPage() -> impl IntoView {
    view! {
        <Title text="Staff"/>
        <h1>"Staff portal"</h1>
        <p>
            "Doctors, clinic settings and holidays, every appointment, the attention queue, "
            "notifications and the audit log are managed here."
        </p>
        <p class="notice">"Signing in opens in an upcoming release of Clinic Scheduler."</p>
    }
}
