//! `/admin/waitlist`: who waits for what and since when, with their offers; the last 30
//! days' record; adding a caller (`?patient=<id>` fills it in from a patient's page);
//! and the waitlist's settings.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::staff::waitlist::{
    staff_waitlist, StaffJoinWaitlist, StaffLeaveWaitlist, StaffWaitlistRow, StaffWaitlistView,
    UpdateWaitlistSettings, WaitlistSettingsForm,
};
use crate::components::form::{field_message, Field};
use crate::pages::admin::today::days_gained;
use crate::pages::admin::{error_view, query_text, ratio, StaffFrame};
use crate::AppError;

#[component]
pub fn StaffWaitlistPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let query = use_query_map();
    let add = ServerAction::<StaffJoinWaitlist>::new();
    let remove = ServerAction::<StaffLeaveWaitlist>::new();
    let save = ServerAction::<UpdateWaitlistSettings>::new();
    let list = Resource::new(
        move || {
            (
                add.version().get(),
                remove.version().get(),
                save.version().get(),
            )
        },
        |_| staff_waitlist(),
    );
    let patient = move || query_text(query, "patient");
    view! {
        <StaffFrame title="Waitlist">
            <p class="hint">"A time that opens is offered by email (and text) to the patients waiting for it, longest waiting first, a few at a time; the first to take it gets it. Patients without an online account are yours to call."</p>
            <Suspense fallback=|| view! { <p>"Loading the waitlist…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(view) => view! { <Waitlist view=view patient=patient() add=add remove=remove save=save/> }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
        </StaffFrame>
    }
}

