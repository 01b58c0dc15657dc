//! `/admin/attention`: visits that could not move to another doctor by themselves. Staff
//! move them (a suggested time, possibly the same time with a free colleague), cancel
//! them, or keep them — always with a note; the patient is told of a move or cancellation.

use chrono::Utc;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::directory::use_clinic_profile;
use crate::api::staff::clinic::{attention_queue, AttentionItem, ResolveAttention};
use crate::components::time::{full, iso, zone};
use crate::pages::admin::appointments::ActionResult;
use crate::pages::admin::{error_view, StaffFrame};

fn cause_words(cause: &str) -> &'static str {
    match cause {
        "doctor_leave" => "The doctor is on leave",
        "doctor_blocked" => "The doctor blocked the time",
        "holiday" => "Clinic holiday",
        "hours_changed" => "The doctor's hours changed",
        "doctor_inactive" => "The doctor was deactivated",
        _ => "Needs staff",
    }
}

/// "3 hours", "2 days"
fn age(since: chrono::DateTime<Utc>) -> String {
    let d = Utc::now() - since;
    if d.num_days() >= 1 {
        format!("{} day(s)", d.num_days())
    } else if d.num_hours() >= 1 {
        format!("{} hour(s)", d.num_hours())
    } else {
        format!("{} minute(s)", d.num_minutes().max(0))
    }
}

#[component]
pub fn AttentionPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let resolve = ServerAction::<ResolveAttention>::new();
    let queue = Resource::new(move || resolve.version().get(), |_| attention_queue());
    let directory = use_clinic_profile();
    view! {
        <StaffFrame title="Attention queue">
            <ActionResult result=Signal::derive(move || resolve.value().get().map(|r| r.map(|_| "Done. The patient is told of any change.".to_owned())))/>
            <Suspense fallback=|| view! { <p>"Loading the queue…"</p> }>
                {move || Suspend::new(async move {
                    let tz = zone(&directory.await.map(|d| d.time_zone).unwrap_or_default());
                    match queue.await {
                        Ok(items) if items.is_empty() => view! { <p class="empty" role="status">"Nothing is waiting."</p> }.into_any(),
                        Ok(items) => view! {
                            <ul class="attention-list">
                                {items.into_iter().map(|item| view! { <li><Item item=item tz=tz resolve=resolve/></li> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
        </StaffFrame>
    }
}

#[component]
fn Item(
    item: AttentionItem,
    tz: chrono_tz::Tz,
    resolve: ServerAction<ResolveAttention>,
) -> impl IntoView {
    let v = item.visit.clone();
    let key = item.item_id;
    view! {
        <article class="attention-item" aria-labelledby=format!("item-{key}")>
            <h2 id=format!("item-{key}")>
                <A href=format!("/admin/patients/{}", item.patient_id)>{v.patient_name.clone().unwrap_or_default()}</A>
                {format!(" — {}", full(tz, v.start))}
            </h2>
            <p>{format!("{} with {}. {}; waiting {}.", v.type_name, v.doctor_name, cause_words(&item.cause), age(item.waiting_since))}</p>
            <p><A href=format!("/admin/appointments/{}", v.appointment_id)>"Open the visit"</A></p>
            <ActionForm action=resolve attr:class="resolve-form">
                <input type="hidden" name="item_id" value=key.to_string()/>
                <fieldset>
                    <legend>"What was agreed"</legend>
                    {item.suggestions.iter().enumerate().map(|(i, t)| {
                        let id = format!("item-{key}-move-{i}");
                        let same = *t == v.start;
                        view! {
                            <span class="choice">
                                <input type="radio" id=id.clone() name="start" value=iso(*t)/>
                                <label for=id>{format!("Move to {}{}", full(tz, *t), if same { " (same time, a free colleague)" } else { "" })}</label>
                            </span>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="field">
                    <label for=format!("item-{key}-action")>"Action"</label>
                    <select id=format!("item-{key}-action") name="action">
                        <option value="move">"Move to the chosen time"</option>
                        <option value="cancel">"Cancel the visit"</option>
                        <option value="keep">"Keep it as it is"</option>
                    </select>
                </div>
                <div class="field">
                    <label for=format!("item-{key}-note")>"Note (required)"</label>
                    <input id=format!("item-{key}-note") type="text" name="note" maxlength="400" required/>
                </div>
                <button type="submit">"Resolve"</button>
            </ActionForm>
        </article>
    }
}
