//! `/forgot-password` asks for a reset link; `/reset-password?token=…` sets a new password;
//! `/welcome?token=…` sets the first one (an invitation from the clinic).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::{Auth, RequestPasswordReset};
use crate::components::form::{field_message, Field};
use crate::AppError;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestPasswordReset>::new();
    let query = use_query_map();
    let error = Signal::derive(move || request.value().get().and_then(Result::err));
    let sent =
        move || matches!(request.value().get(), Some(Ok(()))) || query.read().get("sent").is_some();
    view! {
        <Title text="Forgot your password"/>
        <section class="form-page" aria-labelledby="forgot-heading">
            <h1 id="forgot-heading">"Forgot your password?"</h1>
            <Show
                when=sent
                fallback=move || view! {
                    <p>"Enter the email address of your account. We will send you a link to choose a new password."</p>
                    <ActionForm action=request>
                        <Field name="email" label="Email" kind="email" autocomplete="email" required=true
                            error=Signal::derive(move || field_message(error.get(), "email"))/>
                        <p class="form-error" role="alert">
                            {move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| e.to_string())}
                        </p>
                        <button type="submit" disabled=move || request.pending().get()>"Send me a link"</button>
                    </ActionForm>
                }
            >
                <p role="status">
                    "If an account exists for that address, we have sent it a link to choose a new password. "
                    "The link works once, for 30 minutes. Check your spam folder if it does not arrive."
                </p>
            </Show>
            <p><A href="/login">"Back to sign in"</A></p>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let reset = Auth::get().reset_password;
    let error = Signal::derive(move || reset.value().get().and_then(Result::err));
    let link_problem = move || field_message(error.get(), "token");
    view! {
        <Title text="Choose a new password"/>
        <section class="form-page" aria-labelledby="reset-heading">
            <h1 id="reset-heading">"Choose a new password"</h1>
            <ActionForm action=reset>
                <input type="hidden" name="token" value=token/>
                <Field name="new_password" label="New password" kind="password" autocomplete="new-password"
                    required=true hint="At least 8 characters. A few unusual words make a strong password."
                    error=Signal::derive(move || field_message(error.get(), "new_password"))/>
                <div class="form-error" role="alert">
                    {move || link_problem().map(|message| view! {
                        <p>{message}</p>
                        <p><A href="/forgot-password">"Send me a new link"</A></p>
                    })}
                    {move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| view! { <p>{e.to_string()}</p> })}
                </div>
                <button type="submit" disabled=move || reset.pending().get()>"Save my new password"</button>
            </ActionForm>
        </section>
    }
}

/// A patient the staff recorded chooses their first password from the invitation link.
#[component]
pub fn WelcomePage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let accept = Auth::get().accept_invitation;
    let error = Signal::derive(move || accept.value().get().and_then(Result::err));
    let link_problem = move || field_message(error.get(), "token");
    view! {
        <Title text="Welcome: choose your password"/>
        <section class="form-page" aria-labelledby="welcome-heading">
            <h1 id="welcome-heading">"Choose your password"</h1>
            <p>"The clinic has invited you to see and manage your appointments online. Choose a password to sign in with from now on."</p>
            <ActionForm action=accept>
                <input type="hidden" name="token" value=token/>
                <Field name="new_password" label="Password" kind="password" autocomplete="new-password"
                    required=true hint="At least 8 characters. A few unusual words make a strong password."
                    error=Signal::derive(move || field_message(error.get(), "new_password"))/>
                <div class="form-error" role="alert">
                    {move || link_problem().map(|message| view! {
                        <p>{message}</p>
                        <p><A href="/forgot-password">"Send me a link to choose a password"</A></p>
                    })}
                    {move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| view! { <p>{e.to_string()}</p> })}
                </div>
                <button type="submit" disabled=move || accept.pending().get()>"Save my password and sign in"</button>
            </ActionForm>
        </section>
    }
}
