//! `/book/move?appointment=…&start=…`: confirm moving an appointment to a new time. The
//! old time stays booked until the new one is taken (one transaction on the server).

use domain::bounded::BoundedInstant;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::appointments::appointment_detail;
use crate::api::booking::{move_preview, MoveDoctor, RescheduleAppointment};
use crate::api::directory::use_clinic_profile;
use crate::components::auth::RequireRole;
use crate::components::time::{full, iso, zone};
use crate::AppError;
use domain::booking::BookingError;
use domain::role::Role;

#[component]
pub fn MovePage() -> impl IntoView {
    let query = use_query_map();
    let appointment_id = move || {
        query
            .read()
            .get("appointment")
            .and_then(|v| v.parse::<i64>().ok())
    };
    let start = move || {
        query
            .read()
            .get("start")
            .and_then(|v| v.parse::<BoundedInstant>().ok())
    };
    let current = Resource::new(appointment_id, |id| async move {
        match id {
            Some(id) => appointment_detail(id).await,
            None => Err(AppError::NotFound),
        }
    });
    let doctor = Resource::new(
        move || (appointment_id(), start()),
        |(id, start)| async move {
            match (id, start) {
                (Some(id), Some(start)) => move_preview(id, start.get()).await.ok(),
                _ => None,
            }
        },
    );
    let directory = use_clinic_profile();
    let move_action = ServerAction::<RescheduleAppointment>::new();
    view! {
        <RequireRole roles=vec![Role::Patient] title="Move your appointment">
            <h1>"Move your appointment"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let tz = zone(&directory.await.map(|d| d.time_zone).unwrap_or_default());
                    let doctor = doctor.await;
                    match (current.await, start()) {
                        (Ok(a), Some(new_start)) => view! {
                            <dl class="details">
                                <dt>"From"</dt><dd>{full(tz, a.start)}</dd>
                                <dt>"To"</dt><dd>{full(tz, new_start.get())}</dd>
                                <dt>"Visit"</dt><dd>{a.type_name.clone()}</dd>
                                <dt>"Doctor"</dt>
                                <dd class="move-doctor">{match doctor {
                                    Some(MoveDoctor { doctor_name: Some(name), same_doctor: true }) => format!("{name}, as now"),
                                    Some(MoveDoctor { doctor_name: Some(name), same_doctor: false }) => format!("{name} (instead of {}, who is not free then)", a.doctor_name),
                                    _ => "Nobody is free at that time any more; please choose another time.".to_owned(),
                                }}</dd>
                            </dl>
                            <p>"Your current time stays booked until the new one is confirmed."</p>
                            <ActionForm action=move_action>
                                <input type="hidden" name="appointment_id" value=a.appointment_id/>
                                <input type="hidden" name="start" value=iso(new_start.get())/>
                                <p class="form-error" role="alert">
                                    {move || move_action.value().get().and_then(Result::err).map(|e| match e {
                                        AppError::Booking(BookingError::SlotTaken { .. }) => "That time was just taken. Your appointment has not changed; please choose another time.".to_owned(),
                                        other => other.to_string(),
                                    })}
                                </p>
                                <div class="actions">
                                    <button type="submit" disabled=move || move_action.pending().get()>"Move appointment"</button>
                                    <A href=format!("/book?type={}&reschedule={}", a.appointment_type_id, a.appointment_id)>"Choose another time"</A>
                                </div>
                            </ActionForm>
                        }.into_any(),
                        (Err(e), _) => view! { <p role="alert" class="error">{e.to_string()}</p> }.into_any(),
                        (_, None) => view! { <p role="alert" class="error">"No new time was chosen."</p> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireRole>
    }
}
