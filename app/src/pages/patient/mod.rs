//! The patient portal: find a time, confirm it, see and change appointments, profile.

mod appointment;
mod appointments;
mod book;
mod confirm;
mod family;
mod move_time;
mod profile;
mod waitlist;

pub use appointment::AppointmentPage;
pub use appointments::AppointmentsPage;
pub use book::{BookDoctorsPage, BookPage};
pub use confirm::ConfirmPage;
pub use family::FamilyPage;
pub use move_time::MovePage;
pub use profile::ProfilePage;

use leptos::prelude::*;

use crate::api::booking::HoldTime;
use crate::components::time::{clock, iso};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Clinic contact details, shown wherever a patient is told to call instead.
#[component]
pub fn CallTheClinic() -> impl IntoView {
    let directory = crate::api::directory::use_clinic_profile();
    view! {
        <Transition fallback=|| ()>
            {move || directory.get().and_then(Result::ok).map(|d| view! {
                <p class="contact">"Call " {d.name} " at " <a href=format!("tel:{}", d.phone)>{d.phone.clone()}</a> "."</p>
            })}
        </Transition>
    }
}

/// A button that reserves `start` (a form, so it works before the page's script loads).
#[component]
pub fn HoldButton(
    action: ServerAction<HoldTime>,
    start: DateTime<Utc>,
    appointment_type_id: i64,
    /// The doctor the patient chose (none: the clinic assigns one).
    #[prop(default = None)]
    doctor: Option<i64>,
    /// Whom the visit is for (none: the signed-in patient).
    #[prop(default = None)]
    for_patient: Option<i64>,
    tz: Tz,
    #[prop(into)] label: String,
    /// One of a group moved through with the arrow keys (see `components::roving`).
    #[prop(optional)]
    rove: bool,
) -> impl IntoView {
    view! {
        <ActionForm action=action attr:class="time-form">
            <input type="hidden" name="start" value=iso(start)/>
            <input type="hidden" name="appointment_type_id" value=appointment_type_id/>
            {doctor.map(|d| view! { <input type="hidden" name="doctor" value=d/> })}
            {for_patient.map(|p| view! { <input type="hidden" name="for_patient" value=p/> })}
            <button type="submit" class=if rove { "time rove" } else { "time" } aria-label=label disabled=move || action.pending().get()>
                {clock(tz, start)}
            </button>
        </ActionForm>
    }
}
