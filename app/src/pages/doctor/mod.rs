//! The doctors' portal: `/doctor` (this week, blocks and leave with a preview, the
//! calendar feed), `/doctor/hours` (weekly hours) and `/doctor/visits/:id` (one visit,
//! its outcome).

pub(crate) mod hours;
mod visit;

pub use hours::HoursPage;
pub(crate) use visit::event_line;
pub use visit::VisitPage;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use domain::bounded::BoundedDate;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::doctor::{
    doctor_week, preview_block, BlockTime, CalendarFeed, CalendarSlot, RevokeCalendarFeed,
    SlotState, UnblockTime, WeekCalendar,
};
use crate::components::auth::RequireRole;
use crate::components::time::{clock, day as day_label, zone};
use domain::role::Role;

/// The block form's fields, from the page's query (the preview is a plain GET).
#[derive(Debug, Clone, PartialEq, Eq)]
struct BlockQuery {
    from_date: BoundedDate,
    to_date: Option<BoundedDate>,
    from_time: Option<String>,
    to_time: Option<String>,
    note: Option<String>,
}

#[component]
pub fn DoctorPortalPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let query = use_query_map();
    // The week asked for, or the one a previewed block starts in.
    let week = move || {
        let q = query.read();
        q.get("week")
            .or_else(|| q.get("preview").and(q.get("from_date")))
            .and_then(|w| w.parse::<BoundedDate>().ok())
    };
    let block = ServerAction::<BlockTime>::new();
    let unblock = ServerAction::<UnblockTime>::new();
    let calendar = Resource::new(
        move || (week(), block.version().get(), unblock.version().get()),
        |(w, _, _)| doctor_week(w),
    );
    let asked = move || {
        let q = query.read();
        let text = |k: &str| q.get(k).filter(|v| !v.trim().is_empty());
        q.get("preview")?;
        Some(BlockQuery {
            from_date: q.get("from_date")?.parse().ok()?,
            to_date: text("to_date").and_then(|d| d.parse().ok()),
            from_time: text("from_time"),
            to_time: text("to_time"),
            note: text("note"),
        })
    };
    let preview = Resource::new(asked, |asked| async move {
        match asked {
            Some(b) => {
                Some(preview_block(b.from_date, b.to_date, b.from_time, b.to_time, b.note).await)
            }
            None => None,
        }
    });
    view! {
        <RequireRole roles=vec![Role::Doctor] title="Your calendar">
            <h1>"Your calendar"</h1>
            <p><A href="/doctor/hours">"Your weekly hours"</A></p>
            <Suspense fallback=|| view! { <p>"Loading your calendar…"</p> }>
                {move || Suspend::new(async move {
                    // The day a phone shows: asked for, or the first of a previewed block.
                    let day = {
                        let q = query.read_untracked();
                        q.get("day")
                            .or_else(|| q.get("preview").and(q.get("from_date")))
                            .and_then(|d| d.parse::<NaiveDate>().ok())
                    };
                    match calendar.await {
                        Ok(w) => view! { <Calendar w=w day=day unblock=unblock/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <BlockSection asked=Signal::derive(asked) preview=preview block=block/>
            <FeedSection/>
        </RequireRole>
    }
}

fn week_href(week: NaiveDate) -> String {
    format!("/doctor?week={week}")
}

/// The week: seven columns on a wide screen; on a phone one day at a time, picked from
/// a row of day links (plain links, so it works before and without JavaScript).
#[component]
fn Calendar(
    w: WeekCalendar,
    day: Option<NaiveDate>,
    unblock: ServerAction<UnblockTime>,
) -> impl IntoView {
    let tz = zone(&w.time_zone);
    let today = w.today;
    let in_week = |d: NaiveDate| w.days.iter().any(|x| x.date == d);
    let selected = day
        .filter(|d| in_week(*d))
        .or_else(|| in_week(today).then_some(today))
        .unwrap_or(w.week_start);
    let week_start = w.week_start;
    let todays = w.today_visits.clone();
    view! {
        <section class="today" aria-labelledby="today-heading">
            <h2 id="today-heading">{format!("Today, {}", day_label(today))}</h2>
            {if todays.is_empty() {
                view! { <p class="empty">"No visits today."</p> }.into_any()
            } else {
                view! { <ul class="today-list">{todays.into_iter().map(|s| view! { <li><Slot s=s tz=tz unblock=unblock/></li> }).collect_view()}</ul> }.into_any()
            }}
        </section>
        <nav class="week-nav" aria-label="Weeks">
            <A href=week_href(w.prev_week)>"← Previous week"</A>
            <span class="week-label">{format!("Week of {}", day_label(w.week_start))}</span>
            <A href="/doctor">"This week"</A>
            <A href=week_href(w.next_week)>"Next week →"</A>
        </nav>
        <nav class="day-nav" aria-label="Days of this week">
            {w.days.iter().map(|d| {
                let date = d.date;
                view! {
                    <a href=format!("/doctor?week={week_start}&day={date}") aria-current=(date == selected).then_some("page")>
                        {date.format("%a %-d").to_string()}
                    </a>
                }
            }).collect_view()}
        </nav>
        <p class="zone-note">{format!("Times are in the clinic's time zone, {}.", w.time_zone)}</p>
        <div class="doctor-week">
            {w.days.into_iter().map(|d| {
                let heading = format!("day-{}", d.date);
                let labelled_by = heading.clone();
                let is_today = d.date == today;
                let class = if d.date == selected { "doctor-day selected" } else { "doctor-day" };
                view! {
                    <section class=class aria-labelledby=labelled_by aria-current=is_today.then_some("date")>
                        <h2 id=heading>{day_label(d.date)}{is_today.then_some(" (today)")}</h2>
                        {if d.slots.is_empty() {
                            view! { <p class="empty">"Not working."</p> }.into_any()
                        } else {
                            view! { <ul class="slots">{d.slots.into_iter().map(|s| view! { <li><Slot s=s tz=tz unblock=unblock/></li> }).collect_view()}</ul> }.into_any()
                        }}
                    </section>
                }
            }).collect_view()}
        </div>
    }
}

/// One slot, its state said in words (never by colour alone).
#[component]
fn Slot(s: CalendarSlot, tz: Tz, unblock: ServerAction<UnblockTime>) -> impl IntoView {
    let time = clock(tz, s.start);
    let (date, from, to) = local_parts(tz, s.start, s.end);
    match s.state {
        SlotState::Free => view! { <span class="slot free">{time}" · Free"</span> }.into_any(),
        SlotState::Held => view! { <span class="slot held">{time}" · Being booked"</span> }.into_any(),
        SlotState::Holiday => view! { <span class="slot holiday">{time}" · Clinic closed"</span> }.into_any(),
        SlotState::Booked { appointment_id, patient_name, type_name, status, confirmed } => view! {
            <span class="slot booked">
                {time}" · "
                <A href=format!("/doctor/visits/{appointment_id}")>{format!("{patient_name} — {type_name}")}</A>
                {if status != domain::booking::AppointmentStatus::Booked {
                    format!(" ({})", status.as_str().replace('_', "-"))
                } else if confirmed {
                    " · Confirmed".to_owned()
                } else {
                    " · Not confirmed yet".to_owned()
                }}
            </span>
        }.into_any(),
        SlotState::Blocked { note } => view! {
            <span class="slot blocked">
                {time}" · Blocked"{note.map(|n| format!(": {n}"))}
                <ActionForm action=unblock attr:class="inline-form">
                    <input type="hidden" name="from_date" value=date.to_string()/>
                    <input type="hidden" name="from_time" value=from/>
                    <input type="hidden" name="to_time" value=to/>
                    <button type="submit" class="link-button">"Unblock"</button>
                </ActionForm>
            </span>
        }.into_any(),
    }
}

fn local_parts(tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> (NaiveDate, String, String) {
    let (s, e) = (start.with_timezone(&tz), end.with_timezone(&tz));
    (
        s.date_naive(),
        s.format("%H:%M").to_string(),
        e.format("%H:%M").to_string(),
    )
}

#[component]
fn BlockSection(
    asked: Signal<Option<BlockQuery>>,
    preview: Resource<Option<Result<crate::api::doctor::BlockOutcome, crate::AppError>>>,
    block: ServerAction<BlockTime>,
) -> impl IntoView {
    view! {
        <section aria-labelledby="block-heading">
            <h2 id="block-heading">"Block time or take leave"</h2>
            <p class="hint">"Give times to block part of a day; leave them empty for whole days. Booked visits in that time move to a free colleague or go to the clinic staff — you see which before you confirm."</p>
            <form method="get" action="/doctor" class="block-form">
                <input type="hidden" name="preview" value="1"/>
                <div class="field"><label for="block-from-date">"First day"</label><input id="block-from-date" type="date" name="from_date" required/></div>
                <div class="field"><label for="block-to-date">"Last day (optional)"</label><input id="block-to-date" type="date" name="to_date"/></div>
                <div class="field"><label for="block-from-time">"From (optional)"</label><input id="block-from-time" type="time" name="from_time" step="1800"/></div>
                <div class="field"><label for="block-to-time">"Until (optional)"</label><input id="block-to-time" type="time" name="to_time" step="1800"/></div>
                <div class="field"><label for="block-note">"Note (optional, for you and the staff)"</label><input id="block-note" type="text" name="note" maxlength="200"/></div>
                <button type="submit">"Preview"</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let asked = asked.get_untracked();
                    match (preview.await, asked) {
                        (Some(Ok(outcome)), Some(b)) => view! {
                            <div class="preview" role="status">
                                <p>{format!(
                                    "Blocking this time moves {} booked visit(s) to a free colleague and sends {} to the clinic staff, who will contact the patients.",
                                    outcome.moved, outcome.queued
                                )}</p>
                                <ActionForm action=block>
                                    <input type="hidden" name="from_date" value=b.from_date.to_string()/>
                                    <input type="hidden" name="to_date" value=b.to_date.map(|d| d.to_string()).unwrap_or_default()/>
                                    <input type="hidden" name="from_time" value=b.from_time.clone().unwrap_or_default()/>
                                    <input type="hidden" name="to_time" value=b.to_time.clone().unwrap_or_default()/>
                                    <input type="hidden" name="note" value=b.note.clone().unwrap_or_default()/>
                                    <button type="submit">"Confirm the block"</button>
                                </ActionForm>
                            </div>
                        }.into_any(),
                        (Some(Err(e)), _) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
                        _ => ().into_any(),
                    }
                })}
            </Suspense>
            <p class="form-status" role="status">
                {move || block.value().get().map(|r| match r {
                    Ok(o) => format!("Blocked. {} visit(s) moved, {} sent to the staff.", o.moved, o.queued),
                    Err(e) => e.message(),
                })}
            </p>
        </section>
    }
}

#[component]
fn FeedSection() -> impl IntoView {
    let create = ServerAction::<CalendarFeed>::new();
    let revoke = ServerAction::<RevokeCalendarFeed>::new();
    view! {
        <section aria-labelledby="feed-heading">
            <h2 id="feed-heading">"Your visits in your own calendar"</h2>
            <p class="hint">"A private link your calendar app can subscribe to: visit times and links, no patient names. Anyone with the link sees your visit times: keep it to yourself. Making a new link turns the old one off."</p>
            <p class="feed-url" role="status">
                {move || create.value().get().map(|r| match r {
                    Ok(path) => view! { <code data-testid="feed-url">{path}</code> }.into_any(),
                    Err(e) => view! { <span>{e.message()}</span> }.into_any(),
                })}
                {move || matches!(revoke.value().get(), Some(Ok(()))).then_some("Your calendar link is turned off.")}
            </p>
            <div class="actions">
                <ActionForm action=create><button type="submit">"Make my calendar link"</button></ActionForm>
                <ActionForm action=revoke><button type="submit" class="secondary">"Turn the link off"</button></ActionForm>
            </div>
        </section>
    }
}
