//! The finder's seven days: times by morning, afternoon and evening, a day strip on a
//! phone, one Tab stop with arrow keys between times.

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use leptos::prelude::*;
use leptos_router::components::A;

use super::super::HoldButton;
use domain::role::Role;

use crate::api::auth::Auth;
use crate::api::booking::{HoldTime, WeekView};
use crate::components::roving;
use crate::components::time::{clock, day, full, iso, other_zone, zone};
use crate::AppError;
use domain::links::encode_next;

use super::{href, AutoHold};

/// How many times of each part of the day show before "more times".
const SHOWN_PER_PART: usize = 4;

/// The parts of a clinic day the finder groups times by (clinic wall clock).
fn part_of_day(tz: Tz, t: DateTime<Utc>) -> &'static str {
    match t.with_timezone(&tz).hour() {
        0..=11 => "Morning",
        12..=16 => "Afternoon",
        _ => "Evening",
    }
}

/// What choosing a time does: move the visit (rescheduling), reserve it (a signed-in
/// patient), or ask a visitor to sign up first.
#[derive(Clone, Copy)]
struct Chooser {
    hold: ServerAction<HoldTime>,
    reschedule: Option<i64>,
    type_id: i64,
    week_start: NaiveDate,
    /// The doctor the patient chose (none: any doctor).
    doctor: Option<i64>,
    /// Whom the visit is for (none: the patient).
    for_patient: Option<i64>,
    tz: Tz,
    role: Signal<Option<Role>>,
}

impl Chooser {
    fn move_href(&self, id: i64, start: DateTime<Utc>) -> String {
        format!("/book/move?appointment={id}&start={}", iso(start))
    }

    /// Someone not signed in who picks a time is most often new: straight to the sign-up
    /// form (which links to signing in), and back to this time afterwards.
    fn signup_href(&self, start: DateTime<Utc>) -> String {
        format!(
            "/signup?next={}",
            encode_next(&format!(
                "{}&pick={}",
                href(self.type_id, self.week_start, None, self.doctor, None),
                iso(start)
            ))
        )
    }

    /// A time in the grid.
    fn time(self, start: DateTime<Utc>, label: String) -> impl IntoView {
        let tz = self.tz;
        move || {
            match (self.reschedule, self.role.get()) {
            (Some(id), _) => view! {
                <A href=self.move_href(id, start) attr:class="time rove" attr:aria-label=label.clone()>
                    {clock(tz, start)}
                </A>
            }
            .into_any(),
            (None, Some(Role::Patient)) => view! {
                <HoldButton action=self.hold start=start appointment_type_id=self.type_id doctor=self.doctor for_patient=self.for_patient tz=tz label=label.clone() rove=true/>
            }
            .into_any(),
            (None, _) => view! {
                <A href=self.signup_href(start) attr:class="time rove" attr:aria-label=format!("{label}: create an account or sign in to book")>
                    {clock(tz, start)}
                </A>
            }
            .into_any(),
        }
        }
    }

    /// The button beside "Next available".
    fn next(self, start: DateTime<Utc>) -> impl IntoView {
        let tz = self.tz;
        move || {
            match (self.reschedule, self.role.get()) {
            (Some(id), _) => view! { <A href=self.move_href(id, start) attr:class="button">"Move to this time"</A> }.into_any(),
            (None, Some(Role::Patient)) => view! {
                <HoldButton action=self.hold start=start appointment_type_id=self.type_id doctor=self.doctor for_patient=self.for_patient tz=tz label=format!("Book the next available time, {}", full(tz, start))/>
            }
            .into_any(),
            (None, _) => view! { <A href=self.signup_href(start) attr:class="button">"Book this time"</A> }.into_any(),
        }
        }
    }
}

