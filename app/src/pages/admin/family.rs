//! The family section of a patient's staff page: whom they look after, who looks after
//! them, and the staff's changes (add a person, link, unlink, invite), each with a reason.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::staff::family::{
    staff_family, StaffAddPerson, StaffFamilyView, StaffInvitePerson, StaffLinkPerson,
    StaffUnlinkPerson,
};
use crate::components::form::{field_message, Field};
use crate::pages::admin::appointments::ActionResult;
use crate::pages::admin::error_view;

#[component]
pub fn StaffFamily(patient_id: i64) -> impl IntoView {
    let add = ServerAction::<StaffAddPerson>::new();
    let link = ServerAction::<StaffLinkPerson>::new();
    let unlink = ServerAction::<StaffUnlinkPerson>::new();
    let invite = ServerAction::<StaffInvitePerson>::new();
    let family = Resource::new(
        move || {
            (
                add.version().get(),
                link.version().get(),
                unlink.version().get(),
                invite.version().get(),
            )
        },
        move |_| staff_family(patient_id),
    );
    let add_error = Signal::derive(move || add.value().get().and_then(Result::err));
    let message =
        move |field: &'static str| Signal::derive(move || field_message(add_error.get(), field));
    view! {
        <section aria-labelledby="family-heading" class="staff-family">
            <h2 id="family-heading">"Family"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match family.await {
                        Ok(f) => view! { <FamilyLists f=f patient_id=patient_id unlink=unlink invite=invite/> }.into_any(),
                        Err(e) => error_view(e),
                    }
                })}
            </Transition>
            <ActionResult result=Signal::derive(move || unlink.value().get().map(|r| r.map(|()| "Unlinked.".to_owned())))/>
            <ActionResult result=Signal::derive(move || invite.value().get().map(|r| r.map(|()| "Invitation sent.".to_owned())))/>
            <details>
                <summary>"Link an existing patient they look after"</summary>
                <ActionForm action=link>
                    <input type="hidden" name="carer_patient_id" value=patient_id/>
                    <div class="field"><label for="link-patient">"Patient number"</label><input id="link-patient" type="text" name="patient_id" inputmode="numeric" required/></div>
                    <div class="field"><label for="link-relationship">"Relationship (this patient is their…)"</label><input id="link-relationship" type="text" name="relationship" required maxlength="60"/></div>
                    <div class="field"><label for="link-reason">"Reason"</label><input id="link-reason" type="text" name="reason" required maxlength="500"/></div>
                    <button type="submit">"Link"</button>
                </ActionForm>
                <ActionResult result=Signal::derive(move || link.value().get().map(|r| r.map(|()| "Linked.".to_owned())))/>
            </details>
            <details>
                <summary>"Add a person they look after"</summary>
                <ActionForm action=add>
                    <input type="hidden" name="carer_patient_id" value=patient_id/>
                    <Field name="first_name" label="First name" required=true error=message("first_name")/>
                    <Field name="last_name" label="Last name" required=true error=message("last_name")/>
                    <Field name="date_of_birth" label="Date of birth" kind="date" required=true error=message("date_of_birth")/>
                    <Field name="relationship" label="Relationship (this patient is their…)" required=true error=message("relationship")/>
                    <Field name="email" label="Their email (optional)" kind="email" error=message("email")/>
                    <Field name="phone" label="Their phone (optional)" kind="tel" error=message("phone")/>
                    <Field name="reason" label="Reason" required=true error=message("reason")/>
                    <button type="submit">"Add"</button>
                </ActionForm>
                <ActionResult result=Signal::derive(move || add.value().get().map(|r| r.map(|id| format!("Added (patient #{id})."))))/>
            </details>
        </section>
    }
}

#[component]
fn FamilyLists(
    f: StaffFamilyView,
    patient_id: i64,
    unlink: ServerAction<StaffUnlinkPerson>,
    invite: ServerAction<StaffInvitePerson>,
) -> impl IntoView {
    let StaffFamilyView { cares_for, carers } = f;
    view! {
        <h3>"Looks after"</h3>
        {if cares_for.is_empty() { view! { <p class="empty">"No one."</p> }.into_any() } else { view! {
            <ul class="people">
                {cares_for.into_iter().map(|p| {
                    let id = p.patient_id;
                    let name = format!("{} {}", p.first_name, p.last_name);
                    let born = p.date_of_birth.map(|d| format!(", born {d}")).unwrap_or_default();
                    let unlink_label = format!("Unlink {name}");
                    view! {
                        <li>
                            <A href=format!("/admin/patients/{id}")>{name.clone()}</A>
                            {format!(" — {}{born}; {} upcoming{}", p.relationship, p.upcoming, if p.has_login { "; has their own login" } else { "" })}
                            <ActionForm action=unlink attr:class="inline-fields">
                                <input type="hidden" name="carer_patient_id" value=patient_id/>
                                <input type="hidden" name="patient_id" value=id/>
                                <label for=format!("unlink-reason-{id}")>"Reason for unlinking"</label>
                                <input id=format!("unlink-reason-{id}") type="text" name="reason" required maxlength="500"/>
                                <button type="submit" class="secondary">{unlink_label}</button>
                            </ActionForm>
                            {(!p.has_login).then(|| view! {
                                <ActionForm action=invite attr:class="inline-fields">
                                    <input type="hidden" name="patient_id" value=id/>
                                    {p.email.is_none().then(|| view! {
                                        <label for=format!("invite-email-{id}")>"Their email"</label>
                                        <input id=format!("invite-email-{id}") name="email" type="email" required/>
                                    })}
                                    <button type="submit">"Invite to their own login"</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any() }}
        <h3>"Looked after by"</h3>
        {if carers.is_empty() { view! { <p class="empty">"No one."</p> }.into_any() } else { view! {
            <ul class="carers">
                {carers.into_iter().map(|c| {
                    let id = c.carer_patient_id;
                    let state = match (c.live, c.ended_reason.as_deref()) {
                        (true, _) => "linked now".to_owned(),
                        (false, Some(r)) => format!("link ended ({})", r.replace('_', " ")),
                        (false, None) => "link ended".to_owned(),
                    };
                    let unlink_label = format!("Unlink {}", c.name);
                    view! {
                        <li>
                            <A href=format!("/admin/patients/{id}")>{c.name.clone()}</A>
                            {format!(" — {}; {state}", c.relationship)}
                            {c.live.then(|| view! {
                                <ActionForm action=unlink attr:class="inline-fields">
                                    <input type="hidden" name="carer_patient_id" value=id/>
                                    <input type="hidden" name="patient_id" value=patient_id/>
                                    <label for=format!("unlink-carer-reason-{id}")>"Reason for unlinking"</label>
                                    <input id=format!("unlink-carer-reason-{id}") type="text" name="reason" required maxlength="500"/>
                                    <button type="submit" class="secondary">{unlink_label}</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any() }}
    }
}
