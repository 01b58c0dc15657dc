//! Site chrome shared by every portal: header with the clinic name and portal
//! navigation, and a footer with the clinic's contact details.

use leptos::prelude::*;
use leptos_router::components::A;

use domain::role::Role;

use crate::api::auth::Auth;
use crate::api::directory::use_clinic_profile;
use crate::components::auth::UserMenu;

#[component]
pub fn SiteHeader() -> impl IntoView {
    let directory = use_clinic_profile();
    let auth = Auth::get();
    let clinic_name = move || {
        directory
            .get()
            .and_then(Result::ok)
            .map(|d| d.name)
            .unwrap_or_else(|| "Clinic Scheduler".to_owned())
    };
    view! {
        <header class="site-header">
            <a class="brand" href="/">
                <Transition fallback=|| "Clinic Scheduler">{clinic_name}</Transition>
            </a>
            <Transition fallback=|| view! { <PortalLinks role=None/> }>
                {move || {
                    let role = auth
                        .user
                        .get()
                        .and_then(Result::ok)
                        .flatten()
                        .map(|u| u.role);
                    view! { <PortalLinks role=role/> }
                }}
            </Transition>
            <UserMenu/>
        </header>
    }
}

/// Each person sees their own portal's links; a visitor not signed in sees the way into
/// each portal (which asks them to sign in).
#[component]
fn PortalLinks(role: Option<Role>) -> impl IntoView {
    let links: &[(&str, &str)] = match role {
        None => &[
            ("/", "Patients"),
            ("/book", "Book"),
            ("/doctor", "Doctors"),
            ("/admin", "Staff"),
        ],
        Some(Role::Patient) => &[("/book", "Book")],
        Some(Role::Doctor) => &[("/doctor", "Calendar"), ("/doctor/hours", "Weekly hours")],
        Some(Role::Admin) => &[
            ("/admin", "Today"),
            ("/admin/patients", "Patients"),
            ("/admin/appointments", "Appointments"),
        ],
    };
    view! {
        <nav aria-label="Portals">
            <ul>
                {links.iter().map(|(href, label)| view! { <li><A href=*href exact=true>{*label}</A></li> }).collect_view()}
            </ul>
        </nav>
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    let directory = use_clinic_profile();
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
                                    <span>{d.name}</span>
                                    <span>{d.address}</span>
                                    <span>{d.phone}</span>
                                </address>
                            }
                        })
                }}
            </Transition>
        </footer>
    }
}
