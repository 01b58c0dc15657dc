//! `/admin/holidays` (closed days, with a preview of the visits they affect),
//! `/admin/settings` (the clinic's details and policy) and `/admin/notifications` (the
//! outbox by state, retry).

use domain::bounded::BoundedDate;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::directory::use_clinic_profile;
use crate::api::staff::clinic::{list_holidays, preview_holiday, AddHoliday, RemoveHoliday};
use crate::api::staff::operations::{
    get_clinic_settings, get_message_settings, outbox, ClinicSettings, MessageSettingsForm,
    RetryNotifications, UpdateMessageSettings, UpdateSettings,
};
use crate::components::form::{field_message, Field};
use crate::components::time::{day, full, zone};
use crate::pages::admin::appointments::ActionResult;
use crate::pages::admin::{error_view, query_text, StaffFrame};
use crate::AppError;

#[component]
pub fn HolidaysPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let query = use_query_map();
    let add = ServerAction::<AddHoliday>::new();
    let remove = ServerAction::<RemoveHoliday>::new();
    let holidays = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| list_holidays(),
    );
    let asked = move || {
        query_text(query, "preview")?;
        Some((
            query_text(query, "date")?.parse::<BoundedDate>().ok()?,
            query_text(query, "name").unwrap_or_default(),
        ))
    };
    let preview = Resource::new(asked, |asked| async move {
        match asked {
            Some((date, name)) => Some(preview_holiday(date, name).await),
            None => None,
        }
    });
    view! {
        <StaffFrame title="Holidays">
            <p class="hint">"On a clinic holiday nobody can book; that day's booked visits go to the attention queue (every doctor is closed, so none can move by itself)."</p>
            <Suspense fallback=|| view! { <p>"Loading holidays…"</p> }>
                {move || Suspend::new(async move {
                    let preview = preview.await;
                    let list = holidays.await;
                    let asked = asked();
                    view! {
                        {match list {
                            Ok(rows) if rows.is_empty() => view! { <p class="empty">"No holidays ahead."</p> }.into_any(),
                            Ok(rows) => view! {
                                <ul class="holiday-list">{rows.into_iter().map(|h| view! {
                                    <li>
                                        {format!("{} — {}", day(h.date), h.name)}
                                        <ActionForm action=remove attr:class="inline-form">
                                            <input type="hidden" name="date" value=h.date.to_string()/>
                                            <button type="submit" class="link-button" aria-label=format!("Remove the holiday on {}", day(h.date))>"Remove"</button>
                                        </ActionForm>
                                    </li>
                                }).collect_view()}</ul>
                            }.into_any(),
                            Err(e) => error_view(e),
                        }}
                        <h2>"Add a holiday"</h2>
                        <form method="get" action="/admin/holidays" class="inline-fields">
                            <input type="hidden" name="preview" value="1"/>
                            <div class="field"><label for="holiday-date">"Day"</label><input id="holiday-date" type="date" name="date" required value=asked.as_ref().map(|a| a.0.to_string())/></div>
                            <div class="field"><label for="holiday-name">"Name"</label><input id="holiday-name" type="text" name="name" maxlength="100" required value=asked.as_ref().map(|a| a.1.clone())/></div>
                            <button type="submit">"Preview"</button>
                        </form>
                        {match (preview, asked) {
                            (Some(Ok(o)), Some((date, name))) => view! {
                                <div class="preview" role="status">
                                    <p>{format!("Closing {} sends {} booked visit(s) to the attention queue (and moves {}).", day(date.get()), o.queued, o.moved)}</p>
                                    <ActionForm action=add>
                                        <input type="hidden" name="date" value=date.to_string()/>
                                        <input type="hidden" name="name" value=name/>
                                        <button type="submit">"Add the holiday"</button>
                                    </ActionForm>
                                </div>
                            }.into_any(),
                            (Some(Err(e)), _) => error_view(e),
                            _ => ().into_any(),
                        }}
                    }.into_any()
                })}
            </Suspense>
            <ActionResult result=Signal::derive(move || add.value().get().map(|r| r.map(|o| format!("Added. {} visit(s) are in the attention queue.", o.queued))))/>
            <ActionResult result=Signal::derive(move || remove.value().get().map(|r| r.map(|_| "Removed: the day is open again.".to_owned())))/>
        </StaffFrame>
    }
}

