//! `/profile`: the patient's name, phone, email, text reminders and password.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::Role;
use crate::api::profile::{my_profile, UpdateProfile};
use crate::components::auth::RequireRole;
use crate::components::form::field_message;
use crate::components::password::ChangePasswordForm;

#[component]
pub fn ProfilePage() -> impl IntoView {
    view! {
        <Title text="Profile"/>
        <RequireRole roles=vec![Role::Patient]>
            <ProfileForm/>
            <ChangePasswordForm/>
        </RequireRole>
    }
}

#[component]
fn ProfileForm() -> impl IntoView {
    let update = ServerAction::<UpdateProfile>::new();
    let profile = Resource::new(move || update.version().get(), |_| my_profile());
    let error = Signal::derive(move || update.value().get().and_then(Result::err));
    let message = move |field: &'static str| move || field_message(error.get(), field);
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
                            <div class="field">
                                <label for="field-first_name">"First name"</label>
                                <input id="field-first_name" type="text" name="first_name" autocomplete="given-name" required value=p.first_name.clone()/>
                                <p class="field-error">{message("first_name")}</p>
                            </div>
                            <div class="field">
                                <label for="field-last_name">"Last name"</label>
                                <input id="field-last_name" type="text" name="last_name" autocomplete="family-name" required value=p.last_name.clone()/>
                                <p class="field-error">{message("last_name")}</p>
                            </div>
                            <div class="field">
                                <label for="field-email">"Email"</label>
                                <input id="field-email" type="email" value=p.email.clone() readonly aria-describedby="email-hint"/>
                                <p class="hint" id="email-hint">"To change your email, call the clinic."</p>
                            </div>
                            <div class="field">
                                <label for="field-phone">"Phone (optional)"</label>
                                <input id="field-phone" name="phone" type="tel" autocomplete="tel" value=p.phone.clone().unwrap_or_default()/>
                                <p class="field-error">{message("phone")}</p>
                            </div>
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