#[component]
fn Waitlist(
    view: StaffWaitlistView,
    patient: Option<String>,
    add: ServerAction<StaffJoinWaitlist>,
    remove: ServerAction<StaffLeaveWaitlist>,
    save: ServerAction<UpdateWaitlistSettings>,
) -> impl IntoView {
    let f = &view.figures;
    let add_error = Signal::derive(move || add.value().get().and_then(Result::err));
    view! {
        <ul class="figures">
            <li><strong>{f.waiting}</strong>" waiting"</li>
            <li><strong>{ratio(f.refilled, f.freed_offered)}</strong>" freed times re-filled from the waitlist in 30 days"</li>
            <li><strong>{days_gained(f.median_days_gained)}</strong>" median days sooner"</li>
            <li><strong>{format!("{} sent, {} taken, {} expired", f.offers_sent, f.offers_taken, f.offers_expired)}</strong>" offers in 30 days"</li>
        </ul>
        <h2>"Waiting"</h2>
        {if view.rows.is_empty() {
            view! { <p class="empty">"Nobody is waiting."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll">
                    <table class="accounts waitlist">
                        <thead><tr>
                            <th scope="col">"Patient"</th>
                            <th scope="col">"Waiting for"</th>
                            <th scope="col">"Limits"</th>
                            <th scope="col">"Since"</th>
                            <th scope="col">"Offers (taken by others, expired)"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr></thead>
                        <tbody>{view.rows.into_iter().map(|r| view! { <Row r=r remove=remove/> }).collect_view()}</tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <p class="form-error" role="alert">{move || remove.value().get().and_then(Result::err).map(|e| e.message())}</p>
        <h2>"Add a caller"</h2>
        <p class="hint">"The patient's number is on their page (Patients). Leave the visit empty to wait for any time of the type."</p>
        <ActionForm action=add attr:class="inline-fields">
            <Field name="patient_id" label="Patient number" kind="number" required=true initial=patient.unwrap_or_default()
                error=Signal::derive(move || field_message(add_error.get(), "patient_id"))/>
            <div class="field">
                <label for="waitlist-type">"Visit type"</label>
                <select id="waitlist-type" name="appointment_type_id">
                    {view.types.into_iter().map(|(id, name)| view! { <option value=id>{name}</option> }).collect_view()}
                </select>
            </div>
            <Field name="appointment_id" label="Their visit to bring earlier (number, optional)" kind="number"
                error=Signal::derive(move || field_message(add_error.get(), "appointment_id"))/>
            <div class="field">
                <label for="waitlist-part">"Time of day"</label>
                <select id="waitlist-part" name="part_of_day">
                    <option value="any">"Any time"</option>
                    <option value="morning">"Mornings"</option>
                    <option value="afternoon">"Afternoons"</option>
                    <option value="evening">"Evenings"</option>
                </select>
            </div>
            <button type="submit" disabled=move || add.pending().get()>"Add to the waitlist"</button>
        </ActionForm>
        <p class="form-error" role="alert">
            {move || add_error.get().map(|e| match e {
                AppError::Validation { field, message } if field != "patient_id" && field != "appointment_id" => message,
                other => other.message(),
            }).filter(|m| !m.is_empty())}
        </p>
        <Settings s=view.settings save=save/>
    }
}

#[component]
fn Row(r: StaffWaitlistRow, remove: ServerAction<StaffLeaveWaitlist>) -> impl IntoView {
    let kind = r.type_name.clone();
    let waiting_for = match (r.visit.clone(), r.appointment_id) {
        (Some(visit), Some(id)) => view! {
            {format!("{kind}: earlier than ")}
            <A href=format!("/admin/appointments/{id}")>{visit}</A>
        }
        .into_any(),
        _ => view! { {format!("{kind}: any time")} }.into_any(),
    };
    let name = r.patient_name.clone();
    let label = format!("Take off the waitlist: {}", r.patient_name);
    view! {
        <tr data-waitlist-entry-id=r.waitlist_entry_id>
            <td>
                <A href=format!("/admin/patients/{}", r.patient_id)>{name}</A>
                {(!r.has_account).then(|| view! { <br/><small>"No online account: call"</small> })}
            </td>
            <td>{waiting_for}</td>
            <td>{r.limits.clone()}</td>
            <td>{r.since.clone()}</td>
            <td>{format!("{} ({}, {})", r.offers_sent, r.offers_taken_by_other, r.offers_expired)}</td>
            <td>
                <ActionForm action=remove>
                    <input type="hidden" name="waitlist_entry_id" value=r.waitlist_entry_id/>
                    <button type="submit" class="link-button" aria-label=label>"Take off"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

const SETTINGS: [(&str, &str, &str); 4] = [
    (
        "wave_size",
        "Patients per wave",
        "How many waiting patients are offered a time at once (1–50).",
    ),
    (
        "wave_minutes",
        "Minutes between waves",
        "If the time is still free then, the next patients are offered it (1–1440).",
    ),
    (
        "offer_minutes",
        "Minutes an offer lasts",
        "Never past the booking notice before the time (5–2880).",
    ),
    (
        "daily_cap",
        "Offers per patient per day",
        "At most this many offers reach one patient in a day (1–20).",
    ),
];

#[component]
fn Settings(s: WaitlistSettingsForm, save: ServerAction<UpdateWaitlistSettings>) -> impl IntoView {
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let for_field = move |f: &'static str| Signal::derive(move || field_message(error.get(), f));
    let values = [s.wave_size, s.wave_minutes, s.offer_minutes, s.daily_cap];
    view! {
        <h2>"Settings"</h2>
        <ActionForm action=save attr:class="settings-form">
            {SETTINGS.iter().zip(values).map(|((name, label, hint), value)| view! {
                <Field name=*name label=*label kind="number" required=true hint=*hint initial=value error=for_field(name)/>
            }).collect_view()}
            <Field name="quiet_start" label="No texts from (clinic time)" kind="time" required=true initial=s.quiet_start
                hint="Offers still go by email; equal times: no quiet hours." error=for_field("quiet_start")/>
            <Field name="quiet_end" label="No texts until (clinic time)" kind="time" required=true initial=s.quiet_end error=for_field("quiet_end")/>
            <p class="form-error" role="alert">{move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| e.message())}</p>
            <button type="submit" disabled=move || save.pending().get()>"Save the waitlist settings"</button>
        </ActionForm>
        <div role="status" class="form-status">
            {move || save.value().get().and_then(Result::ok).map(|changes| view! {
                <p><strong>"Saved."</strong></p>
                <ul>{changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
            })}
        </div>
    }
}