/// Each setting: field, label, what a change affects.
const POLICY_FIELDS: [(&str, &str, &str); 9] = [
    ("slot_minutes", "Slot length (minutes)", "Times made from now on use it; booked visits keep theirs. Every doctor's hours must fit the new grid."),
    ("booking_horizon_days", "Booking horizon (days)", "How far ahead patients can book; times are made up to it."),
    ("min_notice_minutes", "Minimum notice (minutes)", "Patients cannot book sooner than this; staff can, with a reason."),
    ("hold_minutes", "Hold time (minutes)", "How long a chosen time is kept while a patient confirms; applies to new holds."),
    ("change_freeze_minutes", "Change freeze (minutes before a visit)", "Patients cannot move or cancel online inside it; staff can, with a reason."),
    ("max_changes_per_appointment", "Changes allowed per appointment", "Applies to changes from now on; earlier changes count."),
    ("max_active_appointments", "Upcoming appointments per patient", "Applies to new bookings; nobody loses a visit they have."),
    ("reminder_lead_minutes", "Reminder sent before a visit (minutes)", "Reminders not sent yet follow the new lead."),
    ("notification_debounce_minutes", "Message debounce (minutes)", "Changes within it become one message."),
];

#[component]
pub fn SettingsPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let update = ServerAction::<UpdateSettings>::new();
    let update_messages = ServerAction::<UpdateMessageSettings>::new();
    let settings = Resource::new(move || update.version().get(), |_| get_clinic_settings());
    let messages = Resource::new(
        move || update_messages.version().get(),
        |_| get_message_settings(),
    );
    view! {
        <StaffFrame title="Clinic settings">
            <Suspense fallback=|| view! { <p>"Loading settings…"</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(s) => view! { <SettingsForm s=s update=update/> }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match messages.await {
                        Ok(m) => view! { <MessageSettings m=m update=update_messages/> }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
        </StaffFrame>
    }
}

/// The second reminder and the country of typed phone numbers.
#[component]
fn MessageSettings(
    m: MessageSettingsForm,
    update: ServerAction<UpdateMessageSettings>,
) -> impl IntoView {
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    let for_field = move |f: &'static str| Signal::derive(move || field_message(error.get(), f));
    view! {
        <ActionForm action=update attr:class="settings-form">
            <h2>"Reminders and texts"</h2>
            <Field name="second_reminder_minutes" label="Second reminder (minutes before a visit)" kind="number"
                initial=m.second_reminder_minutes.clone()
                hint="Sent only to visits the patient has not confirmed. Leave empty for none."
                error=for_field("second_reminder_minutes")/>
            <Field name="phone_region" label="Country of phone numbers (two letters, e.g. US)" required=true
                initial=m.phone_region.clone()
                hint="Numbers typed without a country code are read as numbers of this country."
                error=for_field("phone_region")/>
            <p class="form-error" role="alert">{move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| e.message())}</p>
            <button type="submit" disabled=move || update.pending().get()>"Save reminders and texts"</button>
        </ActionForm>
        <div role="status" class="form-status">
            {move || update.value().get().and_then(Result::ok).map(|changes| view! {
                <p><strong>"Saved."</strong></p>
                <ul>{changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
            })}
        </div>
    }
}

#[component]
fn SettingsForm(s: ClinicSettings, update: ServerAction<UpdateSettings>) -> impl IntoView {
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    let for_field = move |f: &'static str| Signal::derive(move || field_message(error.get(), f));
    let p = &s.policy;
    let values = [
        p.slot_minutes,
        p.booking_horizon_days,
        p.min_notice_minutes,
        p.hold_minutes,
        p.change_freeze_minutes,
        p.max_changes_per_appointment,
        p.max_active_appointments,
        p.reminder_lead_minutes,
        p.notification_debounce_minutes,
    ];
    view! {
        <ActionForm action=update attr:class="settings-form">
            <h2>"The clinic"</h2>
            <Field name="clinic_name" label="Name" required=true initial=s.clinic_name.clone() error=for_field("clinic_name")/>
            <Field name="clinic_phone" label="Phone" kind="tel" initial=s.clinic_phone.clone() error=for_field("clinic_phone")/>
            <Field name="clinic_email" label="Email" kind="email" initial=s.clinic_email.clone() error=for_field("clinic_email")/>
            <Field name="clinic_address" label="Address" initial=s.clinic_address.clone() error=for_field("clinic_address")/>
            <h2>"Scheduling policy"</h2>
            <Field name="time_zone" label="Time zone (IANA, e.g. America/New_York)" required=true initial=s.policy.time_zone.clone()
                hint="Free times are made again in the new zone; booked visits keep their instant." error=for_field("time_zone")/>
            {POLICY_FIELDS.iter().zip(values).map(|((name, label, hint), value)| view! {
                <Field name=*name label=*label kind="number" required=true hint=*hint initial=value.to_string() error=for_field(name)/>
            }).collect_view()}
            <p class="form-error" role="alert">{move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| e.message())}</p>
            <button type="submit" disabled=move || update.pending().get()>"Save the settings"</button>
        </ActionForm>
        <div role="status" class="form-status">
            {move || update.value().get().and_then(Result::ok).map(|changes| view! {
                <p><strong>"Saved."</strong></p>
                <ul>{changes.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
            })}
        </div>
    }
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let query = use_query_map();
    let retry = ServerAction::<RetryNotifications>::new();
    let asked = move || {
        (
            query_text(query, "status"),
            query_text(query, "page").and_then(|p| p.parse::<u32>().ok()),
        )
    };
    let page = Resource::new(
        move || (asked(), retry.version().get()),
        |((status, page), _)| outbox(status, page),
    );
    let directory = use_clinic_profile();
    view! {
        <StaffFrame title="Notifications">
            <p class="hint">"Every message to patients goes through this outbox. Shown: kind, channel, state, attempts and the last error (addresses removed) — never the message itself."</p>
            <ActionForm action=retry>
                <button type="submit" class="secondary">"Retry every message given up on"</button>
            </ActionForm>
            <ActionResult result=Signal::derive(move || retry.value().get().map(|r| r.map(|n| format!("{n} message(s) queued again."))))/>
            <Suspense fallback=|| view! { <p>"Loading the outbox…"</p> }>
                {move || Suspend::new(async move {
                    let tz = zone(&directory.await.map(|d| d.time_zone).unwrap_or_default());
                    match page.await {
                        Ok(p) => view! {
                            <nav class="status-filter" aria-label="States">
                                <A href="/admin/notifications">"All"</A>
                                {p.counts.iter().map(|(status, n)| view! {
                                    <A href=format!("/admin/notifications?status={status}")>{format!("{status} ({n})")}</A>
                                }).collect_view()}
                            </nav>
                            {if p.rows.is_empty() {
                                view! { <p class="empty">"No messages."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-scroll"><table>
                                        <thead><tr><th scope="col">"#"</th><th scope="col">"Message"</th><th scope="col">"By"</th><th scope="col">"State"</th><th scope="col">"Attempts"</th><th scope="col">"Last error"</th><th scope="col">"Queued"</th><th scope="col"><span class="visually-hidden">"Action"</span></th></tr></thead>
                                        <tbody>{p.rows.into_iter().map(|r| view! {
                                            <tr>
                                                <td>{r.notification_id}</td>
                                                <td>{r.kind.replace('_', " ")}{r.appointment_id.map(|id| view! { " " <A href=format!("/admin/appointments/{id}")>{format!("(visit #{id})")}</A> })}</td>
                                                <td>{r.channel.clone()}</td>
                                                <td>{r.status.clone()}</td>
                                                <td>{r.attempts}</td>
                                                <td>{r.last_error.clone().unwrap_or_default()}</td>
                                                <td>{full(tz, r.created_at)}</td>
                                                <td>{(r.status == "dead").then(|| view! {
                                                    <ActionForm action=retry>
                                                        <input type="hidden" name="notification_id" value=r.notification_id.to_string()/>
                                                        <button type="submit" class="link-button" aria-label=format!("Retry message {}", r.notification_id)>"Retry"</button>
                                                    </ActionForm>
                                                })}</td>
                                            </tr>
                                        }).collect_view()}</tbody>
                                    </table></div>
                                }.into_any()
                            }}
                            {p.more.then(|| view! {
                                <p><a href=format!("/admin/notifications?status={}&page={}", query_text(query, "status").unwrap_or_default(), p.page + 1)>"Older messages →"</a></p>
                            })}
                        }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
        </StaffFrame>
    }
}