#[component]
pub(super) fn Week(
    w: WeekView,
    hold: ServerAction<HoldTime>,
    reschedule: Option<i64>,
    pick: Option<DateTime<Utc>>,
    device: Signal<Option<String>>,
    chosen_day: Signal<Option<NaiveDate>>,
    for_patient: Option<i64>,
) -> impl IntoView {
    let auth = Auth::get();
    let tz = zone(&w.time_zone);
    let theirs = other_zone(device, &w.time_zone);
    let type_id = w.appointment_type.appointment_type_id;
    let week_start = w.week_start;
    let doctor = w.doctor.as_ref().map(|d| d.doctor_id);
    let href = move |t: i64, week: NaiveDate, reschedule: Option<i64>| {
        href(
            t,
            week,
            reschedule,
            doctor.filter(|_| t == type_id),
            for_patient,
        )
    };
    let hold_error = move || hold.value().get().and_then(Result::err);
    let role = Signal::derive(move || {
        auth.user
            .get()
            .and_then(Result::ok)
            .flatten()
            .map(|u| u.role)
    });
    let chooser = Chooser {
        hold,
        reschedule,
        type_id,
        week_start,
        doctor,
        for_patient,
        tz,
        role,
    };

    // Times someone else took while this page was open leave the grid as soon as a hold
    // on them fails (the message offers the nearest others).
    let taken = RwSignal::new(Vec::<DateTime<Utc>>::new());
    let attempted = StoredValue::new(None::<DateTime<Utc>>);
    Effect::new(move |_| {
        if let Some(input) = hold.input().get() {
            attempted.set_value(Some(input.start));
        }
    });
    Effect::new(move |_| {
        if let Some(Err(AppError::Booking(domain::booking::BookingError::SlotTaken { .. }))) =
            hold.value().get()
        {
            if let Some(start) = attempted.get_value() {
                taken.update(|t| t.push(start));
            }
        }
    });
    let gone = move |start: DateTime<Utc>| taken.with(|t| t.contains(&start));

    // On a narrow screen one day shows at a time: the one picked in the strip, else the
    // first with openings.
    let first_open = w
        .days
        .iter()
        .find(|d| !d.times.is_empty())
        .map_or(week_start, |d| d.date);
    let shown: Vec<NaiveDate> = w.days.iter().map(|d| d.date).collect();
    let selected = Signal::derive(move || {
        chosen_day
            .get()
            .filter(|d| shown.contains(d))
            .unwrap_or(first_open)
    });
    let day_href =
        move |date: NaiveDate| format!("{}&day={date}", href(type_id, week_start, reschedule));

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
    let note = w.appointment_type.note.clone();
    let chosen_doctor = w.doctor.as_ref().map(|d| d.display_name.clone());
    let sooner_elsewhere = w.sooner_elsewhere;
    let href_any = super::href(type_id, week_start, None, None, for_patient);

    let strip = w
        .days
        .iter()
        .filter(|d| !d.times.is_empty())
        .map(|d| {
            let date = d.date;
            let count = d.times.len();
            let rest = format!(
                " {}, {count} open time{}",
                date.format("%B"),
                if count == 1 { "" } else { "s" }
            );
            view! {
                <li>
                    <a href=day_href(date) aria-current=move || (selected.get() == date).then_some("date")>
                        <span class="strip-weekday">{date.format("%a").to_string()}</span>
                        <span class="strip-date">{date.format(" %-d").to_string()}</span>
                        <span class="visually-hidden">{rest}</span>
                    </a>
                </li>
            }
        })
        .collect_view();

    let days = w
        .days
        .into_iter()
        .map(|d| {
            let date = d.date;
            let heading_id = format!("day-{date}");
            let labelled_by = heading_id.clone();
            // Consecutive runs of the same part of the day (the times are in order).
            let mut parts: Vec<(&'static str, Vec<DateTime<Utc>>)> = Vec::new();
            for start in d.times {
                let part = part_of_day(tz, start);
                match parts.last_mut() {
                    Some((p, times)) if *p == part => times.push(start),
                    _ => parts.push((part, vec![start])),
                }
            }
            let empty = parts.is_empty();
            let item = move |start: DateTime<Utc>| {
                let label = format!("{} on {}", clock(tz, start), day(date));
                let local = move || theirs.get().map(|z| format!("{} your time", clock(z, start)));
                view! {
                    <li class:gone=move || gone(start)>
                        {chooser.time(start, label)}
                        <span class="local-time">{local}</span>
                    </li>
                }
            };
            let parts = parts
                .into_iter()
                .map(|(part, mut times)| {
                    let more = times.split_off(times.len().min(SHOWN_PER_PART));
                    let more_count = more.len();
                    view! {
                        <h3 class="part">{part}</h3>
                        <ul class="times">{times.into_iter().map(item).collect_view()}</ul>
                        {(!more.is_empty()).then(|| view! {
                            <details class="more-times">
                                <summary class="rove">{format!("{more_count} more {} time{}", part.to_lowercase(), if more_count == 1 { "" } else { "s" })}</summary>
                                <ul class="times">{more.into_iter().map(item).collect_view()}</ul>
                            </details>
                        })}
                    }
                })
                .collect_view();
            view! {
                <section class="day" class:selected=move || selected.get() == date aria-labelledby=labelled_by>
                    <h2 id=heading_id>{day(date)}</h2>
                    {if empty {
                        view! { <p class="empty">"No open times."</p> }.into_any()
                    } else {
                        parts.into_any()
                    }}
                </section>
            }
        })
        .collect_view();

    let grid = NodeRef::<leptos::html::Div>::new();
    roving::watch(grid, "rove", move || {
        selected.track();
        role.track();
        taken.track();
    });

    view! {
        <nav class="types" aria-label="Appointment type"><ul>{type_links}</ul></nav>
        {note.map(|n| view! { <p class="type-note" role="note">{n}</p> })}
        {(reschedule.is_none()).then(|| match chosen_doctor {
            None => view! {
                <p class="doctor-choice">
                    "Any doctor — the first available is shown first. "
                    <A href=format!("/book/doctors?type={type_id}")>"Choose a doctor"</A>
                </p>
            }.into_any(),
            Some(name) => view! {
                <p class="doctor-choice">
                    {format!("Times with {name}. ")}
                    <A href=href_any.clone()>"Any doctor instead"</A>
                    " · "
                    <A href=format!("/book/doctors?type={type_id}")>"Choose another doctor"</A>
                </p>
                {sooner_elsewhere.map(|t| view! {
                    <p class="notice sooner">
                        {format!("Another doctor has a time sooner: {}. ", full(tz, t))}
                        <A href=href_any.clone()>"See every doctor's times"</A>
                    </p>
                })}
            }.into_any(),
        })}
        {match next_available {
            Some(start) => view! {
                <div class="next-available" class:gone=move || gone(start)>
                    <p><strong>"Next available: "</strong>{full(tz, start)}</p>
                    {chooser.next(start)}
                </div>
            }.into_any(),
            None => view! { <p class="notice">"No open times at the moment. Please call the clinic."</p> }.into_any(),
        }}
        <p class="zone-note">
            {format!("Times are shown in the clinic's time zone, {time_zone}.")}
            {move || theirs.get().map(|z| format!(" Your device is set to {}; your local time is shown beside each time.", z.name()))}
        </p>
        <AutoHold pick=pick reschedule=reschedule hold=hold type_id=type_id doctor=doctor for_patient=for_patient/>
        {move || pick.filter(|_| role.get() == Some(Role::Patient) && reschedule.is_none()).map(|start| view! {
            <div class="picked" role="region" aria-label="Your chosen time">
                <p>{format!("You chose {}.", full(tz, start))}</p>
                <ActionForm action=hold>
                    <input type="hidden" name="start" value=iso(start)/>
                    <input type="hidden" name="appointment_type_id" value=type_id/>
                    {doctor.map(|d| view! { <input type="hidden" name="doctor" value=d/> })}
                    {for_patient.map(|p| view! { <input type="hidden" name="for_patient" value=p/> })}
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
                    <p>{e.message()}</p>
                    {(!alternatives.is_empty()).then(|| view! {
                        <p>"Nearby open times:"</p>
                        <ul class="times">
                            {alternatives.into_iter().map(|start| view! {
                                <li><HoldButton action=hold start=start appointment_type_id=type_id doctor=doctor for_patient=for_patient tz=tz label=full(tz, start)/></li>
                            }).collect_view()}
                        </ul>
                    })}
                }
            })}
        </div>
        {nav}
        {jump}
        <nav class="day-strip" aria-label="Days with open times"><ul>{strip}</ul></nav>
        <p class="visually-hidden" id="times-keys">
            "In the open times, the arrow keys move from time to time, Page Down and Page Up to the next and previous day."
        </p>
        <div
            class="week"
            node_ref=grid
            aria-describedby="times-keys"
            on:keydown=move |ev| {
                if let Some(g) = grid.get_untracked() {
                    roving::on_key(&g, "rove", &ev);
                }
            }
            on:click=move |_| roving::settle_soon(grid, "rove")
            on:focusin=move |ev| {
                if let Some(g) = grid.get_untracked() {
                    roving::on_focus(&g, "rove", &ev);
                }
            }
        >
            {days}
        </div>
    }
}
