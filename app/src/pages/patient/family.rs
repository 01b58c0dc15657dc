//! `/family`: the people the patient looks after (add, invite to their own login, remove)
//! and who may manage the patient's own visits (take access away, or grant it again).

use leptos::prelude::*;

use crate::api::family::{
    my_family, AddPerson, CarerView, FamilyView, InvitePerson, PersonView, RegrantCarer,
    RemovePerson, RevokeCarer,
};
use crate::components::auth::RequireRole;
use crate::components::form::{field_message, Field};
use crate::AppError;
use domain::role::Role;

#[component]
pub fn FamilyPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let add = ServerAction::<AddPerson>::new();
    let remove = ServerAction::<RemovePerson>::new();
    let invite = ServerAction::<InvitePerson>::new();
    let revoke = ServerAction::<RevokeCarer>::new();
    let regrant = ServerAction::<RegrantCarer>::new();
    let family = Resource::new(
        move || {
            (
                add.version().get(),
                remove.version().get(),
                invite.version().get(),
                revoke.version().get(),
                regrant.version().get(),
            )
        },
        |_| my_family(),
    );
    let actions = Actions {
        remove,
        invite,
        revoke,
        regrant,
    };
    view! {
        <RequireRole roles=vec![Role::Patient] title="Family">
            <h1>"Family"</h1>
            <p>"Book and manage visits for the people you look after: children, or a parent you care for. Each person keeps their own record with the clinic."</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match family.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(f) => view! { <Family f=f actions=actions/> }.into_any(),
                    }
                })}
            </Transition>
            <AddPersonForm add=add/>
        </RequireRole>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    remove: ServerAction<RemovePerson>,
    invite: ServerAction<InvitePerson>,
    revoke: ServerAction<RevokeCarer>,
    regrant: ServerAction<RegrantCarer>,
}

fn error_of(value: Option<Result<(), AppError>>) -> Option<String> {
    value.and_then(Result::err).map(|e| e.message())
}

#[component]
fn Family(f: FamilyView, actions: Actions) -> impl IntoView {
    let FamilyView { people, carers } = f;
    let problems = move || {
        error_of(actions.remove.value().get())
            .or_else(|| error_of(actions.invite.value().get()))
            .or_else(|| error_of(actions.revoke.value().get()))
            .or_else(|| error_of(actions.regrant.value().get()))
    };
    view! {
        <div role="alert" class="form-error">{problems}</div>
        <section aria-labelledby="people-heading">
            <h2 id="people-heading">"People you look after"</h2>
            {if people.is_empty() {
                view! { <p>"No one yet. Add someone below."</p> }.into_any()
            } else {
                view! {
                    <ul class="people">
                        {people.into_iter().map(|p| view! { <Person p=p actions=actions/> }).collect_view()}
                    </ul>
                    <p><a href="/book">"Book a visit"</a>" — choose whom it is for when you pick a time."</p>
                }.into_any()
            }}
        </section>
        {(!carers.is_empty()).then(|| view! {
            <section aria-labelledby="carers-heading">
                <h2 id="carers-heading">"Who can manage your visits"</h2>
                <ul class="carers">
                    {carers.into_iter().map(|c| view! { <Carer c=c actions=actions/> }).collect_view()}
                </ul>
            </section>
        })}
    }
}

