//! The staff portal (`/admin/...`): Today, appointments, patients, doctors and accounts,
//! visit types, holidays, settings, the attention queue, the waitlist, notifications and the audit log. Every page
//! is for staff only (and every server function behind it checks that again).

mod accounts;
mod appointments;
mod attention;
mod audit;
mod clinic;
mod doctors;
mod family;
mod patients;
mod today;
mod visit_types;
mod waitlist;

pub use appointments::{StaffAppointmentPage, StaffAppointmentsPage};
pub use attention::AttentionPage;
pub use audit::AuditPage;
pub use clinic::{HolidaysPage, NotificationsPage, SettingsPage};
pub use doctors::{StaffDoctorPage, StaffDoctorsPage};
pub use patients::{StaffPatientPage, StaffPatientsPage};
pub use today::StaffTodayPage;
pub use visit_types::StaffVisitTypesPage;
pub use waitlist::StaffWaitlistPage;

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::api::accounts::{list_accounts, CreateAccount, ResetTwoStep, SetAccountDisabled};
use crate::components::auth::RequireRole;
use domain::role::Role;

const SECTIONS: [(&str, &str); 12] = [
    ("/admin", "Today"),
    ("/admin/appointments", "Appointments"),
    ("/admin/patients", "Patients"),
    ("/admin/doctors", "Doctors"),
    ("/admin/visit-types", "Visit types"),
    ("/admin/accounts", "Accounts"),
    ("/admin/holidays", "Holidays"),
    ("/admin/attention", "Attention queue"),
    ("/admin/waitlist", "Waitlist"),
    ("/admin/notifications", "Notifications"),
    ("/admin/audit", "Audit log"),
    ("/admin/settings", "Settings"),
];

/// Links to every staff page; the current section is marked for screen readers too.
#[component]
fn StaffNav() -> impl IntoView {
    let location = use_location();
    let current = move |href: &str| {
        let path = location.pathname.get();
        if href == "/admin" {
            path == "/admin"
        } else {
            path == href || path.starts_with(&format!("{href}/"))
        }
    };
    view! {
        <nav class="staff-nav" aria-label="Staff portal">
            {SECTIONS.iter().map(|(href, label)| {
                let href = *href;
                view! { <a href=href aria-current=move || current(href).then_some("page")>{*label}</a> }
            }).collect_view()}
        </nav>
    }
}

/// A staff page: title, the staff navigation and the page, for staff only.
#[component]
fn StaffFrame(title: &'static str, children: ChildrenFn) -> impl IntoView {
    let children = StoredValue::new(children);
    view! {
        <RequireRole roles=vec![Role::Admin] title=title>
            <StaffNav/>
            <h1>{title}</h1>
            {children.with_value(|c| c())}
        </RequireRole>
    }
}

/// `/admin/accounts`: doctor and admin accounts.
#[component]
pub fn StaffAccountsPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let create = ServerAction::<CreateAccount>::new();
    let toggle = ServerAction::<SetAccountDisabled>::new();
    let reset = ServerAction::<ResetTwoStep>::new();
    let accounts = Resource::new(
        move || {
            (
                create.version().get(),
                toggle.version().get(),
                reset.version().get(),
            )
        },
        |_| list_accounts(),
    );
    view! {
        <StaffFrame title="Accounts">
            <accounts::AccountsSection create=create toggle=toggle reset=reset accounts=accounts/>
        </StaffFrame>
    }
}

/// "3 of 8 (38%)"
fn ratio(part: i64, whole: i64) -> String {
    if whole == 0 {
        "none".to_owned()
    } else {
        format!("{part} of {whole} ({}%)", (part * 100 + whole / 2) / whole)
    }
}

/// An error as a page shows it.
fn error_view(e: crate::AppError) -> AnyView {
    view! { <p class="error" role="alert">{e.message()}</p> }.into_any()
}

/// The query value `key` of the current URL, if present and not empty.
fn query_text(query: Memo<leptos_router::params::ParamsMap>, key: &str) -> Option<String> {
    query.read().get(key).filter(|v| !v.trim().is_empty())
}

/// A visit's status in the clinic's words.
fn status_label(status: domain::booking::AppointmentStatus) -> &'static str {
    use domain::booking::AppointmentStatus::*;
    match status {
        Booked => "Booked",
        Cancelled => "Cancelled",
        Completed => "Completed",
        NoShow => "No-show",
    }
}
