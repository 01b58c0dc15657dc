//! The patient's side of the waitlist: "Tell me if an earlier time opens" on a visit's
//! page, "Join the waitlist" in the finder, and their places on "My appointments", each
//! with a way off the list. Plain forms: they work before the script loads.

use leptos::prelude::*;

use crate::api::waitlist::{my_waitlist, JoinWaitlist, LeaveWaitlist, WaitlistEntry};

const DAYS: [(&str, &str); 7] = [
    ("monday", "Mon"),
    ("tuesday", "Tue"),
    ("wednesday", "Wed"),
    ("thursday", "Thu"),
    ("friday", "Fri"),
    ("saturday", "Sat"),
    ("sunday", "Sun"),
];

/// The limits a patient may give, inside a join form.
#[component]
fn LimitFields() -> impl IntoView {
    view! {
        <fieldset class="weekdays">
            <legend>"Which days suit you? (none ticked: any day)"</legend>
            {DAYS.iter().map(|(name, label)| view! {
                <label class="inline"><input type="checkbox" name=*name value="on"/>{*label}</label>
            }).collect_view()}
        </fieldset>
        <label>
            "Time of day"
            <select name="part_of_day">
                <option value="any">"Any time"</option>
                <option value="morning">"Mornings (before noon)"</option>
                <option value="afternoon">"Afternoons (noon to 5 pm)"</option>
                <option value="evening">"Evenings (from 5 pm)"</option>
            </select>
        </label>
        <label>
            "Not before (optional)"
            <input type="date" name="not_before"/>
        </label>
    }
}

fn error_text(e: crate::AppError) -> String {
    match e {
        crate::AppError::Validation { message, .. } => message,
        other => other.to_string(),
    }
}

/// On a booked visit's page: join the waitlist for an earlier time, or see that one is
/// on it (and leave).
#[component]
pub fn EarlierTime(appointment_id: i64) -> impl IntoView {
    let join = ServerAction::<JoinWaitlist>::new();
    let leave = ServerAction::<LeaveWaitlist>::new();
    let places = Resource::new(
        move || (join.version().get(), leave.version().get()),
        |_| my_waitlist(),
    );
    let error = move || {
        join.value()
            .get()
            .and_then(Result::err)
            .or_else(|| leave.value().get().and_then(Result::err))
            .map(error_text)
    };
    view! {
        <section class="earlier-time" aria-labelledby="earlier-heading">
            <h2 id="earlier-heading">"An earlier time?"</h2>
            <Transition fallback=|| ()>
                {move || places.get().map(|result| {
                    let place = result
                        .ok()
                        .and_then(|all| all.into_iter().find(|e| e.appointment_id == Some(appointment_id)));
                    match place {
                        Some(entry) => view! {
                            <p class="banner" role="status">
                                {format!("You are on the waitlist for an earlier time ({}). We will email you when one opens.", entry.limits)}
                            </p>
                            <ActionForm action=leave>
                                <input type="hidden" name="waitlist_entry_id" value=entry.waitlist_entry_id/>
                                <button type="submit" class="secondary" disabled=move || leave.pending().get()>"Leave the waitlist"</button>
                            </ActionForm>
                        }
                        .into_any(),
                        None => view! {
                            <details class="join-waitlist">
                                <summary>"Tell me if an earlier time opens"</summary>
                                <ActionForm action=join>
                                    <input type="hidden" name="appointment_id" value=appointment_id/>
                                    <LimitFields/>
                                    <button type="submit" disabled=move || join.pending().get()>"Put me on the waitlist"</button>
                                </ActionForm>
                            </details>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
            <p class="form-error" role="alert">{error}</p>
        </section>
    }
}

/// In the finder, when nothing suits: wait for any time of this visit type.
#[component]
pub fn JoinWaitlistForType(
    appointment_type_id: Signal<i64>,
    /// Whom the place is for (someone the patient looks after; none: the patient).
    #[prop(default = None)]
    for_patient: Option<i64>,
) -> impl IntoView {
    let join = ServerAction::<JoinWaitlist>::new();
    view! {
        <details class="join-waitlist">
            <summary>"Nothing suits? Join the waitlist"</summary>
            <p>"We will email you as soon as a time that suits you opens — the first to answer gets it."</p>
            <ActionForm action=join>
                <input type="hidden" name="appointment_type_id" value=move || appointment_type_id.get()/>
                {for_patient.map(|p| view! { <input type="hidden" name="for_patient" value=p/> })}
                <LimitFields/>
                <button type="submit" disabled=move || join.pending().get()>"Join the waitlist"</button>
            </ActionForm>
            {move || match join.value().get() {
                Some(Ok(_)) => Some(view! {
                    <p class="banner" role="status">"You are on the waitlist. We will email you when a time opens."</p>
                }.into_any()),
                Some(Err(e)) => Some(view! { <p class="form-error" role="alert">{error_text(e)}</p> }.into_any()),
                None => None,
            }}
        </details>
    }
}

/// On "My appointments": the patient's places on the waitlist.
#[component]
pub fn WaitlistPlaces(
    places: Vec<WaitlistEntry>,
    leave: ServerAction<LeaveWaitlist>,
) -> impl IntoView {
    if places.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="waitlist-places" aria-labelledby="waitlist-heading">
            <h2 id="waitlist-heading">"On the waitlist"</h2>
            <ul>
                {places.into_iter().map(|e| view! {
                    <li data-waitlist-entry-id=e.waitlist_entry_id>
                        <p>
                            {e.for_name.clone().map(|n| view! { <strong class="for-whom">{format!("For {n}: ")}</strong> })}
                            {match e.appointment_id {
                                Some(id) => view! {
                                    "An earlier time for "
                                    <a href=format!("/appointments/{id}")>{format!("{} {} visit", if e.for_name.is_some() { "the" } else { "your" }, e.type_name)}</a>
                                }.into_any(),
                                None => view! { {format!("Any time for a {} visit", e.type_name)} }.into_any(),
                            }}
                            {format!(" — {}; since {}.", e.limits, e.since)}
                        </p>
                        <ActionForm action=leave>
                            <input type="hidden" name="waitlist_entry_id" value=e.waitlist_entry_id/>
                            <button type="submit" class="secondary" disabled=move || leave.pending().get()>"Leave the waitlist"</button>
                        </ActionForm>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}
