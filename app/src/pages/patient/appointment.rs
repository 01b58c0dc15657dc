//! `/appointments/:id`: one appointment — also the page shown right after booking.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::appointments::{status_label, ChangeActions};
use super::waitlist::EarlierTime;
use crate::api::appointments::{appointment_detail, AppointmentView};
use crate::api::booking::{CancelAppointment, ConfirmMyVisit};
use crate::api::directory::use_clinic_profile;
use crate::components::auth::RequireRole;
use crate::components::offline::remember_visits;
use crate::components::time::{device_zone, full, iso, other_zone, zone};
use crate::AppError;
use domain::role::Role;

#[component]
pub fn AppointmentPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok());
    let cancel = ServerAction::<CancelAppointment>::new();
    let confirm = ServerAction::<ConfirmMyVisit>::new();
    let appointment = Resource::new(
        move || (id(), cancel.version().get(), confirm.version().get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => appointment_detail(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <RequireRole roles=vec![Role::Patient] title="Your appointment">
            <Details cancel=cancel confirm=confirm appointment=appointment/>
        </RequireRole>
    }
}

#[component]
fn Details(
    cancel: ServerAction<CancelAppointment>,
    confirm: ServerAction<ConfirmMyVisit>,
    appointment: Resource<Result<AppointmentView, AppError>>,
) -> impl IntoView {
    let query = use_query_map();
    let directory = use_clinic_profile();
    let device = device_zone();
    let banner = move || {
        let q = query.read();
        if q.get("booked").is_some() {
            Some("You're booked. A confirmation is on its way by email.")
        } else if q.get("confirmed").is_some() || confirm.value().get().is_some_and(|r| r.is_ok()) {
            Some("Thank you: we know you will be there.")
        } else if q.get("moved").is_some() {
            Some("Your appointment has been moved. We'll email you the new time.")
        } else if q.get("cancelled").is_some() || cancel.value().get().is_some_and(|r| r.is_ok()) {
            Some("Your appointment is cancelled.")
        } else {
            None
        }
    };
    view! {
        <p class="banner" role="status">{banner}</p>
        <Suspense fallback=|| view! { <p>"Loading your appointment…"</p> }>
            {move || Suspend::new(async move {
                let clinic = directory.await.ok();
                let time_zone = clinic.as_ref().map(|c| c.time_zone.clone()).unwrap_or_default();
                let tz = zone(&time_zone);
                let theirs = other_zone(device, &time_zone);
                match appointment.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p><p><A href="/appointments">"My appointments"</A></p> }.into_any(),
                    Ok(a) => {
                        // Readable offline as shown now (see `components::offline`).
                        remember_visits(std::slice::from_ref(&a), clinic.as_ref(), tz, false);
                        let start = a.start;
                        let minutes = (a.end - a.start).num_minutes();
                        let (clinic_name, address) = clinic.map(|c| (c.name, c.address)).unwrap_or_default();
                        view! {
                            <h1>{a.for_name.clone().map_or_else(|| "Your appointment".to_owned(), |n| format!("{n}'s appointment"))}</h1>
                            <dl class="details" data-start=iso(start)>
                                {a.for_name.clone().map(|n| view! { <dt>"For"</dt><dd class="for-whom">{n}</dd> })}
                                <dt>"When"</dt>
                                <dd>
                                    {full(tz, start)}
                                    {move || theirs.get().map(|z| view! { <span class="local-time">{format!(" ({} your time)", full(z, start))}</span> })}
                                </dd>
                                <dt>"Visit"</dt><dd>{format!("{} ({minutes} minutes)", a.type_name)}</dd>
                                <dt>"Doctor"</dt><dd>{a.doctor_name.clone()}</dd>
                                {a.clinic_note.clone().map(|note| view! { <dt>"Note"</dt><dd>{note}</dd> })}
                                <dt>"Where"</dt><dd>{format!("{clinic_name}, {address}")}</dd>
                                <dt>"Status"</dt><dd>{status_label(a.status)}</dd>
                                {(a.status == domain::booking::AppointmentStatus::Booked && a.confirmed_at.is_some())
                                    .then(|| view! { <dt>"Confirmed"</dt><dd>"You told us you will be there."</dd> })}
                                {a.reason.clone().map(|r| view! { <dt>"Your reason (private)"</dt><dd>{r}</dd> })}
                            </dl>
                            {(a.status != domain::booking::AppointmentStatus::Cancelled).then(|| view! {
                                <p>
                                    <a href=format!("/appointments/{}/calendar.ics", a.appointment_id) download=format!("appointment-{}.ics", a.appointment_id) rel="external" class="button secondary">
                                        "Add to calendar (.ics)"
                                    </a>
                                </p>
                            })}
                            {(a.status == domain::booking::AppointmentStatus::Booked && a.confirmed_at.is_none()).then(|| view! {
                                <ActionForm action=confirm attr:class="confirm-visit">
                                    <input type="hidden" name="appointment_id" value=a.appointment_id/>
                                    <button type="submit" disabled=move || confirm.pending().get()>"I'll be there"</button>
                                </ActionForm>
                            })}
                            <p class="form-error" role="alert">{move || cancel.value().get().and_then(Result::err)
                                .or_else(|| confirm.value().get().and_then(Result::err))
                                .map(|e| e.to_string())}</p>
                            {(a.status == domain::booking::AppointmentStatus::Booked && a.reschedule_blocked.is_none())
                                .then(|| view! { <EarlierTime appointment_id=a.appointment_id/> })}
                            <ChangeActions a=a cancel=cancel/>
                            <p><a href="/appointments">"All my appointments"</a></p>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
