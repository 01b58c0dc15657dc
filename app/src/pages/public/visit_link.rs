//! `/visit/confirm`, `/visit/cancel` and `/visit/move` (`?token=…`): the three links of a
//! confirmation or reminder. Opening one only shows the visit (mail scanners and link
//! previews open links too); one button does what the link is for, without signing in.
//! Moving leads to the move page, through sign-in. `/visit/done` says what was done,
//! with or without the page's script.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use domain::bounded::BoundedInstant;

use crate::api::directory::use_clinic_profile;
use crate::api::visit_links::{
    visit_link, CancelVisitByLink, ConfirmVisitByLink, VisitLinkState, VisitLinkView,
};
use crate::components::time::{full, zone};
use crate::AppError;

fn message(error: AppError) -> String {
    match error {
        AppError::Validation { message, .. } => message,
        other => other.to_string(),
    }
}

/// One page for the three links; `purpose` comes from the route.
#[component]
pub fn VisitLinkPage(purpose: &'static str) -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let confirm = ServerAction::<ConfirmVisitByLink>::new();
    let cancel = ServerAction::<CancelVisitByLink>::new();
    let visit = Resource::new(token, move |token| async move {
        visit_link(purpose.to_owned(), token).await
    });
    let title = match purpose {
        "confirm" => "Will you be there?",
        "cancel" => "Cancel this visit",
        _ => "Find another time",
    };
    view! {
        <Title text=title/>
        <section class="form-page visit-link" aria-labelledby="visit-link-heading">
            <h1 id="visit-link-heading">{title}</h1>
            <Suspense fallback=|| view! { <p>"Loading your visit…"</p> }>
                {move || Suspend::new(async move {
                    match visit.await {
                        Err(e) => view! {
                            <p class="error" role="alert">{message(e)}</p>
                            <p><A href="/appointments">"My appointments"</A>" · "<A href="/book">"Book a time"</A></p>
                        }
                        .into_any(),
                        Ok(view) => details(view, token(), confirm, cancel).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn details(
    visit: VisitLinkView,
    token: String,
    confirm: ServerAction<ConfirmVisitByLink>,
    cancel: ServerAction<CancelVisitByLink>,
) -> impl IntoView {
    let error = move || {
        confirm
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| cancel.value().get().and_then(Result::err))
            .map(message)
    };
    let facts = view! {
        <dl class="details">
            <dt>"When"</dt><dd class="visit-when">{visit.when.clone()}</dd>
            <dt>"Visit"</dt><dd>{visit.type_name.clone()}</dd>
            <dt>"Doctor"</dt><dd>{visit.doctor_name.clone()}</dd>
        </dl>
    };
    let action = match (&visit.state, visit.purpose.as_str(), visit.change_blocked.clone()) {
        (VisitLinkState::Cancelled, _, _) => view! {
            <p class="banner" role="status">"This visit was cancelled. To come another time, book a new visit."</p>
            <p><A href="/book">"Book a time"</A></p>
        }
        .into_any(),
        (VisitLinkState::Moved { when }, _, _) => view! {
            <p class="banner" role="status">{format!("This visit has moved: it is now on {when}. The newer message about it has links of its own.")}</p>
            <p><A href="/appointments">"My appointments"</A></p>
        }
        .into_any(),
        (VisitLinkState::Booked { confirmed: true }, "confirm", _) => view! {
            <p class="banner" role="status">"You already told us you will be there. Thank you — see you then."</p>
        }
        .into_any(),
        (VisitLinkState::Booked { .. }, "confirm", _) => view! {
            <ActionForm action=confirm>
                <input type="hidden" name="token" value=token.clone()/>
                <button type="submit" disabled=move || confirm.pending().get()>"I'll be there"</button>
            </ActionForm>
        }
        .into_any(),
        (VisitLinkState::Booked { .. }, _, Some(blocked)) => view! {
            <p class="banner" role="status">{blocked}</p>
        }
        .into_any(),
        (VisitLinkState::Booked { .. }, "cancel", None) => view! {
            <p>"Cancelling gives this time to someone else. It cannot be undone, but you can book again."</p>
            <ActionForm action=cancel>
                <input type="hidden" name="token" value=token.clone()/>
                <button type="submit" class="danger" disabled=move || cancel.pending().get()>"Cancel this visit"</button>
            </ActionForm>
        }
        .into_any(),
        (VisitLinkState::Booked { .. }, _, None) => view! {
            <p>"Choosing another time needs you to sign in: you then pick the new time, and this visit moves there."</p>
            <p><a class="button" href=visit.move_href.clone()>"Find another time"</a></p>
        }
        .into_any(),
    };
    view! {
        {facts}
        {action}
        <p class="form-error" role="alert">{error}</p>
    }
}

/// `/visit/done?did=confirmed|cancelled&at=…`: where a link's button lands.
#[component]
pub fn VisitDonePage() -> impl IntoView {
    let query = use_query_map();
    let directory = use_clinic_profile();
    let cancelled = move || query.read().get("did").as_deref() == Some("cancelled");
    let title = move || {
        if cancelled() {
            "Your visit is cancelled"
        } else {
            "Thank you — see you then"
        }
    };
    view! {
        <Title text=title/>
        <section class="form-page visit-link" aria-labelledby="visit-done-heading">
            <h1 id="visit-done-heading">{title}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let tz = zone(&directory.await.map(|d| d.time_zone).unwrap_or_default());
                    let at = query
                        .read()
                        .get("at")
                        .and_then(|v| v.parse::<BoundedInstant>().ok())
                        .map(|at| full(tz, at.get()));
                    let text = match (cancelled(), at) {
                        (true, Some(at)) => format!("Your visit on {at} is cancelled, and the time is free for someone else."),
                        (true, None) => "Your visit is cancelled.".to_owned(),
                        (false, Some(at)) => format!("You confirmed your visit on {at}. Thank you."),
                        (false, None) => "You confirmed your visit. Thank you.".to_owned(),
                    };
                    view! { <p class="banner" role="status">{text}</p> }
                })}
            </Suspense>
            <p><A href="/appointments">"My appointments"</A>" · "<A href="/book">"Book a time"</A></p>
        </section>
    }
}
