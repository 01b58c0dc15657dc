//! `/book`: open start times seven days at a time, opening on the first day with openings
//! and naming the next available time at the top. Public: anyone can browse; choosing a
//! time asks an anonymous visitor to sign in and brings them back to it.

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::HoldButton;
use crate::api::auth::{Auth, Role};
use crate::api::booking::{finder_week, HoldTime, WeekView};
use crate::components::auth::encode_next;
use crate::components::time::{clock, day, device_zone, full, iso, other_zone, zone};
use crate::AppError;

#[component]
pub fn BookPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.read().get(name);
    let type_id = move || param("type").and_then(|v| v.parse::<i64>().ok());
    let week = move || param("week").and_then(|v| v.parse::<NaiveDate>().ok());
    let reschedule = move || param("reschedule").and_then(|v| v.parse::<i64>().ok());
    let pick = move || param("pick").and_then(|v| v.parse::<DateTime<Utc>>().ok());
    let week_view = Resource::new(move || (type_id(), week()), |(t, w)| finder_week(t, w));
    let hold = ServerAction::<HoldTime>::new();
    let device = device_zone();

    view! {
        <Title text="Find a time"/>
        <h1>{move || if reschedule().is_some() { "Choose a new time" } else { "Find a time" }}</h1>
        <Suspense fallback=|| view! { <p>"Loading open times…"</p> }>
            {move || Suspend::new(async move {
                match week_view.await {
                    Err(e) => view! {
                        <div class="error" role="alert">
                            <p>{e.message()}</p>
                            <p><A href="/book">"Show this week's open times"</A></p>
                        </div>
                    }.into_any(),
                    Ok(w) => view! { <Week w=w hold=hold reschedule=reschedule() pick=pick() device=device/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn href(type_id: i64, week: NaiveDate, reschedule: Option<i64>) -> String {
    let mut url = format!("/book?type={type_id}&week={week}");
    if let Some(id) = reschedule {
        url.push_str(&format!("&reschedule={id}"));
    }
    url
}

#[component]
fn Week(
    w: WeekView,
    hold: ServerAction<HoldTime>,
    reschedule: Option<i64>,
    pick: Option<DateTime<Utc>>,
    device: Signal<Option<String>>,
) -> impl IntoView {
    let auth = Auth::get();
    let tz = zone(&w.time_zone);
    let theirs = other_zone(device, &w.time_zone);
    let type_id = w.appointment_type.appointment_type_id;
    let week_start = w.week_start;
    let hold_error = move || hold.value().get().and_then(Result::err);

    let type_links = w
        .types
        .iter()
        .map(|t| {
            let current = t.appointment_type_id == type_id;
            view! {
                <li>
                    <a href=href(t.appointment_type_id, week_start, reschedule) class=if current { "chosen" } else { "" } aria-current=current.then_some("true")>
                        {format!("{} ({} min)", t.name, t.minutes)}
                    </a>
                </li>
            }
        })
        .collect_view();

    let time_zone = w.time_zone.clone();
    let week_label = format!("From {}", day(week_start));
    let nav = view! {
        <nav class="week-nav" aria-label="Days">
            {w.prev_week.map(|p| view! { <a href=href(type_id, p, reschedule)>"← Earlier days"</a> })}
            <span class="week-label">{week_label}</span>
            {w.next_week.map(|n| view! { <a href=href(type_id, n, reschedule)>"Later days →"</a> })}
        </nav>
    };
    let jump = w.first_open_week.map(|f| {
        view! {
            <p class="notice">
                "No open times on these days. "
                <a href=href(type_id, f, reschedule)>{format!("Go to the first open times ({})", day(f))}</a>
            </p>
        }
    });
    let next_available = w.next_available;

    // Someone not signed in who picks a time is most often new: straight to the sign-up
    // form (which links to signing in), and back to this time afterwards.
    let return_path = move |start: DateTime<Utc>| {
        format!(
            "/signup?next={}",
            encode_next(&format!(
                "{}&pick={}",
                href(type_id, week_start, None),
                iso(start)
            ))
        )
    };
    let role = move || {
        auth.user
            .get()
            .and_then(Result::ok)
            .flatten()
            .map(|u| u.role)
    };
    let days = w
        .days
        .into_iter()
        .map(|d| {
            let heading_id = format!("day-{}", d.date);
            let labelled_by = heading_id.clone();
            let times = d.times;
            let empty = times.is_empty();
            view! {
                <section class="day" aria-labelledby=labelled_by>
                    <h2 id=heading_id>{day(d.date)}</h2>
                    {if empty {
                        view! { <p class="empty">"No open times."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="times">
                                {times.into_iter().map(|start| {
                                    let label = format!("{} on {}", clock(tz, start), day(d.date));
                                    let local = move || theirs.get().map(|z| format!("{} your time", clock(z, start)));
                                    view! {
                                        <li>
                                            {move || match (reschedule, role()) {
                                                (Some(id), _) => view! {
                                                    <A href=format!("/book/move?appointment={id}&start={}", iso(start)) attr:class="time" attr:aria-label=label.clone()>
                                                        {clock(tz, start)}
                                                    </A>
                                                }.into_any(),
                                                (None, Some(Role::Patient)) => view! {
                                                    <HoldButton action=hold start=start appointment_type_id=type_id tz=tz label=label.clone()/>
                                                }.into_any(),
                                                (None, _) => view! {
                                                    <A href=return_path(start) attr:class="time" attr:aria-label=format!("{label}: create an account or sign in to book")>
                                                        {clock(tz, start)}
                                                    </A>
                                                }.into_any(),
                                            }}
                                            <span class="local-time">{local}</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
            }
        })
        .collect_view();

    view! {
        <nav class="types" aria-label="Appointment type"><ul>{type_links}</ul></nav>
        {match next_available {
            Some(start) => view! {
                <div class="next-available">
                    <p><strong>"Next available: "</strong>{full(tz, start)}</p>
                    {move || match (reschedule, role()) {
                        (Some(id), _) => view! {
                            <A href=format!("/book/move?appointment={id}&start={}", iso(start)) attr:class="button">"Move to this time"</A>
                        }.into_any(),
                        (None, Some(Role::Patient)) => view! {
                            <HoldButton action=hold start=start appointment_type_id=type_id tz=tz label=format!("Book the next available time, {}", full(tz, start))/>
                        }.into_any(),
                        (None, _) => view! {
                            <A href=return_path(start) attr:class="button">"Book this time"</A>
                        }.into_any(),
                    }}
                </div>
            }.into_any(),
            None => view! { <p class="notice">"No open times at the moment. Please call the clinic."</p> }.into_any(),
        }}
        <p class="zone-note">
            {format!("Times are shown in the clinic's time zone, {time_zone}.")}
            {move || theirs.get().map(|z| format!(" Your device is set to {}; your local time is shown beside each time.", z.name()))}
        </p>
        <AutoHold pick=pick reschedule=reschedule hold=hold type_id=type_id/>
        {move || pick.filter(|_| role() == Some(Role::Patient) && reschedule.is_none()).map(|start| view! {
            <div class="picked" role="region" aria-label="Your chosen time">
                <p>{format!("You chose {}.", full(tz, start))}</p>
                <ActionForm action=hold>
                    <input type="hidden" name="start" value=iso(start)/>
                    <input type="hidden" name="appointment_type_id" value=type_id/>
                    <button type="submit">"Reserve this time"</button>
                </ActionForm>
            </div>
        })}
        <div role="alert" class="form-error">
            {move || hold_error().map(|e| {
                let alternatives = match &e {
                    AppError::Booking(domain::booking::BookingError::SlotTaken { alternatives }) => alternatives.clone(),
                    _ => Vec::new(),
                };
                view! {
                    <p>{e.to_string()}</p>
                    {(!alternatives.is_empty()).then(|| view! {
                        <p>"Nearby open times:"</p>
                        <ul class="times">
                            {alternatives.into_iter().map(|start| view! {
                                <li><HoldButton action=hold start=start appointment_type_id=type_id tz=tz label=full(tz, start)/></li>
                            }).collect_view()}
                        </ul>
                    })}
                }
            })}
        </div>
        {nav}
        {jump}
        <div class="week">{days}</div>
    }
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
) -> impl IntoView {
    let auth = Auth::get();
    let done = StoredValue::new(false);
    Effect::new(move |_| {
        let patient = auth
            .user
            .get()
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|u| u.role == Role::Patient);
        if let (Some(start), None, true, false) = (pick, reschedule, patient, done.get_value()) {
            done.set_value(true);
            hold.dispatch(HoldTime {
                start,
                appointment_type_id: type_id,
            });
        }
    });
}
