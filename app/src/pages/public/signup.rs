use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::auth::Auth;
use crate::components::auth::next_param;
use crate::components::form::{field_message, Field};
use crate::AppError;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let auth = Auth::get();
    let next = next_param();
    let error = Signal::derive(move || auth.sign_up.value().get().and_then(Result::err));
    let for_field =
        move |field: &'static str| Signal::derive(move || field_message(error.get(), field));
    let general = move || match error.get() {
        Some(AppError::Validation { .. }) | None => None,
        Some(other) => Some(other.to_string()),
    };
    view! {
        <Title text="Create an account"/>
        <section class="form-page" aria-labelledby="signup-heading">
            <h1 id="signup-heading">"Create an account"</h1>
            <p>"Book and manage your visits online. We never share your details."</p>
            <ActionForm action=auth.sign_up>
                <input type="hidden" name="next" value=move || next.get()/>
                <Field name="first_name" label="First name" autocomplete="given-name" required=true error=for_field("first_name")/>
                <Field name="last_name" label="Last name" autocomplete="family-name" required=true error=for_field("last_name")/>
                <Field name="email" label="Email" kind="email" autocomplete="email" required=true error=for_field("email")/>
                <Field name="phone" label="Phone (optional)" kind="tel" autocomplete="tel"
                    hint="For text reminders, if you want them." error=for_field("phone")/>
                <Field name="password" label="Password" kind="password" autocomplete="new-password" required=true
                    hint="At least 8 characters. A few unusual words make a strong password." error=for_field("password")/>
                <p class="form-error" role="alert">{general}</p>
                <button type="submit" disabled=move || auth.sign_up.pending().get()>"Create account"</button>
            </ActionForm>
            <p>"Already have an account? " <A href="/login">"Sign in"</A></p>
        </section>
    }
}
