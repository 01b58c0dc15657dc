//! `/admin/visit-types`: the clinic's visit types — length, buffer, online or staff-only,
//! who offers each, the note shown before booking and the intake questions — with a
//! preview of what a change touches; retiring and restoring (`?edit=<id>` opens one).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::staff::visit_types::{
    staff_visit_types, SaveVisitType, SetVisitTypeActive, VisitTypeOutcome, VisitTypesView,
};
use crate::components::form::field_message;
use crate::pages::admin::{error_view, query_text, StaffFrame};
use domain::visit_type::{QuestionKind, VisitType, MAX_QUESTIONS, MAX_TOTAL_SLOTS};

#[component]
pub fn StaffVisitTypesPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let query = use_query_map();
    let save = ServerAction::<SaveVisitType>::new();
    let set_active = ServerAction::<SetVisitTypeActive>::new();
    let list = Resource::new(
        move || (save.version().get(), set_active.version().get()),
        |_| staff_visit_types(),
    );
    let edit = move || query_text(query, "edit").and_then(|v| v.parse::<i64>().ok());
    view! {
        <StaffFrame title="Visit types">
            <p class="hint">"Patients choose a visit type before they see times; each type's times come only from the doctors who offer it. A buffer after a visit is the doctor's time too, so nothing is booked into it. Retiring a type stops new bookings; booked visits keep it."</p>
            <Suspense fallback=|| view! { <p>"Loading visit types…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(v) => view! { <VisitTypes v=v edit=edit() save=save set_active=set_active/> }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
        </StaffFrame>
    }
}

