//! The doctors' portal (`/doctor`).

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DoctorPortalPage() -> impl IntoView {
    view! {
        <Title text="Doctors"/>
        <h1>"Doctors' portal"</h1>
        <p>"Your calendar, weekly hours, leave and blocks, and visit outcomes live here."</p>
        <p class="notice">"Signing in opens in an upcoming release of Clinic Scheduler."</p>
    }
}
