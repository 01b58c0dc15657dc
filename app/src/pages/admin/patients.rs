//! `/admin/patients`: find a patient by name, email or phone, or record one who called;
//! `/admin/patients/:id`: contact, online access (invite), appointments, and booking a
//! visit on their behalf.

use domain::bounded::BoundedDate;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::api::accounts::SetAccountDisabled;
use crate::api::directory::use_clinic_profile;
use crate::api::staff::appointments::{staff_open_times, StaffBook};
use crate::api::staff::patients::{
    find_patients, open_patient, InvitePatient, OnlineAccess, PatientFile, RecordPatient,
};
use crate::api::staff::visit_types::staff_bookable_types;
use crate::components::form::{field_message, Field};
use crate::components::time::{full, zone};
use crate::pages::admin::appointments::{ActionResult, OverrideReason, TimeChoice};
use crate::pages::admin::{error_view, query_text, status_label, StaffFrame};
use crate::AppError;

#[component]
pub fn StaffPatientsPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let query = use_query_map();
    let asked = move || {
        (
            query_text(query, "q"),
            query_text(query, "page").and_then(|p| p.parse::<u32>().ok()),
        )
    };
    let found = Resource::new(asked, |(q, page)| async move {
        match q {
            Some(q) => Some(find_patients(q, page).await),
            None => None,
        }
    });
    let record = ServerAction::<RecordPatient>::new();
    let navigate = use_navigate();
    // A recorded patient's page opens at once.
    Effect::new(move |_| {
        if let Some(Ok(id)) = record.value().get() {
            navigate(&format!("/admin/patients/{id}"), Default::default());
        }
    });
    let error = Signal::derive(move || record.value().get().and_then(Result::err));
    let for_field = move |f: &'static str| Signal::derive(move || field_message(error.get(), f));
    view! {
        <StaffFrame title="Patients">
            <form method="get" action="/admin/patients" class="search-form" role="search" aria-label="Patients">
                <div class="field">
                    <label for="patient-q">"Name, email or phone"</label>
                    <input id="patient-q" type="search" name="q" value=move || query_text(query, "q") minlength="2" maxlength="100" required/>
                </div>
                <button type="submit">"Find"</button>
            </form>
            <Suspense fallback=|| view! { <p>"Searching…"</p> }>
                {move || Suspend::new(async move {
                    match found.await {
                        None => ().into_any(),
                        Some(Err(e)) => error_view(e),
                        Some(Ok(page)) if page.rows.is_empty() => view! { <p class="empty" role="status">"No patient matches."</p> }.into_any(),
                        Some(Ok(page)) => view! {
                            <div class="table-scroll"><table>
                                <thead><tr><th scope="col">"Patient"</th><th scope="col">"Email"</th><th scope="col">"Phone"</th><th scope="col">"Online"</th><th scope="col">"Upcoming"</th></tr></thead>
                                <tbody>{page.rows.into_iter().map(|p| view! {
                                    <tr>
                                        <td><A href=format!("/admin/patients/{}", p.patient_id)>{p.name.clone()}</A></td>
                                        <td>{p.email.clone().unwrap_or_else(|| "—".to_owned())}</td>
                                        <td>{p.phone.clone().unwrap_or_else(|| "—".to_owned())}</td>
                                        <td>{p.access.describe()}</td>
                                        <td>{p.upcoming}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div>
                            {page.more.then(|| view! {
                                <p><a href=format!("/admin/patients?q={}&page={}", domain::links::encode_next(&query_text(query, "q").unwrap_or_default()), page.page + 1)>"More results →"</a></p>
                            })}
                        }.into_any(),
                    }
                })}
            </Suspense>
            <section aria-labelledby="record-heading">
                <h2 id="record-heading">"Record a patient who called"</h2>
                <p class="hint">"A name, and a phone number or an email address. No online account is needed; with an address you can invite them to choose a password (the link works once, for 7 days)."</p>
                <ActionForm action=record attr:class="record-form">
                    <Field name="first_name" label="First name" required=true error=for_field("first_name")/>
                    <Field name="last_name" label="Last name" required=true error=for_field("last_name")/>
                    <Field name="phone" label="Phone" kind="tel" autocomplete="off" error=for_field("phone")/>
                    <Field name="email" label="Email (optional)" kind="email" autocomplete="off" error=for_field("email")/>
                    <div class="field checkbox">
                        <input id="record-invite" type="checkbox" name="invite" value="on"/>
                        <label for="record-invite">"Email them an invitation to book and manage visits online"</label>
                    </div>
                    <p class="form-error" role="alert">{move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| e.message())}</p>
                    <button type="submit" disabled=move || record.pending().get()>"Record the patient"</button>
                </ActionForm>
            </section>
        </StaffFrame>
    }
}

#[component]
pub fn StaffPatientPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok());
    let book = ServerAction::<StaffBook>::new();
    let invite = ServerAction::<InvitePatient>::new();
    let access = ServerAction::<SetAccountDisabled>::new();
    let file = Resource::new(
        move || {
            (
                id(),
                book.version().get(),
                invite.version().get(),
                access.version().get(),
            )
        },
        |(id, _, _, _)| async move {
            match id {
                Some(id) => open_patient(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let book_day =
        move || query_text(query, "book_date").and_then(|d| d.parse::<BoundedDate>().ok());
    let book_type = move || query_text(query, "type").and_then(|t| t.parse::<i64>().ok());
    let open = Resource::new(
        move || (book_day(), book_type()),
        |(day, kind)| async move {
            match (day, kind) {
                (Some(day), Some(kind)) => Some(staff_open_times(day, kind).await),
                _ => None,
            }
        },
    );
    let types = Resource::new(|| (), |_| staff_bookable_types());
    let directory = use_clinic_profile();
    view! {
        <StaffFrame title="Patient">
            <Suspense fallback=|| view! { <p>"Loading the patient…"</p> }>
                {move || Suspend::new(async move {
                    let tz = zone(&directory.await.map(|d| d.time_zone).unwrap_or_default());
                    let types = types.await.unwrap_or_default();
                    let open = open.await;
                    match file.await {
                        Ok(f) => view! {
                            <Patient f=f tz=tz invite=invite access=access/>
                            <section aria-labelledby="book-heading">
                                <h2 id="book-heading">"Book a visit"</h2>
                                <form method="get" action=format!("/admin/patients/{}", id().unwrap_or_default()) class="inline-fields">
                                    <div class="field">
                                        <label for="book-type">"Visit type"</label>
                                        <select id="book-type" name="type">
                                            {types.iter().map(|t| view! {
                                                <option value=t.appointment_type_id.to_string() selected=book_type() == Some(t.appointment_type_id)>{format!("{} ({} min)", t.name, t.minutes)}</option>
                                            }).collect_view()}
                                        </select>
                                    </div>
                                    <div class="field"><label for="book-date">"Day"</label><input id="book-date" type="date" name="book_date" value=book_day().map(|d| d.to_string()) required/></div>
                                    <button type="submit">"Show open times"</button>
                                </form>
                                {match open {
                                    Some(Ok(times)) if times.is_empty() => view! { <p class="empty" role="status">"No open times that day."</p> }.into_any(),
                                    Some(Ok(times)) => view! {
                                        <ActionForm action=book>
                                            <input type="hidden" name="patient_id" value=id().unwrap_or_default().to_string()/>
                                            <input type="hidden" name="appointment_type_id" value=book_type().unwrap_or(1).to_string()/>
                                            <TimeChoice times=times tz=tz/>
                                            <div class="field">
                                                <label for="book-reason">"Reason for the visit (optional, private)"</label>
                                                <input id="book-reason" type="text" name="reason" maxlength="1000"/>
                                            </div>
                                            <OverrideReason/>
                                            <button type="submit">"Book the visit"</button>
                                        </ActionForm>
                                    }.into_any(),
                                    Some(Err(e)) => error_view(e),
                                    None => ().into_any(),
                                }}
                                <ActionResult result=Signal::derive(move || book.value().get().map(|r| r.map(|id| format!("Booked (appointment #{id})."))))/>
                                <p>
                                    "Nothing suits? "
                                    <A href=format!("/admin/waitlist?patient={}", id().unwrap_or_default())>"Add them to the waitlist"</A>
                                    " (number "{id().unwrap_or_default()}")."
                                </p>
                            </section>
                        }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
            // Outside the patient's Suspense: booking refetches the file, and the family
            // section keeps its own state and actions.
            {move || id().map(|id| view! { <super::family::StaffFamily patient_id=id/> })}
        </StaffFrame>
    }
}

#[component]
fn Patient(
    f: PatientFile,
    tz: chrono_tz::Tz,
    invite: ServerAction<InvitePatient>,
    access: ServerAction<SetAccountDisabled>,
) -> impl IntoView {
    let p = f.patient;
    let disabled = p.access == OnlineAccess::Disabled;
    let account = f.user_id.filter(|_| p.email.is_some());
    let invitable = p.access == OnlineAccess::NotYetSignedUp;
    let patient_id = p.patient_id;
    view! {
        <h2>{p.name.clone()}</h2>
        <dl class="details">
            <dt>"Phone"</dt><dd>{p.phone.clone().unwrap_or_else(|| "Not given".to_owned())}</dd>
            <dt>"Email"</dt><dd>{p.email.clone().unwrap_or_else(|| "Not given".to_owned())}</dd>
            <dt>"Text messages"</dt><dd>{if f.sms_opt_in { "Yes" } else { "No" }}</dd>
            <dt>"Online"</dt><dd>{p.access.describe()}</dd>
        </dl>
        {invitable.then(|| view! {
            <ActionForm action=invite>
                <input type="hidden" name="patient_id" value=patient_id.to_string()/>
                <button type="submit" class="secondary">"Email an invitation to choose a password"</button>
            </ActionForm>
            <ActionResult result=Signal::derive(move || invite.value().get().map(|r| r.map(|_| "Invitation sent.".to_owned())))/>
        })}
        {account.map(|user_id| view! {
            <ActionForm action=access>
                <input type="hidden" name="user_id" value=user_id.to_string()/>
                <input type="hidden" name="disabled" value=(!disabled).to_string()/>
                <button type="submit" class="secondary">{if disabled { "Enable online access" } else { "Disable online access" }}</button>
            </ActionForm>
            <ActionResult result=Signal::derive(move || access.value().get().map(|r| r.map(|a| if a.disabled { "Online access disabled; their sessions ended.".to_owned() } else { "Online access enabled.".to_owned() })))/>
        })}
        <section aria-labelledby="visits-heading">
            <h2 id="visits-heading">"Appointments"</h2>
            {if f.appointments.is_empty() {
                view! { <p class="empty">"None yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="visit-list">{f.appointments.into_iter().map(|a| view! {
                        <li>
                            <A href=format!("/admin/appointments/{}", a.appointment_id)>{full(tz, a.start)}</A>
                            {format!(" — {} with {} · {}", a.type_name, a.doctor_name, status_label(a.status))}
                        </li>
                    }).collect_view()}</ul>
                }.into_any()
            }}
        </section>
    }
}