#[component]
fn VisitTypes(
    v: VisitTypesView,
    edit: Option<i64>,
    save: ServerAction<SaveVisitType>,
    set_active: ServerAction<SetVisitTypeActive>,
) -> impl IntoView {
    let names = v.doctors.clone();
    let doctors_of = move |t: &VisitType| match &t.doctors {
        None => "Every doctor".to_owned(),
        Some(ids) => ids
            .iter()
            .filter_map(|id| names.iter().find(|d| d.0 == *id).map(|d| d.1.clone()))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let rows = v
        .types
        .clone()
        .into_iter()
        .map(|t| {
            let id = t.id;
            let active = t.active;
            let doctors = doctors_of(&t);
            let minutes = |slots: i32| i64::from(slots) * v.slot_minutes;
            view! {
                <tr>
                    <td><A href=format!("/admin/visit-types?edit={id}")>{t.name.clone()}</A></td>
                    <td>{format!("{} min", minutes(t.slot_count))}</td>
                    <td>{if t.buffer_slots > 0 { format!("{} min", minutes(t.buffer_slots)) } else { "None".to_owned() }}</td>
                    <td>{if t.online { "Online" } else { "Staff only" }}</td>
                    <td>{doctors}</td>
                    <td>{t.questions.len()}</td>
                    <td>
                        {if active { "Offered" } else { "Retired" }}
                        <ActionForm action=set_active attr:class="inline-form">
                            <input type="hidden" name="appointment_type_id" value=id/>
                            <input type="hidden" name="active" value=(!active).to_string()/>
                            <button type="submit" class="link-button">{if active { "Retire" } else { "Restore" }}</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let editing = edit.and_then(|id| v.types.iter().find(|t| t.id == id).cloned());
    let set_active_error = move || {
        set_active
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.message())
    };
    view! {
        <div class="table-scroll"><table>
            <thead><tr>
                <th scope="col">"Visit type"</th><th scope="col">"Length"</th><th scope="col">"Buffer after"</th>
                <th scope="col">"Booked"</th><th scope="col">"Doctors"</th><th scope="col">"Questions"</th><th scope="col">"State"</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table></div>
        <p class="form-error" role="alert">{set_active_error}</p>
        <p><A href="/admin/visit-types">"New visit type"</A></p>
        <TypeForm t=editing slot_minutes=v.slot_minutes doctors=v.doctors save=save/>
    }
}

#[component]
fn TypeForm(
    t: Option<VisitType>,
    slot_minutes: i64,
    doctors: Vec<(i64, String, String)>,
    save: ServerAction<SaveVisitType>,
) -> impl IntoView {
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let for_field = move |f: &'static str| move || field_message(error.get(), f);
    let heading = match &t {
        Some(t) => format!("Change “{}”", t.name),
        None => "New visit type".to_owned(),
    };
    let id = t.as_ref().map(|t| t.id);
    let name = t.as_ref().map(|t| t.name.clone()).unwrap_or_default();
    let slots = t.as_ref().map_or(1, |t| t.slot_count);
    let buffer = t
        .as_ref()
        .map_or(0, |t| i64::from(t.buffer_slots) * slot_minutes);
    let online = t.as_ref().is_none_or(|t| t.online);
    let chosen = t.as_ref().and_then(|t| t.doctors.clone());
    let all = chosen.is_none();
    let note = t.as_ref().and_then(|t| t.note.clone()).unwrap_or_default();
    let questions = t.as_ref().map(|t| t.questions.clone()).unwrap_or_default();
    let lengths = (1..=MAX_TOTAL_SLOTS)
        .map(|n| {
            view! { <option value=n selected=n == slots>{format!("{} min", i64::from(n) * slot_minutes)}</option> }
        })
        .collect_view();
    let doctor_boxes = doctors
        .into_iter()
        .enumerate()
        .map(|(i, (doctor_id, name, specialty))| {
            let checked = chosen.as_ref().is_some_and(|c| c.contains(&doctor_id));
            view! {
                <li><label>
                    <input type="checkbox" name=format!("doctors[{i}]") value=doctor_id checked=checked/>
                    {format!(" {name} ({specialty})")}
                </label></li>
            }
        })
        .collect_view();
    let question_rows = (0..MAX_QUESTIONS)
        .map(|i| {
            let q = questions.get(i);
            let prompt = q.map(|q| q.prompt.clone()).unwrap_or_default();
            let yes_no = q.is_some_and(|q| q.kind == QuestionKind::YesNo);
            let required = q.is_some_and(|q| q.required);
            let n = i + 1;
            view! {
                <li class="inline-fields">
                    <label>{format!("Question {n} ")}
                        <input type="text" name=format!("questions[{i}][prompt]") value=prompt maxlength="200"/>
                    </label>
                    <label>" Answered as "
                        <select name=format!("questions[{i}][kind]")>
                            <option value="text" selected=!yes_no>"text"</option>
                            <option value="yes_no" selected=yes_no>"yes / no"</option>
                        </select>
                    </label>
                    <label><input type="checkbox" name=format!("questions[{i}][required]") value="on" checked=required/>" Required"</label>
                </li>
            }
        })
        .collect_view();
    let outcome = move || {
        save.value().get().and_then(Result::ok).map(|o: VisitTypeOutcome| {
        let title = if o.saved { "Saved." } else { "If you save:" };
        view! {
            <div class="notice" role="status">
                <p><strong>{title}</strong></p>
                <ul>{o.changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                {(!o.effects.is_empty()).then(|| view! {
                    <ul>{o.effects.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                })}
            </div>
        }
    })
    };
    view! {
        <section aria-labelledby="type-form-heading">
            <h2 id="type-form-heading">{heading}</h2>
            <ActionForm action=save>
                {id.map(|id| view! { <input type="hidden" name="appointment_type_id" value=id/> })}
                <div class="field">
                    <label for="field-name">"Name"</label>
                    <input id="field-name" type="text" name="name" required maxlength="60" value=name/>
                    <p class="field-error" role="alert">{for_field("name")}</p>
                </div>
                <div class="field">
                    <label for="field-slot_count">"Length"</label>
                    <select id="field-slot_count" name="slot_count">{lengths}</select>
                    <p class="field-error" role="alert">{for_field("slot_count")}</p>
                </div>
                <div class="field">
                    <label for="field-buffer_minutes">"Buffer after the visit (minutes, rounded up to whole slots)"</label>
                    <input id="field-buffer_minutes" type="number" min="0" name="buffer_minutes" value=buffer/>
                    <p class="field-error" role="alert">{for_field("buffer")}{for_field("buffer_minutes")}</p>
                </div>
                <div class="field">
                    <label><input type="checkbox" name="online" value="on" checked=online/>" Patients may book it online (otherwise only staff book it)"</label>
                </div>
                <fieldset class="field">
                    <legend>"Doctors who offer it"</legend>
                    <label><input type="checkbox" name="all_doctors" value="on" checked=all/>" Every doctor"</label>
                    <p class="hint">"Or only these:"</p>
                    <ul class="checkbox-list">{doctor_boxes}</ul>
                    <p class="field-error" role="alert">{for_field("doctors")}</p>
                </fieldset>
                <div class="field">
                    <label for="field-note">"Note shown before booking (optional)"</label>
                    <textarea id="field-note" name="note" rows="2" maxlength="300">{note}</textarea>
                    <p class="field-error" role="alert">{for_field("note")}</p>
                </div>
                <fieldset class="field">
                    <legend>"Intake questions (optional; answers go to the doctor and staff, never into messages)"</legend>
                    <ol class="question-list">{question_rows}</ol>
                    <p class="field-error" role="alert">{for_field("questions")}</p>
                </fieldset>
                <p class="form-error" role="alert">
                    {move || error.get().filter(|e| !matches!(e, crate::AppError::Validation { .. })).map(|e| e.message())}
                </p>
                <div class="actions">
                    <button type="submit" name="intent" value="preview" class="secondary">"Check what this changes"</button>
                    <button type="submit" name="intent" value="save">"Save"</button>
                </div>
            </ActionForm>
            {outcome}
        </section>
    }
}
