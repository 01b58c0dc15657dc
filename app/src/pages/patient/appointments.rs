//! `/appointments`: upcoming and past appointments with what can still be done online.

use chrono::Utc;
use leptos::prelude::*;
use leptos_router::components::A;

use super::waitlist::WaitlistPlaces;
use super::CallTheClinic;
use crate::api::appointments::{my_appointments, AppointmentView};
use crate::api::booking::CancelAppointment;
use crate::api::directory::use_clinic_profile;
use crate::api::waitlist::{my_waitlist, LeaveWaitlist, WaitlistEntry};
use crate::components::auth::RequireRole;
use crate::components::offline::remember_visits;
use crate::components::time::{full, zone};
use domain::booking::AppointmentStatus;
use domain::role::Role;

pub fn status_label(status: AppointmentStatus) -> &'static str {
    status.patient_label()
}

#[component]
pub fn AppointmentsPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let cancel = ServerAction::<CancelAppointment>::new();
    let leave = ServerAction::<LeaveWaitlist>::new();
    let list = Resource::new(move || cancel.version().get(), |_| my_appointments());
    // A cancelled visit leaves the waitlist with it.
    let places = Resource::new(
        move || (cancel.version().get(), leave.version().get()),
        |_| my_waitlist(),
    );
    view! {
        <RequireRole roles=vec![Role::Patient] title="My appointments">
            <AppointmentList cancel=cancel list=list places=places leave=leave/>
        </RequireRole>
    }
}

#[component]
fn AppointmentList(
    cancel: ServerAction<CancelAppointment>,
    list: Resource<Result<Vec<AppointmentView>, crate::AppError>>,
    places: Resource<Result<Vec<WaitlistEntry>, crate::AppError>>,
    leave: ServerAction<LeaveWaitlist>,
) -> impl IntoView {
    let directory = use_clinic_profile();
    view! {
        <div class="heading-row">
            <h1>"My appointments"</h1>
            <A href="/book" attr:class="button">"Book an appointment"</A>
        </div>
        <p class="form-error" role="alert">
            {move || cancel.value().get().and_then(Result::err).or_else(|| leave.value().get().and_then(Result::err)).map(|e| e.to_string())}
        </p>
        <Suspense fallback=|| view! { <p>"Loading your appointments…"</p> }>
            {move || Suspend::new(async move {
                let clinic = directory.await.ok();
                let tz = zone(&clinic.as_ref().map(|d| d.time_zone.clone()).unwrap_or_default());
                let places = places.await.unwrap_or_default();
                match list.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(all) => {
                        // Readable offline as shown now (see `components::offline`).
                        remember_visits(&all, clinic.as_ref(), tz, true);
                        let now = Utc::now();
                        let (upcoming, past): (Vec<_>, Vec<_>) = all
                            .into_iter()
                            .partition(|a| a.status == AppointmentStatus::Booked && a.end > now);
                        let mut upcoming = upcoming;
                        upcoming.sort_by_key(|a| a.start);
                        view! {
                            <section aria-labelledby="upcoming-heading">
                                <h2 id="upcoming-heading">"Upcoming"</h2>
                                {if upcoming.is_empty() {
                                    view! { <p class="empty">"You have no upcoming appointments."</p> }.into_any()
                                } else {
                                    view! { <ul class="appointments">{upcoming.into_iter().map(|a| view! { <Item a=a tz=tz cancel=cancel/> }).collect_view()}</ul> }.into_any()
                                }}
                            </section>
                            <WaitlistPlaces places=places leave=leave/>
                            <section aria-labelledby="past-heading">
                                <h2 id="past-heading">"Past and cancelled"</h2>
                                {if past.is_empty() {
                                    view! { <p class="empty">"Nothing here yet."</p> }.into_any()
                                } else {
                                    view! { <ul class="appointments">{past.into_iter().map(|a| view! { <Item a=a tz=tz cancel=cancel/> }).collect_view()}</ul> }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ChangeActions(a: AppointmentView, cancel: ServerAction<CancelAppointment>) -> impl IntoView {
    if a.status != AppointmentStatus::Booked {
        return ().into_any();
    }
    let reschedule = match a.reschedule_blocked.clone() {
        None => view! {
            <A href=format!("/book?type={}&reschedule={}", a.appointment_type_id, a.appointment_id) attr:class="button secondary">"Reschedule"</A>
        }
        .into_any(),
        Some(_) => ().into_any(),
    };
    let cancel_view = match a.cancel_blocked.clone() {
        None => view! {
            <details class="confirm-cancel">
                <summary>"Cancel appointment"</summary>
                <ActionForm action=cancel>
                    <input type="hidden" name="appointment_id" value=a.appointment_id/>
                    <button type="submit" class="danger" disabled=move || cancel.pending().get()>"Yes, cancel this appointment"</button>
                </ActionForm>
            </details>
        }
        .into_any(),
        Some(_) => ().into_any(),
    };
    let blocked = a.reschedule_blocked.clone().or(a.cancel_blocked.clone());
    view! {
        <div class="actions">{reschedule}{cancel_view}</div>
        {blocked.map(|why| view! { <div class="blocked"><p>{why}</p><CallTheClinic/></div> })}
    }
    .into_any()
}

#[component]
fn Item(
    a: AppointmentView,
    tz: chrono_tz::Tz,
    cancel: ServerAction<CancelAppointment>,
) -> impl IntoView {
    let id = a.appointment_id;
    let start = a.start;
    view! {
        <li class="appointment" data-appointment-id=id data-start=crate::components::time::iso(start)>
            <p class="when"><A href=format!("/appointments/{id}")>{full(tz, a.start)}</A></p>
            {a.for_name.clone().map(|n| view! { <p class="for-whom">{format!("For {n}")}</p> })}
            <p>{format!("{} with {}", a.type_name, a.doctor_name)}</p>
            {a.clinic_note.clone().map(|note| view! { <p class="clinic-note">{note}</p> })}
            <p class="status">{format!("Status: {}", status_label(a.status))}</p>
            <ChangeActions a=a cancel=cancel/>
        </li>
    }
}
