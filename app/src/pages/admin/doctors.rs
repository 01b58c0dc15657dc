//! `/admin/doctors`: every doctor; `/admin/doctors/:id`: their details, weekly hours and
//! leave (the doctors' own forms, staff-side, with the same previews), and deactivation
//! with a preview of what happens to their visits.

use domain::bounded::BoundedDate;

use domain::hours::{weekday_name, WEEKDAYS, WEEKDAY_FIELDS};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::doctor::{BlockOutcome, HoursForm, HoursOutcome};
use crate::api::staff::doctors::{
    doctor_hours_for, list_doctors, preview_deactivation, preview_doctor_hours,
    preview_doctor_leave, DoctorLeave, DoctorRow, SaveDoctorHours, SetDoctorActive, UpdateDoctor,
};
use crate::components::form::{field_message, Field};
use crate::components::time::day;
use crate::pages::admin::appointments::ActionResult;
use crate::pages::admin::{error_view, query_text, StaffFrame};
use crate::pages::doctor::hours::{summary, Week};
use crate::AppError;

#[component]
pub fn StaffDoctorsPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let doctors = Resource::new(|| (), |_| list_doctors());
    view! {
        <StaffFrame title="Doctors">
            <p><A href="/admin/accounts">"New doctor accounts are made under Accounts."</A></p>
            <Suspense fallback=|| view! { <p>"Loading doctors…"</p> }>
                {move || Suspend::new(async move {
                    match doctors.await {
                        Ok(rows) => view! {
                            <div class="table-scroll"><table>
                                <thead><tr><th scope="col">"Doctor"</th><th scope="col">"Specialty"</th><th scope="col">"Email"</th><th scope="col">"State"</th><th scope="col">"Upcoming visits"</th></tr></thead>
                                <tbody>{rows.into_iter().map(|d| view! {
                                    <tr>
                                        <td><A href=format!("/admin/doctors/{}", d.doctor_id)>{domain::directory::doctor_display_name(&d.first_name, &d.last_name)}</A></td>
                                        <td>{d.specialty.clone()}</td>
                                        <td>{d.email.clone()}</td>
                                        <td>{if d.active { "Active" } else { "Deactivated" }}</td>
                                        <td>{d.upcoming}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div>
                        }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
        </StaffFrame>
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct HoursAsked {
    from: BoundedDate,
    lines: [String; 7],
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct LeaveAsked {
    from_date: BoundedDate,
    to_date: Option<BoundedDate>,
    from_time: Option<String>,
    to_time: Option<String>,
    note: Option<String>,
}

#[component]
pub fn StaffDoctorPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok());
    let update = ServerAction::<UpdateDoctor>::new();
    let save_hours = ServerAction::<SaveDoctorHours>::new();
    let leave = ServerAction::<DoctorLeave>::new();
    let set_active = ServerAction::<SetDoctorActive>::new();
    let doctor = Resource::new(
        move || (id(), update.version().get(), set_active.version().get()),
        |(id, _, _)| async move {
            let rows = list_doctors().await?;
            rows.into_iter()
                .find(|d| Some(d.doctor_id) == id)
                .ok_or(AppError::NotFound)
        },
    );
    let hours = Resource::new(
        move || (id(), save_hours.version().get()),
        |(id, _)| async move { doctor_hours_for(id.ok_or(AppError::NotFound)?).await },
    );
    let hours_asked = move || {
        query_text(query, "hours_preview")?;
        Some(HoursAsked {
            from: query_text(query, "from")?.parse().ok()?,
            lines: WEEKDAY_FIELDS.map(|f| query.read().get(f).unwrap_or_default()),
        })
    };
    let hours_preview = Resource::new(
        move || (id(), hours_asked()),
        |(id, asked)| async move {
            let (id, a) = (id?, asked?);
            Some(preview_doctor_hours(id, HoursForm::from_lines(a.from, a.lines)).await)
        },
    );
    let leave_asked = move || {
        query_text(query, "leave_preview")?;
        Some(LeaveAsked {
            from_date: query_text(query, "from_date")?.parse().ok()?,
            to_date: query_text(query, "to_date").and_then(|d| d.parse().ok()),
            from_time: query_text(query, "from_time"),
            to_time: query_text(query, "to_time"),
            note: query_text(query, "note"),
        })
    };
    let leave_preview = Resource::new(
        move || (id(), leave_asked()),
        |(id, asked)| async move {
            let (id, a) = (id?, asked?);
            Some(
                preview_doctor_leave(id, a.from_date, a.to_date, a.from_time, a.to_time, a.note)
                    .await,
            )
        },
    );
    let deactivation = Resource::new(
        move || (id(), query_text(query, "deactivate").is_some()),
        |(id, asked)| async move {
            match (id, asked) {
                (Some(id), true) => Some(preview_deactivation(id).await),
                _ => None,
            }
        },
    );
    view! {
        <StaffFrame title="Doctor">
            <Suspense fallback=|| view! { <p>"Loading the doctor…"</p> }>
                {move || Suspend::new(async move {
                    let hours = hours.await;
                    let hours_preview = hours_preview.await;
                    let leave_preview = leave_preview.await;
                    let deactivation = deactivation.await;
                    match doctor.await {
                        Ok(d) => view! {
                            <Details d=d.clone() update=update/>
                            <HoursSection doctor_id=d.doctor_id hours=hours asked=hours_asked() preview=hours_preview save=save_hours/>
                            <LeaveSection doctor_id=d.doctor_id asked=leave_asked() preview=leave_preview leave=leave/>
                            <ActiveSection d=d preview=deactivation set_active=set_active/>
                        }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
        </StaffFrame>
    }
}

#[component]
fn Details(d: DoctorRow, update: ServerAction<UpdateDoctor>) -> impl IntoView {
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    let for_field = move |f: &'static str| Signal::derive(move || field_message(error.get(), f));
    view! {
        <h2>{domain::directory::doctor_display_name(&d.first_name, &d.last_name)}</h2>
        <p>{format!("{} · {} · {}", d.specialty, d.email, if d.active { "active" } else { "deactivated" })}</p>
        <section aria-labelledby="details-heading">
            <h3 id="details-heading">"Name and specialty"</h3>
            <ActionForm action=update attr:class="inline-fields">
                <input type="hidden" name="doctor_id" value=d.doctor_id.to_string()/>
                <Field name="first_name" label="First name" required=true initial=d.first_name.clone() error=for_field("first_name")/>
                <Field name="last_name" label="Last name" required=true initial=d.last_name.clone() error=for_field("last_name")/>
                <Field name="specialty" label="Specialty" required=true initial=d.specialty.clone() error=for_field("specialty")/>
                <Field name="languages" label="Languages spoken" hint="Separated by commas, e.g. English, Spanish" initial=d.languages.join(", ") error=for_field("languages")/>
                <div class="field">
                    <label for="field-introduction">"Introduction (shown to patients choosing a doctor)"</label>
                    <textarea id="field-introduction" name="introduction" rows="3" maxlength="600">{d.introduction.clone().unwrap_or_default()}</textarea>
                    {move || for_field("introduction").get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <button type="submit">"Save"</button>
            </ActionForm>
            <p class="form-status" role="status">{move || matches!(update.value().get(), Some(Ok(()))).then_some("Saved.")}</p>
        </section>
    }
}

#[component]
fn HoursSection(
    doctor_id: i64,
    hours: Result<crate::api::doctor::HoursView, AppError>,
    asked: Option<HoursAsked>,
    preview: Option<Result<HoursOutcome, AppError>>,
    save: ServerAction<SaveDoctorHours>,
) -> impl IntoView {
    let h = match hours {
        Ok(h) => h,
        Err(e) => return error_view(e),
    };
    let error = preview.as_ref().and_then(|p| p.clone().err());
    let for_field = move |f: &'static str| {
        let error = error.clone();
        Signal::derive(move || field_message(error.clone(), f))
    };
    let (from, lines) = match &asked {
        Some(a) => (a.from, a.lines.clone()),
        None => (BoundedDate::clamped(h.today), h.lines.clone()),
    };
    let ok = preview.and_then(Result::ok);
    let kept = lines.clone();
    view! {
        <section aria-labelledby="hours-heading">
            <h3 id="hours-heading">"Weekly hours"</h3>
            <Week lines=h.lines.clone()/>
            {h.planned.into_iter().map(|p| view! { <h4>{format!("From {}", day(p.from))}</h4><Week lines=p.lines/> }).collect_view()}
            <form method="get" action=format!("/admin/doctors/{doctor_id}") class="hours-form">
                <input type="hidden" name="hours_preview" value="1"/>
                <Field name="from" label="New hours start on" kind="date" required=true initial=from.to_string() error=for_field("from")/>
                {WEEKDAY_FIELDS.iter().zip(WEEKDAYS).zip(lines).map(|((f, d), line)| view! {
                    <Field name=*f label=weekday_name(d) initial=line error=for_field(f)/>
                }).collect_view()}
                <button type="submit">"Preview the hours"</button>
            </form>
            {move || match (save.value().get(), ok.clone()) {
                (Some(Ok(saved)), _) => view! {
                    <div class="preview" role="status"><p><strong>"Saved."</strong></p><ul>{summary(&saved, true).into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul></div>
                }.into_any(),
                (saved, Some(o)) => {
                    let kept = kept.clone();
                    view! {
                    <div class="preview" role="status">
                        <p><strong>{format!("From {}:", day(o.from))}</strong></p>
                        <ul>{summary(&o, false).into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                        <ActionForm action=save>
                            <input type="hidden" name="doctor_id" value=doctor_id.to_string()/>
                            <input type="hidden" name="from" value=o.from.to_string()/>
                            {WEEKDAY_FIELDS.iter().zip(kept).map(|(f, l)| view! { <input type="hidden" name=*f value=l/> }).collect_view()}
                            <button type="submit">"Save these hours"</button>
                        </ActionForm>
                        {saved.and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.message()}</p> })}
                    </div>
                    }.into_any()
                }
                _ => ().into_any(),
            }}
        </section>
    }
    .into_any()
}

fn block_words(o: &BlockOutcome, done: bool) -> String {
    format!(
        "{} {} booked visit(s) to a free colleague and {} {} to the staff queue.",
        if done { "Moved" } else { "This moves" },
        o.moved,
        if done { "sent" } else { "sends" },
        o.queued
    )
}

#[component]
fn LeaveSection(
    doctor_id: i64,
    asked: Option<LeaveAsked>,
    preview: Option<Result<BlockOutcome, AppError>>,
    leave: ServerAction<DoctorLeave>,
) -> impl IntoView {
    view! {
        <section aria-labelledby="leave-heading">
            <h3 id="leave-heading">"Leave and blocked time"</h3>
            <p class="hint">"Leave the times empty for whole days."</p>
            <form method="get" action=format!("/admin/doctors/{doctor_id}") class="block-form">
                <input type="hidden" name="leave_preview" value="1"/>
                <div class="field"><label for="leave-from-date">"First day"</label><input id="leave-from-date" type="date" name="from_date" required/></div>
                <div class="field"><label for="leave-to-date">"Last day (optional)"</label><input id="leave-to-date" type="date" name="to_date"/></div>
                <div class="field"><label for="leave-from-time">"From (optional)"</label><input id="leave-from-time" type="time" name="from_time"/></div>
                <div class="field"><label for="leave-to-time">"Until (optional)"</label><input id="leave-to-time" type="time" name="to_time"/></div>
                <div class="field"><label for="leave-note">"Note (optional)"</label><input id="leave-note" type="text" name="note" maxlength="200"/></div>
                <button type="submit">"Preview the leave"</button>
            </form>
            {match (preview, asked) {
                (Some(Ok(o)), Some(a)) => view! {
                    <div class="preview" role="status">
                        <p>{block_words(&o, false)}</p>
                        <ActionForm action=leave>
                            <input type="hidden" name="doctor_id" value=doctor_id.to_string()/>
                            <input type="hidden" name="from_date" value=a.from_date.to_string()/>
                            <input type="hidden" name="to_date" value=a.to_date.map(|d| d.to_string()).unwrap_or_default()/>
                            <input type="hidden" name="from_time" value=a.from_time.unwrap_or_default()/>
                            <input type="hidden" name="to_time" value=a.to_time.unwrap_or_default()/>
                            <input type="hidden" name="note" value=a.note.unwrap_or_default()/>
                            <button type="submit">"Confirm the leave"</button>
                        </ActionForm>
                    </div>
                }.into_any(),
                (Some(Err(e)), _) => error_view(e),
                _ => ().into_any(),
            }}
            <ActionResult result=Signal::derive(move || leave.value().get().map(|r| r.map(|o| block_words(&o, true))))/>
        </section>
    }
}

#[component]
fn ActiveSection(
    d: DoctorRow,
    preview: Option<Result<crate::api::staff::clinic::ClosingOutcome, AppError>>,
    set_active: ServerAction<SetDoctorActive>,
) -> impl IntoView {
    let doctor_id = d.doctor_id;
    view! {
        <section aria-labelledby="active-heading">
            <h3 id="active-heading">{if d.active { "Deactivate" } else { "Reactivate" }}</h3>
            {if d.active {
                view! {
                    <p class="hint">"A deactivated doctor is no longer offered or assigned and is signed out; each upcoming visit moves to a free colleague at the same time or goes to the staff queue."</p>
                    <form method="get" action=format!("/admin/doctors/{doctor_id}")>
                        <input type="hidden" name="deactivate" value="1"/>
                        <button type="submit" class="secondary">"Preview deactivation"</button>
                    </form>
                    {match preview {
                        Some(Ok(o)) => view! {
                            <div class="preview" role="status">
                                <p>{format!("Deactivating moves {} upcoming visit(s) to a free colleague and sends {} to the staff queue.", o.moved, o.queued)}</p>
                                <ActionForm action=set_active>
                                    <input type="hidden" name="doctor_id" value=doctor_id.to_string()/>
                                    <input type="hidden" name="active" value="false"/>
                                    <button type="submit" class="danger">"Deactivate the doctor"</button>
                                </ActionForm>
                            </div>
                        }.into_any(),
                        Some(Err(e)) => error_view(e),
                        None => ().into_any(),
                    }}
                }.into_any()
            } else {
                view! {
                    <ActionForm action=set_active>
                        <input type="hidden" name="doctor_id" value=doctor_id.to_string()/>
                        <input type="hidden" name="active" value="true"/>
                        <button type="submit">"Reactivate the doctor"</button>
                    </ActionForm>
                }.into_any()
            }}
            <ActionResult result=Signal::derive(move || set_active.value().get().map(|r| r.map(|o| format!("Done. {} visit(s) moved, {} sent to the staff queue.", o.moved, o.queued))))/>
        </section>
    }
}