#[component]
fn Person(p: PersonView, actions: Actions) -> impl IntoView {
    let id = p.patient_id;
    let name = format!("{} {}", p.first_name, p.last_name);
    let age = p.age.map(|a| format!(", age {a}")).unwrap_or_default();
    let upcoming = match p.upcoming {
        0 => "No upcoming visits".to_owned(),
        1 => "1 upcoming visit".to_owned(),
        n => format!("{n} upcoming visits"),
    };
    let contact = match (&p.email, &p.phone) {
        (None, None) => "Messages about their visits come to you.".to_owned(),
        (Some(e), None) => format!("Messages go to you and to {e}."),
        (None, Some(ph)) => format!("Messages come to you; their number: {ph}."),
        (Some(e), Some(ph)) => format!("Messages go to you and to {e} ({ph})."),
    };
    let first = p.first_name.clone();
    let invite_label = format!("Invite {first} to their own login");
    let send_label = format!("Send {first} an invitation");
    let remove_label = format!("Remove {first}");
    let has_email = p.email.is_some();
    view! {
        <li class="person" data-patient-id=id>
            <p><strong>{name}</strong>{format!(" — {}{age}", p.relationship)}</p>
            <p class="hint">{format!("{upcoming}. {contact}")}</p>
            <details>
                <summary>{invite_label}</summary>
                <p>"When they choose a password they manage their own visits, and your access ends (they can give it back)."</p>
                <ActionForm action=actions.invite>
                    <input type="hidden" name="patient_id" value=id/>
                    {(!has_email).then(|| view! {
                        <div class="field">
                            <label for=format!("invite-email-{id}")>"Their email address"</label>
                            <input id=format!("invite-email-{id}") name="email" type="email" autocomplete="off" required/>
                        </div>
                    })}
                    <button type="submit">{send_label}</button>
                </ActionForm>
            </details>
            <ActionForm action=actions.remove>
                <input type="hidden" name="patient_id" value=id/>
                <button type="submit" class="secondary">{remove_label}</button>
                <span class="hint">" Their record and visits stay with the clinic."</span>
            </ActionForm>
        </li>
    }
}

#[component]
fn Carer(c: CarerView, actions: Actions) -> impl IntoView {
    let id = c.carer_patient_id;
    let name = c.name.clone();
    let state = match (c.live, c.ended_reason.as_deref()) {
        (true, _) => "can book and change your visits",
        (false, Some("own_login")) => "looked after your visits before you had your own login",
        (false, _) => "no longer manages your visits",
    };
    view! {
        <li class="carer">
            <p><strong>{name.clone()}</strong>{format!(" ({}) {state}.", c.relationship)}</p>
            {if c.live {
                view! {
                    <ActionForm action=actions.revoke>
                        <input type="hidden" name="carer_patient_id" value=id/>
                        <button type="submit" class="secondary">{format!("Stop {name}'s access")}</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <ActionForm action=actions.regrant>
                        <input type="hidden" name="carer_patient_id" value=id/>
                        <button type="submit">{format!("Let {name} manage my visits again")}</button>
                    </ActionForm>
                }.into_any()
            }}
        </li>
    }
}

#[component]
fn AddPersonForm(add: ServerAction<AddPerson>) -> impl IntoView {
    let error = Signal::derive(move || add.value().get().and_then(Result::err));
    let message =
        move |field: &'static str| Signal::derive(move || field_message(error.get(), field));
    // Each person added clears the form for the next (a refused one keeps what was typed).
    let added = Memo::new(move |before: Option<&u32>| {
        let before = before.copied().unwrap_or(0);
        if matches!(add.value().get(), Some(Ok(_))) {
            before + 1
        } else {
            before
        }
    });
    view! {
        <section aria-labelledby="add-heading">
            <h2 id="add-heading">"Add someone you look after"</h2>
            <p class="form-status" role="status">{move || matches!(add.value().get(), Some(Ok(_))).then_some("Added.")}</p>
            {move || { added.track(); view! {
            <ActionForm action=add>
                <Field name="first_name" label="First name" required=true error=message("first_name")/>
                <Field name="last_name" label="Last name" required=true error=message("last_name")/>
                <Field name="date_of_birth" label="Date of birth" kind="date" required=true error=message("date_of_birth")/>
                <Field name="relationship" label="You are their…" hint="For example: Parent, Daughter, Carer" required=true error=message("relationship")/>
                <Field name="email" label="Their email (optional)" kind="email" hint="Messages about their visits go to you, and also here" error=message("email")/>
                <Field name="phone" label="Their phone (optional)" kind="tel" error=message("phone")/>
                <button type="submit" disabled=move || add.pending().get()>"Add"</button>
            </ActionForm>
            } }}
        </section>
    }
}
