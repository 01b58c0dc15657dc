//! `/admin`: today's visits across doctors and the clinic's figures — utilisation per
//! doctor as a bar chart (server-rendered SVG, the same numbers in a table), the no-show
//! rate, the attention queue and failing messages, each linking to its page.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::staff::appointments::StaffConfirmVisit;
use crate::api::staff::today::{staff_today, DoctorUse, TodayView};
use crate::components::time::{clock, day, zone};
use crate::pages::admin::{error_view, ratio, status_label, StaffFrame};

#[component]
pub fn StaffTodayPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let confirm = ServerAction::<StaffConfirmVisit>::new();
    let today = Resource::new(move || confirm.version().get(), |_| staff_today());
    view! {
        <StaffFrame title="Today at the clinic">
            <Suspense fallback=|| view! { <p>"Loading today…"</p> }>
                {move || Suspend::new(async move {
                    match today.await {
                        Ok(t) => view! { <Today t=t confirm=confirm/> }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
        </StaffFrame>
    }
}

/// "6" (days), or "–" before any time was re-filled.
pub(super) fn days_gained(median: Option<f64>) -> String {
    median.map_or("–".to_owned(), |d| format!("{d:.0}"))
}

#[component]
fn Today(t: TodayView, confirm: ServerAction<StaffConfirmVisit>) -> impl IntoView {
    let tz = zone(&t.time_zone);
    let visits = t.visits.len();
    let c = t.confirmation;
    let calls = t.call_list;
    view! {
        <p class="zone-note">{format!("{}. Times are in the clinic's time zone, {}.", day(t.date), t.time_zone)}</p>
        <ul class="figures">
            <li><A href="/admin/appointments"><strong>{visits}</strong>" visits today"</A></li>
            <li><A href="/admin/attention"><strong>{t.attention_open}</strong>" waiting in the attention queue"</A></li>
            <li><A href="/admin/notifications?status=dead"><strong>{t.messages_failing}</strong>" messages failing"</A></li>
            <li><A href="/admin/appointments?status=no_show"><strong>{ratio(t.no_shows_30d, t.outcomes_30d)}</strong>" visits marked no-show in 30 days"</A></li>
            <li><A href="/admin/waitlist"><strong>{ratio(t.waitlist.refilled, t.waitlist.freed_offered)}</strong>" freed times re-filled from the waitlist in 30 days"</A></li>
            <li><A href="/admin/waitlist"><strong>{days_gained(t.waitlist.median_days_gained)}</strong>" median days sooner for those who took one"</A></li>
            <li><strong>{ratio(c.confirmed, c.marked)}</strong>" visits in 30 days confirmed by the patient beforehand"</li>
            <li><strong>{ratio(c.no_show_confirmed, c.confirmed)}</strong>" no-shows among confirmed visits, "<strong>{ratio(c.no_show_unconfirmed, c.marked - c.confirmed)}</strong>" among the others"</li>
        </ul>
        <section aria-labelledby="use-heading">
            <h2 id="use-heading">"How full each doctor is"</h2>
            <UseChart id="today-use" title="Today" rows=t.today_use/>
            <UseChart id="week-use" title="This week" rows=t.week_use/>
        </section>
        <section aria-labelledby="visits-heading">
            <h2 id="visits-heading">"Today's visits"</h2>
            {if t.visits.is_empty() {
                view! { <p class="empty">"No visits today."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll">
                        <table>
                            <thead><tr><th scope="col">"Time"</th><th scope="col">"Patient"</th><th scope="col">"Doctor"</th><th scope="col">"Visit"</th><th scope="col">"Status"</th><th scope="col">"Patient says"</th></tr></thead>
                            <tbody>
                                {t.visits.into_iter().map(|a| {
                                    let says = a.view.attendance().unwrap_or("");
                                    view! {
                                    <tr>
                                        <td><A href=format!("/admin/appointments/{}", a.view.appointment_id)>{clock(tz, a.view.start)}</A></td>
                                        <td><A href=format!("/admin/patients/{}", a.patient_id)>{a.view.patient_name.clone().unwrap_or_default()}</A></td>
                                        <td>{a.view.doctor_name.clone()}</td>
                                        <td>{a.view.type_name.clone()}</td>
                                        <td>{status_label(a.view.status)}</td>
                                        <td class="attendance">{says}</td>
                                    </tr>
                                }}).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
        <section aria-labelledby="calls-heading">
            <h2 id="calls-heading">"Call these: tomorrow's visits not confirmed yet"</h2>
            {if calls.is_empty() {
                view! { <p class="empty">"Every visit tomorrow is confirmed, or there are none."</p> }.into_any()
            } else {
                view! {
                    <p class="hint">"Patients who missed visits before come first."</p>
                    <div class="table-scroll">
                        <table class="call-list">
                            <thead><tr><th scope="col">"Time"</th><th scope="col">"Patient"</th><th scope="col">"Phone"</th><th scope="col">"Doctor"</th><th scope="col">"Earlier no-shows"</th><th scope="col">"Reached"</th></tr></thead>
                            <tbody>
                                {calls.into_iter().map(|r| {
                                    let reached = format!("Will come: mark {} confirmed", r.patient_name);
                                    view! {
                                    <tr>
                                        <td><A href=format!("/admin/appointments/{}", r.appointment_id)>{clock(tz, r.start)}</A></td>
                                        <td><A href=format!("/admin/patients/{}", r.patient_id)>{r.patient_name.clone()}</A></td>
                                        <td>{r.phone.clone().map(|p| view! { <a href=format!("tel:{p}")>{p.clone()}</a> })}</td>
                                        <td>{r.doctor_name.clone()}</td>
                                        <td>{r.earlier_no_shows}</td>
                                        <td>
                                            <ActionForm action=confirm attr:class="inline-form">
                                                <input type="hidden" name="appointment_id" value=r.appointment_id/>
                                                <button type="submit" class="link-button" aria-label=reached>"Will come"</button>
                                            </ActionForm>
                                        </td>
                                    </tr>
                                }}).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// Booked ÷ offered per doctor: a bar chart drawn on the server (no script needed), and
/// the same numbers as a table.
#[component]
fn UseChart(id: &'static str, title: &'static str, rows: Vec<DoctorUse>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <h3>{title}</h3><p class="empty">"No doctor has times then."</p> }
            .into_any();
    }
    const ROW: i64 = 26;
    const LABEL: i64 = 190;
    const BAR: i64 = 300;
    let height = ROW * rows.len() as i64 + 8;
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    let labelled = format!("{title_id} {desc_id}");
    let desc = format!(
        "Booked share of offered times per doctor; the table below has the same numbers for {}.",
        title.to_lowercase()
    );
    view! {
        <h3 id=title_id.clone()>{title}</h3>
        <svg class="use-chart" role="img" aria-labelledby=labelled viewBox=format!("0 0 {} {height}", LABEL + BAR + 60) width="100%" preserveAspectRatio="xMinYMin meet">
            <desc id=desc_id>{desc}</desc>
            {rows.iter().enumerate().map(|(i, r)| {
                let y = i as i64 * ROW + 4;
                let width = BAR * r.percent() / 100;
                view! {
                    <g>
                        <text x="0" y=y + 17 class="chart-label">{r.name.clone()}</text>
                        <rect x=LABEL y=y width=BAR height="18" class="chart-track"/>
                        <rect x=LABEL y=y width=width height="18" class="chart-bar"/>
                        <text x=LABEL + BAR + 6 y=y + 14 class="chart-value">{format!("{}%", r.percent())}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
        <div class="table-scroll">
            <table class="use-table">
                <caption>{format!("{title}: booked and offered times per doctor")}</caption>
                <thead><tr><th scope="col">"Doctor"</th><th scope="col">"Booked"</th><th scope="col">"Offered"</th><th scope="col">"Share"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr><th scope="row">{r.name.clone()}</th><td>{r.booked}</td><td>{r.offered}</td><td>{format!("{}%", r.percent())}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}
