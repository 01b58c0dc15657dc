//! `/book/confirm?hold=…`: the reserved time, a countdown, an optional private reason, and
//! Confirm / Choose another time. Double submits book once (idempotency key).

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use super::HoldButton;
use crate::api::booking::{get_hold, ConfirmBooking, HoldTime, HoldView, ReleaseHold};
use crate::components::auth::RequireRole;
use crate::components::form::kept_value;
use crate::components::time::{device_zone, full, other_zone, zone};
use crate::AppError;
use domain::booking::BookingError;
use domain::role::Role;

#[component]
pub fn ConfirmPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || {
        query
            .read()
            .get("hold")
            .and_then(|t| t.parse::<Uuid>().ok())
    };
    let hold = Resource::new(token, |token| async move {
        match token {
            Some(token) => get_hold(token).await,
            None => Err(AppError::Booking(BookingError::HoldNotFound)),
        }
    });
    view! {
        <RequireRole roles=vec![Role::Patient] title="Confirm your appointment">
            <h1>"Confirm your appointment"</h1>
            <Suspense fallback=|| view! { <p>"Loading your reserved time…"</p> }>
                {move || Suspend::new(async move {
                    match hold.await {
                        Ok(h) => view! { <Confirm h=h/> }.into_any(),
                        Err(e) => view! {
                            <div role="alert" class="notice">
                                <p>{e.to_string()}</p>
                                <p><A href="/book">"Choose a time"</A></p>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </RequireRole>
    }
}

/// Seconds left on the hold, ticking in the browser, measured against the server's clock.
fn countdown(expires_at: DateTime<Utc>, server_now: DateTime<Utc>) -> Signal<i64> {
    let initial = (expires_at - server_now).num_seconds().max(0);
    let left = RwSignal::new(initial);
    Effect::new(move |_| {
        let started = web_time_now();
        let handle = set_interval_with_handle(
            move || {
                let elapsed = (web_time_now() - started) / 1000.0;
                left.set((initial - elapsed as i64).max(0));
            },
            std::time::Duration::from_secs(1),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    left.into()
}

/// Milliseconds from the browser's monotonic-enough clock (0 on the server, where the
/// effect never runs).
fn web_time_now() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

#[component]
fn Confirm(h: HoldView) -> impl IntoView {
    let confirm = ServerAction::<ConfirmBooking>::new();
    let rehold = ServerAction::<HoldTime>::new();
    let release = ServerAction::<ReleaseHold>::new();
    let token = h.token;
    let tz = zone(&h.time_zone);
    let theirs = other_zone(device_zone(), &h.time_zone);
    let left = countdown(h.expires_at, h.server_now);
    let start = h.start;
    let minutes = (h.end - h.start).num_minutes();
    let type_id = h.appointment_type_id;
    let error = move || confirm.value().get().and_then(Result::err);
    let expired = move || {
        left.get() == 0
            || matches!(
                error(),
                Some(AppError::Booking(
                    BookingError::HoldExpired { .. } | BookingError::HoldNotFound
                ))
            )
    };
    let back = move || format!("/book?type={type_id}");
    let note = h.note.clone();
    // The type's intake questions: answers go with the visit to the doctor and staff only.
    let asked = StoredValue::new(h.questions.clone());
    let questions = move || {
        asked.get_value()
        .into_iter()
        .map(|q| {
            let name = format!("answer_{}", q.position);
            let id = format!("field-{name}");
            let label = if q.required {
                q.prompt.clone()
            } else {
                format!("{} (optional)", q.prompt)
            };
            match q.kind {
                domain::visit_type::QuestionKind::YesNo => view! {
                    <fieldset class="field">
                        <legend>{label}</legend>
                        <label><input type="radio" name=name.clone() value="yes" required=q.required/>" Yes"</label>
                        <label><input type="radio" name=name value="no" required=q.required/>" No"</label>
                    </fieldset>
                }
                .into_any(),
                domain::visit_type::QuestionKind::Text => view! {
                    <div class="field">
                        <label for=id.clone()>{label}</label>
                        <input id=id type="text" name=name.clone() maxlength="500" required=q.required value=kept_value(&name)/>
                    </div>
                }
                .into_any(),
            }
        })
        .collect_view()
    };

    let for_name = h.for_name.clone();
    view! {
        <dl class="details">
            {for_name.map(|n| view! { <dt>"For"</dt><dd class="for-whom">{n}</dd> })}
            <dt>"When"</dt>
            <dd>
                {full(tz, start)}
                {move || theirs.get().map(|z| view! { <span class="local-time">{format!(" ({} your time)", full(z, start))}</span> })}
            </dd>
            <dt>"Visit"</dt><dd>{format!("{} ({minutes} minutes)", h.type_name)}</dd>
        </dl>
        {note.map(|n| view! { <p class="type-note" role="note">{n}</p> })}
        <p class="countdown" role="timer" aria-live="off">
            {move || {
                let s = if expired() { 0 } else { left.get() };
                if s > 0 { format!("We are holding this time for you for {}:{:02} more.", s / 60, s % 60) } else { "Your reservation has run out.".to_owned() }
            }}
        </p>
        <p class="visually-hidden" role="status">
            {move || match left.get() {
                1..=60 => "Less than a minute left to confirm.",
                0 => "Your reservation has run out.",
                _ => "",
            }}
        </p>
        <Show when=move || !expired() fallback=move || view! {
            <div role="alert" class="notice">
                <p>"Your reservation of this time has run out, so it may have gone to someone else."</p>
                {move || match error() {
                    Some(AppError::Booking(BookingError::HoldExpired { alternatives })) if !alternatives.is_empty() => view! {
                        <p>"These nearby times are open:"</p>
                        <ul class="times">
                            {alternatives.into_iter().map(|t| view! {
                                <li><HoldButton action=rehold start=t appointment_type_id=type_id tz=tz label=full(tz, t)/></li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    _ => view! {
                        <ActionForm action=rehold>
                            <input type="hidden" name="start" value=crate::components::time::iso(start)/>
                            <input type="hidden" name="appointment_type_id" value=type_id/>
                            <button type="submit">"Try to reserve this time again"</button>
                        </ActionForm>
                    }.into_any(),
                }}
                <p><A href=back>"Choose another time"</A></p>
            </div>
        }>
            <ActionForm action=confirm>
                <input type="hidden" name="hold" value=h.token.to_string()/>
                <input type="hidden" name="idempotency_key" value=h.idempotency_key.to_string()/>
                <div class="field">
                    <label for="field-reason">"Reason for your visit (optional)"</label>
                    <p class="hint" id="field-reason-hint">"Only you and your doctor see this. It is never sent by email or text."</p>
                    <textarea id="field-reason" name="reason" rows="3" maxlength="1000" aria-describedby="field-reason-hint">{kept_value("reason")}</textarea>
                </div>
                {questions}
                <p class="form-error" role="alert">
                    {move || error().filter(|e| !matches!(e, AppError::Booking(BookingError::HoldExpired { .. }))).map(|e| match e {
                        // Confirmed already (another tab): nothing was lost, show where it is.
                        AppError::Booking(BookingError::AlreadyBooked { appointment_id }) => view! {
                            {e.to_string()} " " <A href=format!("/appointments/{appointment_id}")>"See your appointment"</A>
                        }.into_any(),
                        other => other.message().into_any(),
                    })}
                </p>
                <div class="actions">
                    <button type="submit" disabled=move || confirm.pending().get()>"Confirm appointment"</button>
                </div>
            </ActionForm>
            // Lets go of this time (others can book it at once), then back to the finder.
            <ActionForm action=release attr:class="inline-form">
                <input type="hidden" name="hold" value=token.to_string()/>
                <input type="hidden" name="appointment_type_id" value=type_id/>
                <button type="submit" class="link-button">"Choose another time"</button>
            </ActionForm>
        </Show>
    }
}
