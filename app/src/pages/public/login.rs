use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::auth::Auth;
use domain::links::encode_next;

use crate::components::auth::next_param;
use crate::components::form::{field_message, Field};
use crate::components::passkey::PasskeySignIn;
use crate::AppError;

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = Auth::get();
    let next = next_param();
    let error = Signal::derive(move || auth.log_in.value().get().and_then(Result::err));
    let general = move || match error.get() {
        Some(AppError::Validation { .. }) | None => None,
        Some(other) => Some(other.to_string()),
    };
    view! {
        <Title text="Sign in"/>
        <section class="form-page" aria-labelledby="login-heading">
            <h1 id="login-heading">"Sign in"</h1>
            <ActionForm action=auth.log_in>
                <input type="hidden" name="next" value=move || next.get()/>
                <Field name="email" label="Email" kind="email" autocomplete="email" required=true
                    error=Signal::derive(move || field_message(error.get(), "email"))/>
                <Field name="password" label="Password" kind="password" autocomplete="current-password" required=true
                    error=Signal::derive(move || field_message(error.get(), "password"))/>
                <p class="form-error" role="alert">
                    {general}
                    {move || matches!(error.get(), Some(AppError::EmailNotConfirmed)).then(|| view! {
                        " " <A href="/signup?sent=1">"Send me the link again"</A>
                    })}
                </p>
                <button type="submit" disabled=move || auth.log_in.pending().get()>"Sign in"</button>
            </ActionForm>
            <PasskeySignIn/>
            <p><A href="/forgot-password">"Forgot your password?"</A></p>
            <p>
                "New here? "
                <A href=move || format!("/signup?next={}", encode_next(&next.get()))>"Create an account"</A>
            </p>
        </section>
    }
}
