//! The browser's side of passkeys: WebAuthn's `navigator.credentials.create()` and
//! `.get()` with the options the server sent (JSON), answering JSON for the server.
//! webauthn-rs's proto crate converts both ways, so no JavaScript of our own is needed
//! (and the CSP stays as it is). On the server these are never called.

use leptos::prelude::*;

use crate::api::two_step::{
    passkey_second_step_options, passkey_sign_in_options, second_step_with_passkey,
    sign_in_with_passkey,
};
use crate::components::auth::next_param;

/// Makes a passkey with the server's creation options; returns the browser's answer.
pub async fn create(options: String) -> Result<String, String> {
    #[cfg(feature = "hydrate")]
    {
        browser::create(&options).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = options;
        Err(NEEDS_BROWSER.to_owned())
    }
}

/// Asks the browser for a passkey with the server's request options; returns its answer.
pub async fn get(options: String) -> Result<String, String> {
    #[cfg(feature = "hydrate")]
    {
        browser::get(&options).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = options;
        Err(NEEDS_BROWSER.to_owned())
    }
}

#[cfg(not(feature = "hydrate"))]
const NEEDS_BROWSER: &str = "Passkeys need a browser with JavaScript.";

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    use webauthn_rs_proto::{
        CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential,
        RequestChallengeResponse,
    };

    const NO_PASSKEYS: &str = "This browser cannot use passkeys.";
    const CANCELLED: &str =
        "No passkey was used (cancelled, or the time ran out). Please try again.";

    fn container() -> Result<web_sys::CredentialsContainer, String> {
        let window = web_sys::window().ok_or(NO_PASSKEYS)?;
        // Older browsers have no WebAuthn at all.
        if !js_sys::Reflect::has(&window, &"PublicKeyCredential".into()).unwrap_or(false) {
            return Err(NO_PASSKEYS.to_owned());
        }
        Ok(window.navigator().credentials())
    }

    /// The browser's passkey, once the person has used their device (or why not).
    async fn answer(
        promise: Result<js_sys::Promise, leptos::wasm_bindgen::JsValue>,
    ) -> Result<web_sys::PublicKeyCredential, String> {
        let promise = promise.map_err(|_| NO_PASSKEYS.to_owned())?;
        let credential = JsFuture::from(promise)
            .await
            .map_err(|_| CANCELLED.to_owned())?;
        credential.dyn_into().map_err(|_| CANCELLED.to_owned())
    }

    pub async fn create(options: &str) -> Result<String, String> {
        let options: CreationChallengeResponse =
            serde_json::from_str(options).map_err(|e| e.to_string())?;
        let options: web_sys::CredentialCreationOptions = options.into();
        let credential = answer(container()?.create_with_options(&options)).await?;
        serde_json::to_string(&RegisterPublicKeyCredential::from(credential))
            .map_err(|e| e.to_string())
    }

    pub async fn get(options: &str) -> Result<String, String> {
        let options: RequestChallengeResponse =
            serde_json::from_str(options).map_err(|e| e.to_string())?;
        let options: web_sys::CredentialRequestOptions = options.into();
        let credential = answer(container()?.get_with_options(&options)).await?;
        serde_json::to_string(&PublicKeyCredential::from(credential)).map_err(|e| e.to_string())
    }
}

/// Goes to `url` with a full page load (the page is drawn for whoever is signed in now).
pub fn go_to(url: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = leptos::prelude::window().location().set_href(url);
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = url;
    }
}

/// "Use a passkey": on the sign-in page instead of the password, or on the code
/// page as the second step. Shown only once the page runs its script (passkeys need it);
/// then on to `next` (or the person's portal).
#[component]
pub fn PasskeySignIn(
    /// The second step after the password (else a sign-in of its own).
    #[prop(optional)]
    second_step: bool,
) -> impl IntoView {
    let next = next_param();
    let message = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Effects run only in the browser: without script the button never shows.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let go = move |_| {
        busy.set(true);
        message.set(None);
        leptos::task::spawn_local(async move {
            let result = async {
                let options = if second_step {
                    passkey_second_step_options().await
                } else {
                    passkey_sign_in_options().await
                }
                .map_err(|e| e.to_string())?;
                let answer = get(options).await?;
                if second_step {
                    second_step_with_passkey(answer).await
                } else {
                    sign_in_with_passkey(answer).await
                }
                .map_err(|e| e.to_string())
            }
            .await;
            busy.set(false);
            match result {
                Ok(user) => go_to(&domain::links::safe_next(
                    Some(&next.get_untracked()),
                    user.role,
                )),
                Err(e) => message.set(Some(e)),
            }
        });
    };
    let label = if second_step {
        "Use a passkey instead"
    } else {
        "Use a passkey"
    };
    view! {
        <div class="passkey-sign-in" hidden=move || !ready.get()>
            <button type="button" class="secondary" on:click=go disabled=move || busy.get()>{label}</button>
            <p class="form-error" role="alert">{move || message.get()}</p>
        </div>
    }
}
