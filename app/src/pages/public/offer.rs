//! `/offer?token=…`: an earlier time offered from the waitlist. Opening the link only
//! shows the offer (mail scanners open links too); one button takes it, without signing
//! in — the link is good for that one action. Taking it lands on `/offer/taken`, leaving
//! the list on `/offer/left`, with or without the page's script.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use domain::bounded::BoundedInstant;

use crate::api::directory::use_clinic_profile;
use crate::api::waitlist::{waitlist_offer, LeaveWaitlistByOffer, OfferView, TakeWaitlistOffer};
use crate::components::time::{full, zone};
use crate::AppError;

#[component]
pub fn OfferPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    // Back from a press while someone else was booking the time.
    let busy = Signal::derive(move || query.read().get("busy").is_some());
    let take = ServerAction::<TakeWaitlistOffer>::new();
    let leave = ServerAction::<LeaveWaitlistByOffer>::new();
    let offer = Resource::new(token, |token| async move { waitlist_offer(token).await });
    view! {
        <Title text="An earlier time for you"/>
        <section class="form-page offer" aria-labelledby="offer-heading">
            <h1 id="offer-heading">"An earlier time for you"</h1>
            // Taking or leaving moves on to `/offer/taken` or `/offer/left` (with or
            // without the script); someone quicker comes back here and says so.
            <Suspense fallback=|| view! { <p>"Loading the offer…"</p> }>
                {move || Suspend::new(async move {
                    match offer.await {
                        Err(e) => gone(e).into_any(),
                        Ok(view) => details(view, token(), busy, take, leave).into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn gone(error: AppError) -> impl IntoView {
    let message = match error {
        AppError::Validation { message, .. } => message,
        other => other.to_string(),
    };
    view! {
        <p class="error" role="alert">{message}</p>
        <p><A href="/appointments">"My appointments"</A>" · "<A href="/book">"Book a time"</A></p>
    }
}

fn details(
    offer: OfferView,
    token: String,
    busy: Signal<bool>,
    take: ServerAction<TakeWaitlistOffer>,
    leave: ServerAction<LeaveWaitlistByOffer>,
) -> impl IntoView {
    let error = move || {
        take.value()
            .get()
            .and_then(Result::err)
            .or_else(|| leave.value().get().and_then(Result::err))
            .map(|e| match e {
                AppError::Validation { message, .. } => message,
                other => other.to_string(),
            })
    };
    let taken_by_other = offer.taken_by_other;
    let take_token = token.clone();
    view! {
        <dl class="details">
            <dt>"When"</dt><dd class="offer-when">{offer.when.clone()}</dd>
            <dt>"Visit"</dt><dd>{offer.type_name.clone()}</dd>
            <dt>"Doctor"</dt><dd>{offer.doctor_name.clone()}</dd>
            {offer.replaces.clone().map(|r| view! { <dt>"Instead of"</dt><dd>{r}</dd> })}
        </dl>
        {if taken_by_other {
            view! {
                <p class="banner" role="status">
                    "Someone else took this time first. You are still on the waitlist: we will tell you when another time opens."
                </p>
            }
            .into_any()
        } else {
            view! {
                <p class="banner" role="status">
                    {move || busy.get().then_some("Someone is booking this time at this very moment. Try again in a few seconds: if it is still free, it is yours.")}
                </p>
                <p>{format!("This offer is open until {}. Whoever takes it first gets it.", offer.expires)}</p>
                {offer.replaces.is_some().then(|| view! {
                    <p>"Taking it moves your visit to this time; your current time is given to someone else."</p>
                })}
                <ActionForm action=take>
                    <input type="hidden" name="token" value=take_token/>
                    <button type="submit" disabled=move || take.pending().get()>"Take this time"</button>
                </ActionForm>
            }
            .into_any()
        }}
        <p class="form-error" role="alert">{error}</p>
        <details class="leave-waitlist">
            <summary>"I no longer need an earlier time"</summary>
            <ActionForm action=leave>
                <input type="hidden" name="token" value=token/>
                <button type="submit" class="secondary" disabled=move || leave.pending().get()>"Take me off the waitlist"</button>
            </ActionForm>
        </details>
    }
}

fn left() -> impl IntoView {
    view! {
        <p class="banner" role="status">"You are off the waitlist. Your appointments stay as they are."</p>
        <p><A href="/appointments">"My appointments"</A></p>
    }
}

/// `/offer/taken?at=…`: where taking an offer lands, with the visit's new time.
#[component]
pub fn OfferTakenPage() -> impl IntoView {
    let query = use_query_map();
    let directory = use_clinic_profile();
    view! {
        <Title text="The time is yours"/>
        <section class="form-page offer" aria-labelledby="offer-heading">
            <h1 id="offer-heading">"The time is yours"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let tz = zone(&directory.await.map(|d| d.time_zone).unwrap_or_default());
                    let at = query
                        .read()
                        .get("at")
                        .and_then(|v| v.parse::<BoundedInstant>().ok())
                        .map(BoundedInstant::get);
                    let message = match at {
                        Some(at) => format!("It's yours: your visit is now on {}.", full(tz, at)),
                        None => "It's yours: your visit is booked at the offered time.".to_owned(),
                    };
                    view! {
                        <p class="banner" role="status">{message}</p>
                    }
                })}
            </Suspense>
            <p>"A confirmation is on its way by email. Sign in to see or change your appointments."</p>
            <p><A href="/appointments">"My appointments"</A></p>
        </section>
    }
}

/// `/offer/left`: where leaving the list from an offer lands without JavaScript.
#[component]
pub fn OfferLeftPage() -> impl IntoView {
    view! {
        <Title text="Off the waitlist"/>
        <section class="form-page offer" aria-labelledby="offer-heading">
            <h1 id="offer-heading">"Off the waitlist"</h1>
            {left()}
        </section>
    }
}
