//! `/doctor/visits/:id`: one of the doctor's visits — patient and how to reach them, type,
//! their private reason, the history of changes — and, once it has started, its outcome.
//! Opening it is an audited read (rule 8); another doctor's visit is "not found".

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::api::appointments::{visit_record, VisitEvent, VisitFile};
use crate::api::directory::use_clinic_profile;
use crate::api::doctor::SetVisitOutcome;
use crate::components::auth::RequireRole;
use crate::components::time::{full, zone};
use crate::AppError;
use domain::booking::AppointmentStatus;
use domain::role::Role;

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
                Some(id) => visit_record(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let directory = use_clinic_profile();
    view! {
        <RequireRole roles=vec![Role::Doctor] title="Visit">
            <p><A href="/doctor">"← Your calendar"</A></p>
            <Suspense fallback=|| view! { <p>"Loading the visit…"</p> }>
                {move || Suspend::new(async move {
                    let tz = zone(&directory.await.map(|d| d.time_zone).unwrap_or_default());
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
fn Visit(v: VisitFile, tz: chrono_tz::Tz, outcome: ServerAction<SetVisitOutcome>) -> impl IntoView {
    let VisitFile {
        visit: v,
        patient_email,
        patient_phone,
        history,
        answers,
        ..
    } = v;
    let started = v.start <= chrono::Utc::now();
    let markable = started && v.status != AppointmentStatus::Cancelled;
    let id = v.appointment_id;
    view! {
        <h1>{v.patient_name.clone().unwrap_or_else(|| "Visit".to_owned())}</h1>
        <dl class="details">
            <dt>"When"</dt><dd>{full(tz, v.start)}</dd>
            <dt>"Visit"</dt><dd>{v.type_name.clone()}</dd>
            {v.booked_by_carer.clone().map(|c| view! { <dt>"Booked by"</dt><dd class="booked-by">{format!("{c} (who looks after the patient)")}</dd> })}
            <dt>"Status"</dt><dd>{match v.status {
                AppointmentStatus::Booked => "Booked",
                AppointmentStatus::Cancelled => "Cancelled",
                AppointmentStatus::Completed => "Completed",
                AppointmentStatus::NoShow => "No-show",
            }}</dd>
            <dt>"Reason (from the patient)"</dt><dd>{v.reason.clone().unwrap_or_else(|| "None given.".to_owned())}</dd>
            {answers.into_iter().map(|(q, a)| view! { <dt>{q}</dt><dd>{crate::wire::appointments::answer_label(&a)}</dd> }).collect_view()}
            <dt>"Email"</dt><dd>{match patient_email {
                Some(email) => view! { <a href=format!("mailto:{email}")>{email.clone()}</a> }.into_any(),
                None => view! { "Not given" }.into_any(),
            }}</dd>
            <dt>"Phone"</dt><dd>{match patient_phone {
                Some(phone) => view! { <a href=format!("tel:{}", phone.replace(' ', ""))>{phone.clone()}</a> }.into_any(),
                None => view! { "Not given" }.into_any(),
            }}</dd>
        </dl>
        <section aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <ol class="history">
                {history.into_iter().map(|e| view! { <li>{event_line(&e, tz)}</li> }).collect_view()}
            </ol>
        </section>
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

/// One history entry in words: when, what, by whom.
pub(crate) fn event_line(e: &VisitEvent, tz: chrono_tz::Tz) -> String {
    let by = match e.by.as_str() {
        "patient" => "by the patient",
        "doctor" => "by the doctor",
        "admin" => "by the clinic staff",
        _ => "automatically",
    };
    let what = match e.kind.as_str() {
        "booked" => "Booked".to_owned(),
        "rescheduled" => match (e.old_start, e.new_start) {
            (Some(old), Some(new)) => format!("Moved from {} to {}", full(tz, old), full(tz, new)),
            _ => "Moved".to_owned(),
        },
        "reassigned" => match (&e.old_doctor, &e.new_doctor) {
            (Some(old), Some(new)) => format!("Handed from {old} to {new}"),
            _ => "Handed to another doctor".to_owned(),
        },
        "cancelled" => "Cancelled".to_owned(),
        "completed" => "Marked completed".to_owned(),
        "no_show" => "Marked no-show".to_owned(),
        other => other.replace('_', " "),
    };
    format!("{} — {what} {by}", full(tz, e.at))
}
