//! Site chrome shared by every portal: header with the clinic name and portal
//! navigation, and a footer with the clinic's contact details.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::directory::use_clinic_directory;
use crate::components::auth::UserMenu;

#[component]
pub fn SiteHeader() -> impl IntoView {
    let directory = use_clinic_directory();
    let clinic_name = move || {
        directory
            .get()
            .and_then(Result::ok)
            .map(|d| d.clinic.name)
            .unwrap_or_else(|| "Clinic Scheduler".to_owned())
    };
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <Transition fallback=|| "Clinic Scheduler">{clinic_name}</Transition>
            </a>
            <nav aria-label="Portals">
                <ul>
                    <li><A href="/">"Patients"</A></li>
                    <li><A href="/book">"Book"</A></li>
                    <li><A href="/doctor">"Doctors"</A></li>
                    <li><A href="/admin">"Staff"</A></li>
                </ul>
            </nav>
            <UserMenu/>
        </header>
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    let directory = use_clinic_directory();
    view! {
        <footer class="site-footer">
            <Transition fallback=|| ()>
                {move || {
                    directory
                        .get()
                        .and_then(Result::ok)
                        .map(|d| {
                            view! {
                                <address>
                                    <span>{d.clinic.name}</span>
                                    <span>{d.clinic.address}</span>
                                    <span>{d.clinic.phone}</span>
                                </address>
                            }
                        })
                }}
            </Transition>
        </footer>
    }
}
