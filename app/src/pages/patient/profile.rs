//! `/profile`: the patient's name, phone, email, text reminders, places on the waitlist
//! and password.

use leptos::prelude::*;

use super::waitlist::WaitlistPlaces;
use crate::api::profile::{my_profile, ProfileView, UpdateProfile};
use crate::api::waitlist::{my_waitlist, LeaveWaitlist};
use crate::components::auth::RequireRole;
use crate::components::form::{field_message, Field};
use crate::components::password::ChangePasswordForm;
use domain::role::Role;

#[component]
pub fn ProfilePage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let update = ServerAction::<UpdateProfile>::new();
    let profile = Resource::new(move || update.version().get(), |_| my_profile());
    let leave = ServerAction::<LeaveWaitlist>::new();
    let places = Resource::new(move || leave.version().get(), |_| my_waitlist());
    view! {
        <RequireRole roles=vec![Role::Patient] title="Profile">
            <ProfileForm update=update profile=profile/>
            <Transition fallback=|| ()>
                {move || places.get().and_then(Result::ok).map(|places| view! { <WaitlistPlaces places=places leave=leave/> })}
            </Transition>
            <ChangePasswordForm/>
        </RequireRole>
    }
}

#[component]
fn ProfileForm(
    update: ServerAction<UpdateProfile>,
    profile: Resource<Result<ProfileView, crate::AppError>>,
) -> impl IntoView {
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    let message =
        move |field: &'static str| Signal::derive(move || field_message(error.get(), field));
    view! {
        <h1>"Your profile"</h1>
        // Outside the form: it survives the form's refresh after saving.
        <p class="form-status" role="status">{move || matches!(update.value().get(), Some(Ok(_))).then_some("Saved.")}</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(p) => view! {
                        <ActionForm action=update>
                            <Field name="first_name" label="First name" autocomplete="given-name" required=true
                                initial=p.first_name.clone() error=message("first_name")/>
                            <Field name="last_name" label="Last name" autocomplete="family-name" required=true
                                initial=p.last_name.clone() error=message("last_name")/>
                            <div class="field">
                                <label for="field-email">"Email"</label>
                                <input id="field-email" type="email" value=p.email.clone() readonly aria-describedby="email-hint"/>
                                <p class="hint" id="email-hint">"To change your email, call the clinic."</p>
                            </div>
                            <Field name="phone" label="Phone (optional)" kind="tel" autocomplete="tel"
                                initial=p.phone.clone().unwrap_or_default() error=message("phone")/>
                            <div class="field checkbox">
                                <input id="field-sms" name="sms_opt_in" type="checkbox" checked=p.sms_opt_in/>
                                <label for="field-sms">"Send me text messages about my appointments"</label>
                            </div>
                            <button type="submit" disabled=move || update.pending().get()>"Save"</button>
                        </ActionForm>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
