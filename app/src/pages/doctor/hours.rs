//! `/doctor/hours`: the doctor's weekly hours — what is in effect, changes already set
//! for later, and a form for new hours from a date. "Preview" is a plain GET (works
//! without JavaScript) that shows what would change — days, free times, booked visits
//! that would move or go to the staff — and only "Save" changes anything.

use domain::bounded::BoundedDate;

use domain::hours::{weekday_name, WEEKDAYS, WEEKDAY_FIELDS as FIELDS};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::doctor::{
    preview_hours, weekly_hours, HoursForm, HoursOutcome, HoursView, SaveHours,
};
use crate::components::auth::RequireRole;
use crate::components::form::{field_message, Field};
use crate::components::time::day;
use crate::AppError;
use domain::role::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Asked {
    from: Option<BoundedDate>,
    lines: [String; 7],
}

#[component]
pub fn HoursPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let query = use_query_map();
    let save = ServerAction::<SaveHours>::new();
    let hours = Resource::new(move || save.version().get(), |_| weekly_hours());
    let asked = move || {
        let q = query.read();
        q.get("preview")?;
        Some(Asked {
            from: q.get("from").and_then(|f| f.parse().ok()),
            lines: FIELDS.map(|f| q.get(f).unwrap_or_default()),
        })
    };
    let preview = Resource::new(asked, |asked| async move {
        let a = asked?;
        let Some(from) = a.from else {
            return Some(Err(AppError::validation(
                "from",
                "Choose the date the new hours start.",
            )));
        };
        Some(preview_hours(HoursForm::from_lines(from, a.lines)).await)
    });
    view! {
        <RequireRole roles=vec![Role::Doctor] title="Your weekly hours">
            <p><A href="/doctor">"← Your calendar"</A></p>
            <h1>"Your weekly hours"</h1>
            <Suspense fallback=|| view! { <p>"Loading your hours…"</p> }>
                {move || Suspend::new(async move {
                    let asked = asked();
                    match (hours.await, preview.await) {
                        (Ok(h), preview) => view! {
                            <Hours h=h asked=asked preview=preview save=save/>
                        }.into_any(),
                        (Err(e), _) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </RequireRole>
    }
}

fn day_line(line: &str) -> String {
    if line.is_empty() {
        "Not working".to_owned()
    } else {
        line.replace('-', "–")
    }
}

#[component]
pub(crate) fn Week(lines: [String; 7]) -> impl IntoView {
    view! {
        <dl class="details hours-week">
            {WEEKDAYS.iter().zip(lines).map(|(d, line)| view! {
                <dt>{weekday_name(*d)}</dt><dd>{day_line(&line)}</dd>
            }).collect_view()}
        </dl>
    }
}

/// The change in words: days, free times, visits.
pub(crate) fn summary(o: &HoursOutcome, saved: bool) -> Vec<String> {
    let mut out = Vec::new();
    if o.days.is_empty() {
        out.push(format!(
            "These are the hours you already have from {}.",
            day(o.from)
        ));
    }
    for c in &o.days {
        out.push(format!(
            "{}: {} → {}",
            weekday_name(c.day),
            day_line(&c.before),
            day_line(&c.after)
        ));
    }
    for plan in &o.replaced_plans {
        out.push(format!(
            "{} the change you had set for {}.",
            if saved { "Replaced" } else { "Replaces" },
            day(*plan)
        ));
    }
    let (verb_add, verb_remove) = if saved {
        ("added", "removed")
    } else {
        ("would be added", "would be removed")
    };
    out.push(format!(
        "Within the booking window: {} free time(s) {verb_add}, {} free time(s) {verb_remove}.",
        o.added, o.removed
    ));
    if o.moved + o.queued > 0 {
        out.push(format!(
            "Booked visits outside the new hours: {} {} to a free colleague at the same time, {} {} to the clinic staff, who will contact the patients.",
            o.moved,
            if saved { "moved" } else { "would move" },
            o.queued,
            if saved { "went" } else { "would go" },
        ));
    } else {
        out.push("No booked visit is affected.".to_owned());
    }
    out
}

#[component]
fn Hours(
    h: HoursView,
    asked: Option<Asked>,
    preview: Option<Result<HoursOutcome, AppError>>,
    save: ServerAction<SaveHours>,
) -> impl IntoView {
    let error = preview.as_ref().and_then(|p| p.clone().err());
    let error_for = move |field: &'static str| {
        let error = error.clone();
        Signal::derive(move || field_message(error.clone(), field))
    };
    let from_error = error_for("from");
    let other_error = preview
        .as_ref()
        .and_then(|p| p.clone().err())
        .filter(|e| !matches!(e, AppError::Validation { .. }))
        .map(|e| e.message());
    let (from, lines) = match &asked {
        Some(a) => (
            a.from.unwrap_or(BoundedDate::clamped(h.today)),
            a.lines.clone(),
        ),
        None => (BoundedDate::clamped(h.today), h.lines.clone()),
    };
    let ok_preview = preview.and_then(Result::ok);
    view! {
        <p class="zone-note">{format!("Times are in the clinic's time zone, {}.", h.time_zone)}</p>
        <section aria-labelledby="now-heading">
            <h2 id="now-heading">"Now"</h2>
            <Week lines=h.lines.clone()/>
            {h.planned.into_iter().map(|p| view! {
                <h3>{format!("From {}", day(p.from))}</h3>
                <Week lines=p.lines/>
            }).collect_view()}
        </section>
        <section aria-labelledby="change-heading">
            <h2 id="change-heading">"Change your hours"</h2>
            <p class="hint">{format!(
                "One line per weekday, like 09:00-12:00, 13:00-17:00; leave a day empty if you don't work then. Times are on the clinic's {}-minute grid. Booked visits outside the new hours move to a free colleague at the same time, or go to the clinic staff — you see which before you save.",
                h.slot_minutes
            )}</p>
            <form method="get" action="/doctor/hours" class="hours-form">
                <input type="hidden" name="preview" value="1"/>
                <Field name="from" label="New hours start on" kind="date" required=true initial=from.to_string() error=from_error/>
                {FIELDS.iter().zip(WEEKDAYS).zip(lines).map(|((field, d), line)| view! {
                    <Field name=*field label=weekday_name(d) initial=line error=error_for(field)/>
                }).collect_view()}
                <button type="submit">"Preview"</button>
            </form>
            {other_error.map(|m| view! { <p class="error" role="alert">{m}</p> })}
            {move || match (save.value().get(), ok_preview.clone()) {
                (Some(Ok(saved)), _) => view! {
                    <div class="preview" role="status" data-testid="hours-saved">
                        <p><strong>{format!("Saved. Your new hours start on {}.", day(saved.from))}</strong></p>
                        <ul>{summary(&saved, true).into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                    </div>
                }.into_any(),
                (saved, Some(o)) => {
                    let lines = asked.clone().map(|a| a.lines).unwrap_or_default();
                    view! {
                        <div class="preview" role="status" data-testid="hours-preview">
                            <p><strong>{format!("From {}:", day(o.from))}</strong></p>
                            <ul>{summary(&o, false).into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                            <ActionForm action=save>
                                <input type="hidden" name="from" value=o.from.to_string()/>
                                {FIELDS.iter().zip(lines).map(|(f, l)| view! {
                                    <input type="hidden" name=*f value=l/>
                                }).collect_view()}
                                <button type="submit">"Save these hours"</button>
                            </ActionForm>
                            {saved.and_then(Result::err).map(|e| view! { <p class="error" role="alert">{e.message()}</p> })}
                        </div>
                    }.into_any()
                }
                (Some(Err(e)), None) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
                (None, None) => ().into_any(),
            }}
        </section>
    }
}
