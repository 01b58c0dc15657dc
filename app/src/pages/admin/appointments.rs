//! `/admin/appointments`: search visits by days, doctor, patient and status (paged);
//! `/admin/appointments/:id`: one visit — patient and contact, history, the messages
//! sent — moved or cancelled on the patient's behalf (a reason when a rule is passed).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::bounded::BoundedDate;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::appointments::{visit_record, VisitFile};
use crate::api::directory::use_clinic_profile;
use crate::api::staff::appointments::{
    appointment_messages, search_appointments, staff_open_times, AppointmentPage, MessageRow,
    StaffCancel, StaffReschedule,
};
use crate::api::staff::doctors::{list_doctors, DoctorRow};
use crate::components::time::{full, iso, zone};
use crate::pages::admin::{error_view, query_text, status_label, StaffFrame};
use crate::pages::doctor::event_line;
use crate::AppError;
use domain::booking::AppointmentStatus;
use domain::links::encode_next;

const STATUSES: [(&str, &str); 5] = [
    ("", "Any"),
    ("booked", "Booked"),
    ("completed", "Completed"),
    ("no_show", "No-show"),
    ("cancelled", "Cancelled"),
];

#[component]
pub fn StaffAppointmentsPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let query = use_query_map();
    let asked = move || {
        let date = |k: &str| query_text(query, k).and_then(|d| d.parse::<BoundedDate>().ok());
        (
            date("from"),
            date("to"),
            query_text(query, "doctor_id").and_then(|d| d.parse::<i64>().ok()),
            query_text(query, "patient"),
            query_text(query, "status"),
            query_text(query, "page").and_then(|p| p.parse::<u32>().ok()),
        )
    };
    let results = Resource::new(asked, |(from, to, doctor, patient, status, page)| {
        search_appointments(from, to, doctor, patient, status, page)
    });
    let doctors = Resource::new(|| (), |_| list_doctors());
    let directory = use_clinic_profile();
    view! {
        <StaffFrame title="Appointments">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let tz = zone(&directory.await.map(|d| d.time_zone).unwrap_or_default());
                    let doctors = doctors.await.unwrap_or_default();
                    let (from, to, doctor, patient, status, page) = asked();
                    view! {
                        <SearchForm from=from.map(BoundedDate::get) to=to.map(BoundedDate::get) doctor=doctor patient=patient.clone() status=status.clone() doctors=doctors/>
                        {match results.await {
                            Ok(found) => view! { <Results found=found tz=tz/> }.into_any(),
                            Err(e) => error_view(e),
                        }}
                        <Pager page=page.unwrap_or(0)/>
                    }.into_any()
                })}
            </Suspense>
        </StaffFrame>
    }
}

