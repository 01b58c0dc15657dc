//! `/doctor/visits/:id`: one of the doctor's visits — patient, type, their private reason —
//! and, once it has started, its outcome. Opening it is an audited read (rule 8); another
//! doctor's visit is "not found".

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::appointments::{appointment_detail, AppointmentView};
use crate::api::auth::Role;
use crate::api::directory::use_clinic_directory;
use crate::api::doctor::SetVisitOutcome;
use crate::components::auth::RequireRole;
use crate::components::time::{full, zone};
use crate::AppError;
use domain::booking::AppointmentStatus;

#[component]
pub fn VisitPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok());
    let outcome = ServerAction::<SetVisitOutcome>::new();
    let visit = Resource::new(
        move || (id(), outcome.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => appointment_detail(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let directory = use_clinic_directory();
    view! {
        <Title text="Visit"/>
        <RequireRole roles=vec![Role::Doctor]>
            <p><A href="/doctor">"← Your calendar"</A></p>
            <Suspense fallback=|| view! { <p>"Loading the visit…"</p> }>
                {move || Suspend::new(async move {
                    let tz = zone(&directory.await.map(|d| d.clinic.time_zone).unwrap_or_default());
                    match visit.await {
                        Ok(v) => view! { <Visit v=v tz=tz outcome=outcome/> }.into_any(),
                        Err(e) => view! { <h1>"Visit"</h1><p class="error" role="alert">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireRole>
    }
}

#[component]
fn Visit(
    v: AppointmentView,
    tz: chrono_tz::Tz,
    outcome: ServerAction<SetVisitOutcome>,
) -> impl IntoView {
    let started = v.start <= chrono::Utc::now();
    let markable = started && v.status != AppointmentStatus::Cancelled;
    let id = v.appointment_id;
    view! {
        <h1>{v.patient_name.clone().unwrap_or_else(|| "Visit".to_owned())}</h1>
        <dl class="details">
            <dt>"When"</dt><dd>{full(tz, v.start)}</dd>
            <dt>"Visit"</dt><dd>{v.type_name.clone()}</dd>
            <dt>"Status"</dt><dd>{match v.status {
                AppointmentStatus::Booked => "Booked",
                AppointmentStatus::Cancelled => "Cancelled",
                AppointmentStatus::Completed => "Completed",
                AppointmentStatus::NoShow => "No-show",
            }}</dd>
            <dt>"Reason (from the patient)"</dt><dd>{v.reason.clone().unwrap_or_else(|| "None given.".to_owned())}</dd>
        </dl>
        {markable.then(|| view! {
            <section aria-labelledby="outcome-heading">
                <h2 id="outcome-heading">"Outcome"</h2>
                <div class="actions">
                    <ActionForm action=outcome>
                        <input type="hidden" name="appointment_id" value=id/>
                        <input type="hidden" name="outcome" value="completed"/>
                        <button type="submit">"Mark completed"</button>
                    </ActionForm>
                    <ActionForm action=outcome>
                        <input type="hidden" name="appointment_id" value=id/>
                        <input type="hidden" name="outcome" value="no_show"/>
                        <button type="submit" class="secondary">"Mark no-show"</button>
                    </ActionForm>
                </div>
                <p class="form-error" role="alert">{move || outcome.value().get().and_then(Result::err).map(|e| e.message())}</p>
            </section>
        })}
        {(!started).then(|| view! { <p class="hint">"You can record the outcome once the visit has started."</p> })}
    }
}
