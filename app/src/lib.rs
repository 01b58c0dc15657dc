//! Clinic Scheduler's Leptos application: one codebase for the patient (`/`), doctor
//! (`/doctor`) and staff (`/admin`) portals, rendered on the server and hydrated in the
//! browser. Server functions live in [`api`], their types in [`wire`]; the server side
//! (ssr only) is `request` (what a call learns from its HTTP request), `services` (what
//! the clinic decides) and `db` (the repositories). ARCHITECTURE.md draws the layers.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod db;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod request;
#[cfg(feature = "ssr")]
pub mod services;
pub mod wire;

pub use error::AppError;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::components::focus::{FocusOnFormAnswer, FocusOnNavigation};
use crate::components::layout::{SiteFooter, SiteHeader};
use crate::components::offline::{InstallPrompt, OfflineSupport};
use crate::pages::account::AccountPage;
use crate::pages::patient::{
    AppointmentPage, AppointmentsPage, BookDoctorsPage, BookPage, ConfirmPage, FamilyPage,
    MovePage, ProfilePage,
};
use crate::pages::public::{
    ForgotPasswordPage, HomePage, LoginPage, OfferLeftPage, OfferPage, OfferTakenPage,
    ResetPasswordPage, SignUpPage, VerifyEmailPage, VisitDonePage, VisitLinkPage, WelcomePage,
};
use crate::pages::two_step::{EnrolPage, LoginCodePage, RecoveryCodesPage, TwoStepPage};
use crate::pages::{
    admin::{
        AttentionPage, AuditPage, HolidaysPage, NotificationsPage, SettingsPage, StaffAccountsPage,
        StaffAppointmentPage, StaffAppointmentsPage, StaffDoctorPage, StaffDoctorsPage,
        StaffPatientPage, StaffPatientsPage, StaffTodayPage, StaffVisitTypesPage,
        StaffWaitlistPage,
    },
    doctor::{DoctorPortalPage, HoursPage, VisitPage},
    NotFoundPage,
};

/// The Content-Security-Policy of a page: scripts only from this site or with this
/// response's nonce (the hydration bootstrap), wasm allowed, nothing framed or embedded.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

/// The fingerprinted files `cargo xtask build` listed in `hash.txt`, read once per page:
/// `href` finds one by kind. Empty when the site was built without it (by hand, or
/// tests without a bundle).
pub struct BundleFiles {
    hashes: Option<String>,
    pkg: String,
    output_name: String,
}

impl BundleFiles {
    pub fn read(options: &LeptosOptions) -> Self {
        Self {
            hashes: options
                .hash_files
                .then(|| std::fs::read_to_string(options.hash_file.as_ref()).ok())
                .flatten(),
            pkg: options.site_pkg_dir.to_string(),
            output_name: options.output_name.to_string(),
        }
    }

    /// The URL of a fingerprinted file (`kind` as in `hash.txt`: `css`, `webmanifest`,
    /// `icon-apple`), if the build made one.
    pub fn href(&self, kind: &str) -> Option<String> {
        bundle_href_in(self.hashes.as_deref()?, &self.pkg, kind)
    }

    /// The stylesheet's URL: content-hashed (cacheable forever) when the build wrote
    /// `hash.txt`, the plain name otherwise.
    pub fn stylesheet(&self) -> String {
        self.href("css")
            .unwrap_or_else(|| format!("/{}/{}.css", self.pkg, self.output_name))
    }
}

fn bundle_href_in(manifest: &str, pkg: &str, kind: &str) -> Option<String> {
    let hash = manifest.lines().find_map(|line| {
        let (k, hash) = line.split_once(':')?;
        (k.trim() == kind).then(|| hash.trim().to_owned())
    })?;
    // The stems `xtask/src/build.rs` names these files with.
    let (stem, extension) = match kind {
        "css" => ("clinic", "css"),
        "webmanifest" => ("app", "webmanifest"),
        "icon-apple" => ("apple-touch-icon-180", "png"),
        _ => return None,
    };
    Some(format!("/{pkg}/{stem}.{hash}.{extension}"))
}

/// The stylesheet's URL (see [`BundleFiles::stylesheet`]).
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    BundleFiles::read(options).stylesheet()
}

