use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{Auth, ResendVerification};
use domain::links::encode_next;

use crate::components::auth::next_param;
use crate::components::form::{field_message, Field};
use crate::AppError;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let auth = Auth::get();
    let query = use_query_map();
    let next = next_param();
    let sent = move || {
        matches!(auth.sign_up.value().get(), Some(Ok(()))) || query.read().get("sent").is_some()
    };
    let error = Signal::derive(move || auth.sign_up.value().get().and_then(Result::err));
    let for_field =
        move |field: &'static str| Signal::derive(move || field_message(error.get(), field));
    let general = move || match error.get() {
        Some(AppError::Validation { .. }) | None => None,
        Some(other) => Some(other.to_string()),
    };
    view! {
        <Title text="Create an account"/>
        <Show when=sent fallback=move || view! {
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
                <p>"Already have an account? " <A href=move || format!("/login?next={}", encode_next(&next.get()))>"Sign in"</A></p>
            </section>
        }>
            <CheckYourEmail/>
        </Show>
    }
}

/// After signing up: the link is on its way; it can be sent again.
#[component]
fn CheckYourEmail() -> impl IntoView {
    let resend = ServerAction::<ResendVerification>::new();
    let error = Signal::derive(move || resend.value().get().and_then(Result::err));
    view! {
        <section class="form-page" aria-labelledby="check-heading">
            <h1 id="check-heading">"Check your email"</h1>
            <p role="status">
                "We have sent you an email. Open the link in it to confirm your address; "
                "then you are signed in and can book. The link works for 24 hours."
            </p>
            <p>"If you already had an account with that address, the email tells you how to sign in instead."</p>
            <h2>"No email?"</h2>
            <p>"Check your spam folder, or have the link sent again."</p>
            <ActionForm action=resend>
                <Field name="email" label="Email" kind="email" autocomplete="email" required=true
                    error=Signal::derive(move || field_message(error.get(), "email"))/>
                <p class="form-status" role="status">
                    {move || matches!(resend.value().get(), Some(Ok(()))).then_some("If that address is waiting to be confirmed, a new link is on its way.")}
                </p>
                <button type="submit" disabled=move || resend.pending().get()>"Send the link again"</button>
            </ActionForm>
        </section>
    }
}
