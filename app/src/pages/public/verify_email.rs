//! `/verify-email?token=…&next=…`: a new patient confirms their address. A button, not
//! the link itself, confirms it: mail scanners that open links must not use it up.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::api::auth::Auth;
use crate::components::auth::next_param;
use crate::components::form::field_message;
use crate::AppError;

#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let next = next_param();
    let verify = Auth::get().verify_email;
    let error = Signal::derive(move || verify.value().get().and_then(Result::err));
    view! {
        <Title text="Confirm your email address"/>
        <section class="form-page" aria-labelledby="verify-heading">
            <h1 id="verify-heading">"Confirm your email address"</h1>
            <p>"One click and your account is ready: you will be signed in and can book."</p>
            <ActionForm action=verify>
                <input type="hidden" name="token" value=token/>
                <input type="hidden" name="next" value=move || next.get()/>
                <div class="form-error" role="alert">
                    {move || field_message(error.get(), "token").map(|message| view! {
                        <p>{message}</p>
                        <p><A href="/signup?sent=1">"Send me a new link"</A>" · "<A href="/login">"Sign in"</A></p>
                    })}
                    {move || error.get().filter(|e| !matches!(e, AppError::Validation { .. })).map(|e| view! { <p>{e.to_string()}</p> })}
                </div>
                <button type="submit" disabled=move || verify.pending().get()>"Confirm my email address"</button>
            </ActionForm>
        </section>
    }
}