/// The HTML document around the app, rendered only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // `hash.txt` once per page, for the stylesheet and the installable app's manifest and
    // iPhone home-screen icon (built ones only).
    let files = BundleFiles::read(&options);
    let stylesheet = files.stylesheet();
    let manifest = files.href("webmanifest");
    let apple_icon = files.href("icon-apple");
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(value) = axum::http::HeaderValue::from_str(&page_csp(&nonce)) {
            response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                {manifest.map(|href| view! { <link rel="manifest" href=href/> })}
                {apple_icon.map(|href| view! { <link rel="apple-touch-icon" href=href/> })}
                <meta name="theme-color" content="#0b5f7a"/>
                <link rel="stylesheet" href=stylesheet/>
                <HydrationScripts options/>
                {components::form::form_flash_meta().map(|flash| view! {
                    <meta name=components::form::FormFlash::META_NAME content=flash/>
                })}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bundle_files_are_found_by_kind() {
        let manifest = "js: 00\nwasm: 11\ncss: 0123456789abcdef\nwebmanifest: fedcba9876543210\n";
        assert_eq!(
            super::bundle_href_in(manifest, "pkg", "css").as_deref(),
            Some("/pkg/clinic.0123456789abcdef.css")
        );
        assert_eq!(
            super::bundle_href_in(manifest, "pkg", "webmanifest").as_deref(),
            Some("/pkg/app.fedcba9876543210.webmanifest")
        );
        assert_eq!(super::bundle_href_in(manifest, "pkg", "icon-apple"), None);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Before any ServerAction exists: a form returned without JavaScript shows its error.
    components::form::provide_form_flash();
    api::directory::provide_clinic_profile();
    api::auth::Auth::provide();

    // Effects run only in the browser, so this attribute appears exactly when hydration
    // has finished: end-to-end tests wait for it before interacting.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title formatter=|page: String| if page.is_empty() { "Clinic Scheduler".to_owned() } else { format!("{page} · Clinic Scheduler") }/>
        <Router>
            <FocusOnNavigation/>
            <FocusOnFormAnswer/>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <SiteHeader/>
            <main id="main" tabindex="-1">
                <OfflineSupport/>
                <Routes fallback=NotFoundPage>
                    // Async SSR: the server waits for data and sends complete HTML, so
                    // pages read (and forms work) before the wasm loads or without it.
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/doctor") view=DoctorPortalPage ssr=SsrMode::Async/>
                    <Route path=path!("/doctor/hours") view=HoursPage ssr=SsrMode::Async/>
                    <Route path=path!("/doctor/visits/:id") view=VisitPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view=StaffTodayPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/appointments") view=StaffAppointmentsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/appointments/:id") view=StaffAppointmentPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/patients") view=StaffPatientsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/patients/:id") view=StaffPatientPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/doctors") view=StaffDoctorsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/doctors/:id") view=StaffDoctorPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/accounts") view=StaffAccountsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/holidays") view=HolidaysPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/attention") view=AttentionPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/waitlist") view=StaffWaitlistPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/visit-types") view=StaffVisitTypesPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/notifications") view=NotificationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/audit") view=AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/settings") view=SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/login/code") view=LoginCodePage ssr=SsrMode::Async/>
                    <Route path=path!("/login/enrol") view=EnrolPage ssr=SsrMode::Async/>
                    <Route path=path!("/signup") view=SignUpPage ssr=SsrMode::Async/>
                    <Route path=path!("/verify-email") view=VerifyEmailPage ssr=SsrMode::Async/>
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/welcome") view=WelcomePage ssr=SsrMode::Async/>
                    <Route path=path!("/offer") view=OfferPage ssr=SsrMode::Async/>
                    <Route path=path!("/offer/taken") view=OfferTakenPage ssr=SsrMode::Async/>
                    <Route path=path!("/offer/left") view=OfferLeftPage ssr=SsrMode::Async/>
                    <Route path=path!("/visit/confirm") view=|| view! { <VisitLinkPage purpose="confirm"/> } ssr=SsrMode::Async/>
                    <Route path=path!("/visit/cancel") view=|| view! { <VisitLinkPage purpose="cancel"/> } ssr=SsrMode::Async/>
                    <Route path=path!("/visit/move") view=|| view! { <VisitLinkPage purpose="move"/> } ssr=SsrMode::Async/>
                    <Route path=path!("/visit/done") view=VisitDonePage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/two-step") view=TwoStepPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/two-step/codes") view=RecoveryCodesPage ssr=SsrMode::Async/>
                    <Route path=path!("/book") view=BookPage ssr=SsrMode::Async/>
                    <Route path=path!("/book/doctors") view=BookDoctorsPage ssr=SsrMode::Async/>
                    <Route path=path!("/book/confirm") view=ConfirmPage ssr=SsrMode::Async/>
                    <Route path=path!("/book/move") view=MovePage ssr=SsrMode::Async/>
                    <Route path=path!("/appointments") view=AppointmentsPage ssr=SsrMode::Async/>
                    <Route path=path!("/appointments/:id") view=AppointmentPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("/family") view=FamilyPage ssr=SsrMode::Async/>
                </Routes>
                <InstallPrompt/>
            </main>
            <SiteFooter/>
        </Router>
    }
}