#[component]
fn SearchForm(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    doctor: Option<i64>,
    patient: Option<String>,
    status: Option<String>,
    doctors: Vec<DoctorRow>,
) -> impl IntoView {
    let status = status.unwrap_or_default();
    view! {
        <form method="get" action="/admin/appointments" class="search-form" role="search" aria-label="Appointments">
            <div class="field"><label for="search-from">"From"</label><input id="search-from" type="date" name="from" value=from.map(|d| d.to_string())/></div>
            <div class="field"><label for="search-to">"Until"</label><input id="search-to" type="date" name="to" value=to.map(|d| d.to_string())/></div>
            <div class="field">
                <label for="search-doctor">"Doctor"</label>
                <select id="search-doctor" name="doctor_id">
                    <option value="">"Any doctor"</option>
                    {doctors.into_iter().map(|d| view! {
                        <option value=d.doctor_id.to_string() selected=doctor == Some(d.doctor_id)>{domain::directory::doctor_display_name(&d.first_name, &d.last_name)}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field"><label for="search-patient">"Patient name or email"</label><input id="search-patient" type="search" name="patient" value=patient maxlength="100"/></div>
            <div class="field">
                <label for="search-status">"Status"</label>
                <select id="search-status" name="status">
                    {STATUSES.iter().map(|(value, label)| view! {
                        <option value=*value selected=status == *value>{*label}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit">"Search"</button>
        </form>
        <p class="hint">"Without dates: today and the next six days."</p>
    }
}

#[component]
fn Results(found: AppointmentPage, tz: Tz) -> impl IntoView {
    if found.rows.is_empty() {
        return view! { <p class="empty" role="status">"No appointments match."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table>
                <thead><tr><th scope="col">"When"</th><th scope="col">"Patient"</th><th scope="col">"Doctor"</th><th scope="col">"Visit"</th><th scope="col">"Status"</th></tr></thead>
                <tbody>
                    {found.rows.into_iter().map(|a| view! {
                        <tr>
                            <td><A href=format!("/admin/appointments/{}", a.view.appointment_id)>{full(tz, a.view.start)}</A></td>
                            <td><A href=format!("/admin/patients/{}", a.patient_id)>{a.view.patient_name.clone().unwrap_or_default()}</A></td>
                            <td>{a.view.doctor_name.clone()}</td>
                            <td>{a.view.type_name.clone()}</td>
                            <td>{status_label(a.view.status)}{a.view.clinic_note.clone().map(|n| format!(" · {n}"))}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {found.more.then(|| view! { <p class="hint">"More on the next page."</p> })}
    }
    .into_any()
}

/// Previous and next page links that keep the rest of the query.
#[component]
fn Pager(page: u32) -> impl IntoView {
    let query = use_query_map();
    let href = move |page: u32| {
        let q = query.read();
        let mut parts: Vec<String> = q
            .clone()
            .into_iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| format!("{k}={}", encode_next(&v)))
            .collect();
        parts.push(format!("page={page}"));
        format!("?{}", parts.join("&"))
    };
    view! {
        <nav class="pager" aria-label="Pages">
            {(page > 0).then(|| view! { <a href=href(page - 1)>"← Previous page"</a> })}
            <span>{format!("Page {}", page + 1)}</span>
            <a href=href(page + 1)>"Next page →"</a>
        </nav>
    }
}

#[component]
pub fn StaffAppointmentPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok());
    let reschedule = ServerAction::<StaffReschedule>::new();
    let cancel = ServerAction::<StaffCancel>::new();
    let file = Resource::new(
        move || (id(), reschedule.version().get(), cancel.version().get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => visit_record(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let messages = Resource::new(
        move || (id(), reschedule.version().get(), cancel.version().get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => appointment_messages(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    // Open times for moving it: the day asked for, for the visit's own type.
    let move_day =
        move || query_text(query, "move_date").and_then(|d| d.parse::<BoundedDate>().ok());
    let open = Resource::new(
        move || {
            (
                move_day(),
                query_text(query, "type").and_then(|t| t.parse::<i64>().ok()),
            )
        },
        |(day, kind)| async move {
            match (day, kind) {
                (Some(day), Some(kind)) => Some(staff_open_times(day, kind).await),
                _ => None,
            }
        },
    );
    let directory = use_clinic_profile();
    view! {
        <StaffFrame title="Appointment">
            <Suspense fallback=|| view! { <p>"Loading the visit…"</p> }>
                {move || Suspend::new(async move {
                    let tz = zone(&directory.await.map(|d| d.time_zone).unwrap_or_default());
                    let messages = messages.await.unwrap_or_default();
                    let open = open.await;
                    match file.await {
                        Ok(f) => view! {
                            <Visit f=f tz=tz messages=messages open=open move_day=move_day().map(BoundedDate::get) reschedule=reschedule cancel=cancel/>
                        }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
        </StaffFrame>
    }
}

#[component]
fn Visit(
    f: VisitFile,
    tz: Tz,
    messages: Vec<MessageRow>,
    open: Option<Result<Vec<DateTime<Utc>>, AppError>>,
    move_day: Option<NaiveDate>,
    reschedule: ServerAction<StaffReschedule>,
    cancel: ServerAction<StaffCancel>,
) -> impl IntoView {
    let v = f.visit;
    let id = v.appointment_id;
    let changeable = v.status == AppointmentStatus::Booked && v.start > Utc::now();
    let type_id = v.appointment_type_id;
    view! {
        <h2>{format!("{} — {}", v.patient_name.clone().unwrap_or_default(), full(tz, v.start))}</h2>
        <dl class="details">
            <dt>"Patient"</dt><dd><A href=format!("/admin/patients/{}", f.patient_id)>{v.patient_name.clone().unwrap_or_default()}</A></dd>
            <dt>"Email"</dt><dd>{f.patient_email.clone().unwrap_or_else(|| "Not given".to_owned())}</dd>
            <dt>"Phone"</dt><dd>{f.patient_phone.clone().unwrap_or_else(|| "Not given".to_owned())}</dd>
            <dt>"When"</dt><dd>{full(tz, v.start)}</dd>
            <dt>"Doctor"</dt><dd>{v.doctor_name.clone()}</dd>
            <dt>"Visit"</dt><dd>{v.type_name.clone()}</dd>
            {v.booked_by_carer.clone().map(|c| view! { <dt>"Booked by"</dt><dd class="booked-by">{format!("{c} (who looks after the patient)")}</dd> })}
            <dt>"Status"</dt><dd>{status_label(v.status)}</dd>
            <dt>"Reason (from the patient)"</dt><dd>{v.reason.clone().unwrap_or_else(|| "None given.".to_owned())}</dd>
            {f.answers.clone().into_iter().map(|(q, a)| view! { <dt>{q}</dt><dd>{crate::wire::appointments::answer_label(&a)}</dd> }).collect_view()}
        </dl>
        <section aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <ol class="history">{f.history.iter().map(|e| view! { <li>{event_line(e, tz)}</li> }).collect_view()}</ol>
        </section>
        <section aria-labelledby="messages-heading">
            <h2 id="messages-heading">"Messages to the patient"</h2>
            {if messages.is_empty() {
                view! { <p class="empty">"None (a patient without an email address gets no messages)."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll"><table>
                        <thead><tr><th scope="col">"Message"</th><th scope="col">"By"</th><th scope="col">"State"</th><th scope="col">"Attempts"</th><th scope="col">"Queued"</th></tr></thead>
                        <tbody>{messages.into_iter().map(|m| view! {
                            <tr><td>{m.kind.replace('_', " ")}</td><td>{m.channel}</td><td>{m.status}</td><td>{m.attempts}</td><td>{full(tz, m.created_at)}</td></tr>
                        }).collect_view()}</tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
        {changeable.then(|| view! {
            <section aria-labelledby="move-heading">
                <h2 id="move-heading">"Move it"</h2>
                <form method="get" action=format!("/admin/appointments/{id}") class="inline-fields">
                    <input type="hidden" name="type" value=type_id.to_string()/>
                    <div class="field"><label for="move-date">"Day"</label><input id="move-date" type="date" name="move_date" value=move_day.map(|d| d.to_string()) required/></div>
                    <button type="submit">"Show open times"</button>
                </form>
                {match open {
                    Some(Ok(times)) if times.is_empty() => view! { <p class="empty" role="status">"No open times that day."</p> }.into_any(),
                    Some(Ok(times)) => view! {
                        <ActionForm action=reschedule>
                            <input type="hidden" name="appointment_id" value=id.to_string()/>
                            <TimeChoice times=times tz=tz/>
                            <OverrideReason/>
                            <button type="submit">"Move the visit"</button>
                        </ActionForm>
                    }.into_any(),
                    Some(Err(e)) => error_view(e),
                    None => ().into_any(),
                }}
                <ActionResult result=Signal::derive(move || reschedule.value().get().map(|r| r.map(|_| "Moved. The patient is told.".to_owned())))/>
            </section>
            <section aria-labelledby="cancel-heading">
                <h2 id="cancel-heading">"Cancel it"</h2>
                <ActionForm action=cancel>
                    <input type="hidden" name="appointment_id" value=id.to_string()/>
                    <OverrideReason/>
                    <button type="submit" class="danger">"Cancel the visit"</button>
                </ActionForm>
                <ActionResult result=Signal::derive(move || cancel.value().get().map(|r| r.map(|_| "Cancelled. The patient is told.".to_owned())))/>
            </section>
        })}
    }
}

/// Open start times as radio buttons named `start`.
#[component]
pub(crate) fn TimeChoice(times: Vec<DateTime<Utc>>, tz: Tz) -> impl IntoView {
    view! {
        <fieldset class="time-choice">
            <legend>"Time"</legend>
            {times.into_iter().enumerate().map(|(i, t)| {
                let id = format!("time-{i}");
                view! {
                    <span class="choice">
                        <input type="radio" id=id.clone() name="start" value=iso(t) required=true/>
                        <label for=id>{crate::components::time::clock(tz, t)}</label>
                    </span>
                }
            }).collect_view()}
        </fieldset>
    }
}

/// The reason staff give when they pass a patient rule (notice, freeze, limits).
#[component]
pub(crate) fn OverrideReason() -> impl IntoView {
    view! {
        <div class="field">
            <label for="override-reason">"Reason, if this passes a patient rule"</label>
            <p class="hint" id="override-reason-hint">"Needed inside the notice or change-freeze time, or past the change or appointment limits. Kept in the visit's history and the audit log."</p>
            <input id="override-reason" type="text" name="override_reason" maxlength="500" aria-describedby="override-reason-hint"/>
        </div>
    }
}

/// What an action did, or why it could not.
#[component]
pub(crate) fn ActionResult(result: Signal<Option<Result<String, AppError>>>) -> impl IntoView {
    view! {
        <p class="form-status" role="status">
            {move || result.get().map(|r| match r {
                Ok(done) => view! { <span>{done}</span> }.into_any(),
                Err(e) => view! { <span class="error">{e.message()}</span> }.into_any(),
            })}
        </p>
    }
}
