//! `/book`: open start times seven days at a time, opening on the first day with openings
//! and naming the next available time at the top. Public: anyone can browse; choosing a
//! time asks an anonymous visitor to sign in and brings them back to it.

use chrono::{DateTime, NaiveDate, Utc};
use domain::bounded::BoundedInstant;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use domain::role::Role;

use crate::api::auth::Auth;
use crate::api::booking::{finder_week, HoldTime};
use crate::components::time::device_zone;

mod doctors;
mod week;

pub use doctors::BookDoctorsPage;

use week::Week;

#[component]
pub fn BookPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name);
    let type_id = move || param("type").and_then(|v| v.parse::<i64>().ok());
    let doctor = move || param("doctor").and_then(|v| v.parse::<i64>().ok());
    let week = move || param("week").and_then(|v| v.parse::<NaiveDate>().ok());
    // Memos: picking another day changes only the query's `day`, and must not rebuild the
    // week (that would drop the keyboard focus on the day just picked).
    let reschedule = Memo::new(move |_| param("reschedule").and_then(|v| v.parse::<i64>().ok()));
    let pick = Memo::new(move |_| {
        param("pick")
            .and_then(|v| v.parse::<BoundedInstant>().ok())
            .map(BoundedInstant::get)
    });
    let chosen_day = Signal::derive(move || param("day").and_then(|v| v.parse::<NaiveDate>().ok()));
    // Whom the visit is for: someone the patient looks after (the server checks the link).
    let for_patient = Memo::new(move |_| param("for").and_then(|v| v.parse::<i64>().ok()));
    // The visit type and first day of the days shown, once loaded. A link that spells out
    // the same span (the day strip's, from `/book` with no query) asks for nothing new.
    let shown = StoredValue::new(None::<(i64, NaiveDate, Option<i64>)>);
    type Key = (Option<i64>, Option<NaiveDate>, Option<i64>);
    let key = Memo::new(move |before: Option<&Key>| {
        let asked = (type_id(), week(), doctor());
        match (before, shown.get_value()) {
            (Some(before), Some((t, w, d))) if asked == (Some(t), Some(w), d) => *before,
            _ => asked,
        }
    });
    let week_view = Resource::new(
        move || (key.get(), reschedule.get().is_some()),
        |((t, w, d), moving)| finder_week(t, w, d, moving.then_some(true)),
    );
    let hold = ServerAction::<HoldTime>::new();
    let device = device_zone();

    view! {
        <Title text="Find a time"/>
        <h1>{move || if reschedule.get().is_some() { "Choose a new time" } else { "Find a time" }}</h1>
        <Suspense fallback=|| view! { <p>"Loading open times…"</p> }>
            {move || Suspend::new(async move {
                match week_view.await {
                    Err(e) => view! {
                        <div class="error" role="alert">
                            <p>{e.message()}</p>
                            <p><A href="/book">"Show this week's open times"</A></p>
                        </div>
                    }.into_any(),
                    Ok(w) => {
                        shown.set_value(Some((
                            w.appointment_type.appointment_type_id,
                            w.week_start,
                            w.doctor.as_ref().map(|d| d.doctor_id),
                        )));
                        let type_id = w.appointment_type.appointment_type_id;
                        view! {
                            {reschedule.get().is_none().then(|| view! { <WhoFor w=w.clone() for_patient=for_patient.get()/> })}
                            <Week w=w hold=hold reschedule=reschedule.get() pick=pick.get() device=device chosen_day=chosen_day for_patient=for_patient.get()/>
                            {reschedule.get().is_none().then(|| view! { <PatientWaitlist type_id=type_id for_patient=for_patient.get()/> })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// "Who is this visit for?": for a signed-in patient who looks after someone, a choice of
/// themselves or one of those people (a GET form, so it works before the script loads).
#[component]
fn WhoFor(w: crate::api::booking::WeekView, for_patient: Option<i64>) -> impl IntoView {
    let auth = Auth::get();
    let people = Resource::new(
        move || signed_in_patient(&auth),
        |patient| async move {
            if patient {
                crate::api::family::booking_for().await.unwrap_or_default()
            } else {
                Vec::new()
            }
        },
    );
    let type_id = w.appointment_type.appointment_type_id;
    let week = w.week_start;
    let doctor = w.doctor.as_ref().map(|d| d.doctor_id);
    view! {
        <Transition fallback=|| ()>
            {move || people.get().filter(|p| p.len() > 1).map(|people| {
                let chosen = for_patient
                    .filter(|id| people.iter().any(|p| p.patient_id == *id))
                    .or_else(|| people.iter().find(|p| p.is_self).map(|p| p.patient_id));
                let name = people
                    .iter()
                    .find(|p| Some(p.patient_id) == chosen)
                    .map(|p| if p.is_self { "you".to_owned() } else { p.first_name.clone() })
                    .unwrap_or_default();
                view! {
                    <form method="get" action="/book" class="who-for">
                        <input type="hidden" name="type" value=type_id/>
                        <input type="hidden" name="week" value=week.to_string()/>
                        {doctor.map(|d| view! { <input type="hidden" name="doctor" value=d/> })}
                        <label for="who-for">"Who is this visit for?"</label>
                        <select id="who-for" name="for">
                            {people.into_iter().map(|p| {
                                let label = if p.is_self { format!("{} (you)", p.first_name) } else { p.first_name.clone() };
                                view! { <option value=p.patient_id selected=Some(p.patient_id) == chosen>{label}</option> }
                            }).collect_view()}
                        </select>
                        <button type="submit">"Show times"</button>
                        <p class="hint">{format!("Times you choose now are booked for {name}.")}</p>
                    </form>
                }
            })}
        </Transition>
    }
}

/// Whether a patient is signed in (tracked: read inside a reactive scope).
fn signed_in_patient(auth: &Auth) -> bool {
    auth.user
        .get()
        .and_then(Result::ok)
        .flatten()
        .is_some_and(|u| u.role == Role::Patient)
}

/// For a signed-in patient: wait for any time of this type when nothing shown suits.
#[component]
fn PatientWaitlist(type_id: i64, for_patient: Option<i64>) -> impl IntoView {
    let auth = Auth::get();
    view! {
        <Transition fallback=|| ()>
            {move || {
                signed_in_patient(&auth).then(|| view! {
                    <super::waitlist::JoinWaitlistForType appointment_type_id=Signal::derive(move || type_id) for_patient=for_patient/>
                })
            }}
        </Transition>
    }
}

fn href(
    type_id: i64,
    week: NaiveDate,
    reschedule: Option<i64>,
    doctor: Option<i64>,
    for_patient: Option<i64>,
) -> String {
    let mut url = format!("/book?type={type_id}&week={week}");
    if let Some(id) = reschedule {
        url.push_str(&format!("&reschedule={id}"));
    }
    if let Some(id) = doctor {
        url.push_str(&format!("&doctor={id}"));
    }
    if let Some(id) = for_patient.filter(|_| reschedule.is_none()) {
        url.push_str(&format!("&for={id}"));
    }
    url
}

/// Back from signing up or in with a time chosen (`pick`), a patient goes straight on to
/// reserving it — once, in the browser. Without the script the "Reserve this time" button
/// does the same.
#[component]
fn AutoHold(
    pick: Option<DateTime<Utc>>,
    reschedule: Option<i64>,
    hold: ServerAction<HoldTime>,
    type_id: i64,
    doctor: Option<i64>,
    for_patient: Option<i64>,
) -> impl IntoView {
    let auth = Auth::get();
    let done = StoredValue::new(false);
    Effect::new(move |_| {
        if let (Some(start), None, true, false) =
            (pick, reschedule, signed_in_patient(&auth), done.get_value())
        {
            done.set_value(true);
            hold.dispatch(HoldTime {
                start,
                appointment_type_id: type_id,
                doctor,
                for_patient,
            });
        }
    });
}
