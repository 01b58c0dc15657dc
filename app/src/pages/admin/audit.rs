//! `/admin/audit`: the audit log filtered by patient, actor, action and dates; the hash
//! chain checked from the page; the filtered rows as CSV.

use domain::bounded::BoundedDate;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::directory::use_clinic_profile;
use crate::api::staff::operations::{audit_log, VerifyAuditChain};
use crate::components::time::{full, zone};
use crate::pages::admin::{error_view, query_text, StaffFrame};
use domain::links::encode_next;

const FILTERS: [&str; 5] = ["patient_id", "actor", "action", "from", "to"];

#[component]
pub fn AuditPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let query = use_query_map();
    let verify = ServerAction::<VerifyAuditChain>::new();
    let asked = move || {
        let date = |k| query_text(query, k).and_then(|d| d.parse::<BoundedDate>().ok());
        (
            query_text(query, "patient_id").and_then(|p| p.parse::<i64>().ok()),
            query_text(query, "actor"),
            query_text(query, "action"),
            date("from"),
            date("to"),
            query_text(query, "page").and_then(|p| p.parse::<u32>().ok()),
        )
    };
    let rows = Resource::new(asked, |(patient, actor, action, from, to, page)| {
        audit_log(patient, actor, action, from, to, page)
    });
    let directory = use_clinic_profile();
    let filter_query = move || {
        FILTERS
            .iter()
            .filter_map(|k| query_text(query, k).map(|v| format!("{k}={}", encode_next(&v))))
            .collect::<Vec<_>>()
            .join("&")
    };
    view! {
        <StaffFrame title="Audit log">
            <form method="get" action="/admin/audit" class="search-form" role="search" aria-label="Audit log">
                <div class="field"><label for="audit-patient">"Patient number"</label><input id="audit-patient" type="number" name="patient_id" min="1" value=move || query_text(query, "patient_id")/></div>
                <div class="field"><label for="audit-actor">"Actor email (part)"</label><input id="audit-actor" type="search" name="actor" value=move || query_text(query, "actor")/></div>
                <div class="field"><label for="audit-action">"Action (start, e.g. appointment.)"</label><input id="audit-action" type="search" name="action" value=move || query_text(query, "action")/></div>
                <div class="field"><label for="audit-from">"From"</label><input id="audit-from" type="date" name="from" value=move || query_text(query, "from")/></div>
                <div class="field"><label for="audit-to">"Until"</label><input id="audit-to" type="date" name="to" value=move || query_text(query, "to")/></div>
                <button type="submit">"Filter"</button>
            </form>
            <div class="actions">
                <a href=move || format!("/admin/audit.csv?{}", filter_query()) download="audit-log.csv">"Download these rows as CSV"</a>
                <ActionForm action=verify><button type="submit" class="secondary">"Check the chain"</button></ActionForm>
            </div>
            <p role="status" class="form-status" data-testid="chain-result">
                {move || verify.value().get().map(|r| match r {
                    Ok(c) if c.intact => format!("The chain is intact: {} rows checked.", c.rows),
                    Ok(c) => format!("The chain is broken at row {}: {}.", c.broken_at.unwrap_or_default(), c.problem.unwrap_or_default()),
                    Err(e) => e.message(),
                })}
            </p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let tz = zone(&directory.await.map(|d| d.time_zone).unwrap_or_default());
                    match rows.await {
                        Ok(page) if page.rows.is_empty() => view! { <p class="empty">"No rows match."</p> }.into_any(),
                        Ok(page) => view! {
                            <div class="table-scroll"><table class="audit">
                                <thead><tr><th scope="col">"#"</th><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th><th scope="col">"Patient"</th><th scope="col">"Object"</th><th scope="col">"Outcome"</th><th scope="col">"Detail"</th></tr></thead>
                                <tbody>{page.rows.into_iter().map(|r| view! {
                                    <tr>
                                        <td>{r.chain_seq}</td>
                                        <td>{full(tz, r.occurred_at)}</td>
                                        <td>{format!("{} ({})", r.actor, r.actor_role)}</td>
                                        <td>{r.action.clone()}</td>
                                        <td>{r.patient_id.map(|p| view! { <a href=format!("/admin/patients/{p}")>{format!("#{p}")}</a> })}</td>
                                        <td>{r.target.clone().unwrap_or_default()}</td>
                                        <td>{r.outcome.clone()}</td>
                                        <td>{r.detail.clone().unwrap_or_default()}</td>
                                    </tr>
                                }).collect_view()}</tbody>
                            </table></div>
                            {page.more.then(|| view! { <p><a href=format!("/admin/audit?{}&page={}", filter_query(), page.page + 1)>"Older rows →"</a></p> })}
                        }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Suspense>
        </StaffFrame>
    }
}
