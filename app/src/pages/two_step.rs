//! Two-step sign-in pages: `/login/code` (the code after the password), `/login/enrol`
//! (doctors and staff set it up after the password, before anything else),
//! `/account/two-step` (turn it on with a QR code, new recovery codes, turn it off) and
//! `/account/two-step/codes` (the recovery codes, shown once). Plain forms: they work
//! without JavaScript — except passkeys, which the browser makes and uses by script.

use base64::Engine as _;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use domain::role::Role;

use crate::api::auth::Auth;
use crate::api::two_step::{
    add_passkey, fresh_recovery_codes, get_enrolment_status, get_two_step_status,
    passkey_add_options, BeginEnrolment, BeginTwoStep, ConfirmTwoStep, NewRecoveryCodes,
    PasskeySummary, RemovePasskey, TurnOffTwoStep, TwoStepSetup, TwoStepStatus,
};
use crate::components::auth::{next_param, RequireRole};
use crate::components::form::{field_message, Field};
use crate::components::passkey::{self, PasskeySignIn};
use crate::AppError;

/// `/login/code`: the second step of signing in.
#[component]
pub fn LoginCodePage() -> impl IntoView {
    // The app-wide action: when it completes, who is signed in is read again.
    let submit = Auth::get().sign_in_code;
    let next = next_param();
    let error = Signal::derive(move || submit.value().get().and_then(Result::err));
    let general = move || match error.get() {
        Some(AppError::Validation { .. }) | None => None,
        Some(other) => Some(other.to_string()),
    };
    view! {
        <Title text="Enter your code"/>
        <section class="form-page" aria-labelledby="code-heading">
            <h1 id="code-heading">"Enter your code"</h1>
            <p>"Open your authenticator app and enter the 6-digit code it shows for this clinic. Lost your phone? Enter one of your recovery codes instead."</p>
            <ActionForm action=submit>
                <input type="hidden" name="next" value=move || next.get()/>
                <Field name="code" label="Code" autocomplete="one-time-code" required=true
                    error=Signal::derive(move || field_message(error.get(), "code"))/>
                <p class="form-error" role="alert">{general}</p>
                <button type="submit" disabled=move || submit.pending().get()>"Sign in"</button>
            </ActionForm>
            <PasskeySignIn second_step=true/>
            <p><A href="/login">"Start again"</A></p>
        </section>
    }
}

/// `/login/enrol`: a doctor or staff member without two-step sign-in sets it up right
/// after their password; nothing else opens until it is on.
#[component]
pub fn EnrolPage() -> impl IntoView {
    let begin = ServerAction::<BeginEnrolment>::new();
    // The app-wide action: finishing the setup signs the person in.
    let confirm = Auth::get().enrol;
    let next = next_param();
    let status = Resource::new(move || begin.version().get(), |_| get_enrolment_status());
    let begin_error = move || {
        begin
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let confirm_error = Signal::derive(move || confirm.value().get().and_then(Result::err));
    view! {
        <Title text="Set up two-step sign-in"/>
        <section class="form-page" aria-labelledby="enrol-heading">
            <h1 id="enrol-heading">"Set up two-step sign-in"</h1>
            <p>"The clinic's doctors and staff sign in with two steps: your password, then a 6-digit code from an authenticator app on your phone (such as Google Authenticator, Microsoft Authenticator or 1Password). Set it up now to continue."</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Err(AppError::Unauthenticated) => view! {
                            <p class="error" role="alert">"Your sign-in has expired. Please sign in again."</p>
                            <p><A href="/login">"Sign in"</A></p>
                        }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(TwoStepStatus { setup: Some(setup), .. }) => view! {
                            <SetupSteps setup>
                                <ActionForm action=confirm>
                                    <input type="hidden" name="next" value=move || next.get()/>
                                    <Field name="code" label="The 6-digit code your app shows now" autocomplete="one-time-code" required=true
                                        error=Signal::derive(move || field_message(confirm_error.get(), "code"))/>
                                    <button type="submit" disabled=move || confirm.pending().get()>"Turn on and continue"</button>
                                </ActionForm>
                            </SetupSteps>
                        }.into_any(),
                        Ok(_) => view! {
                            <ActionForm action=begin>
                                <input type="hidden" name="next" value=move || next.get()/>
                                <p class="form-error" role="alert">{begin_error}</p>
                                <button type="submit">"Set up two-step sign-in"</button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Transition>
            <p><A href="/login">"Start again"</A></p>
        </section>
    }
}

/// `/account/two-step`: turn two-step sign-in on or off; new recovery codes.
#[component]
pub fn TwoStepPage() -> impl IntoView {
    // Created here, outside the guard: see `RequireRole`.
    let begin = ServerAction::<BeginTwoStep>::new();
    let confirm = ServerAction::<ConfirmTwoStep>::new();
    let turn_off = ServerAction::<TurnOffTwoStep>::new();
    let new_codes = ServerAction::<NewRecoveryCodes>::new();
    let remove_passkey = ServerAction::<RemovePasskey>::new();
    // Bumped when a passkey was added (not a form action: the browser makes it first).
    let added = RwSignal::new(0u32);
    let status = Resource::new(
        move || {
            (
                begin.version().get(),
                turn_off.version().get(),
                remove_passkey.version().get(),
                added.get(),
            )
        },
        |_| get_two_step_status(),
    );
    view! {
        <RequireRole roles=vec![Role::Patient, Role::Doctor, Role::Admin] title="Two-step sign-in">
            <h1>"Two-step sign-in"</h1>
            <p><A href="/account">"← Your account"</A></p>
            <RecoveryNotice/>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(s) => {
                            let passkeys = s.passkeys.clone();
                            view! {
                                <TwoStepPanel status=s begin confirm turn_off new_codes/>
                                <PasskeySection passkeys remove=remove_passkey added/>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </RequireRole>
    }
}

/// The person's passkeys (each removable) and adding one: the browser makes it (with the
/// device's screen lock), then the server checks and keeps it.
#[component]
fn PasskeySection(
    passkeys: Vec<PasskeySummary>,
    remove: ServerAction<RemovePasskey>,
    added: RwSignal<u32>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let remove_error = move || {
        remove
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        message.set(None);
        leptos::task::spawn_local(async move {
            let result = async {
                let options = passkey_add_options().await.map_err(|e| e.to_string())?;
                let answer = passkey::create(options).await?;
                add_passkey(name.get_untracked(), answer)
                    .await
                    .map_err(|e| e.to_string())
            }
            .await;
            busy.set(false);
            match result {
                // The first second step: its recovery codes, once.
                Ok(true) => passkey::go_to("/account/two-step/codes"),
                Ok(false) => {
                    name.set(String::new());
                    added.update(|n| *n += 1);
                }
                Err(e) => message.set(Some(e)),
            }
        });
    };
    let list = (!passkeys.is_empty()).then(|| {
        view! {
            <ul class="passkeys">
                {passkeys.into_iter().map(|p| {
                    let used = match &p.last_used_on {
                        Some(day) => format!("added {}, last used {day}", p.added_on),
                        None => format!("added {}, not used yet", p.added_on),
                    };
                    let label = format!("Remove passkey {}", p.name);
                    view! {
                        <li>
                            <span class="passkey-name">{p.name.clone()}</span>
                            " " <span class="hint">{used}</span>
                            <ActionForm action=remove>
                                <input type="hidden" name="passkey_id" value=p.passkey_id/>
                                <button type="submit" class="link-button" aria-label=label>"Remove"</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    });
    view! {
        <h2>"Passkeys"</h2>
        <p>"A passkey signs you in with your phone's or computer's screen lock (fingerprint, face or PIN) — on its own, or after your password instead of a code."</p>
        {list}
        <p class="form-error" role="alert">{remove_error}</p>
        <form class="passkey-add" on:submit=add>
            <div class="field">
                <label for="field-passkey-name">"Name for this passkey (optional)"</label>
                <input id="field-passkey-name" name="name" type="text" maxlength="60"
                    placeholder="e.g. My phone"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))/>
            </div>
            <button type="submit" disabled=move || busy.get()>"Add a passkey"</button>
            <p class="form-error" role="alert">{move || message.get()}</p>
        </form>
        <noscript><p class="hint">"Adding a passkey needs JavaScript."</p></noscript>
    }
}

/// After signing in with a recovery code: how many are left.
#[component]
fn RecoveryNotice() -> impl IntoView {
    let query = use_query_map();
    move || {
        query
            .read()
            .get("recovery_left")
            .and_then(|n| n.parse::<i64>().ok())
            .map(|left| {
                let text = match left {
                    0 => "You used your last recovery code. Make new ones below now.".to_owned(),
                    1 => "You signed in with a recovery code: 1 is left.".to_owned(),
                    n => format!("You signed in with a recovery code: {n} are left."),
                };
                view! { <p class="notice" role="status">{text}</p> }
            })
    }
}

#[component]
fn TwoStepPanel(
    status: TwoStepStatus,
    begin: ServerAction<BeginTwoStep>,
    confirm: ServerAction<ConfirmTwoStep>,
    turn_off: ServerAction<TurnOffTwoStep>,
    new_codes: ServerAction<NewRecoveryCodes>,
) -> impl IntoView {
    let errors = move |value: Option<Result<(), AppError>>| value.and_then(Result::err);
    let begin_error = move || errors(begin.value().get()).map(|e| e.to_string());
    let new_codes_error = move || errors(new_codes.value().get()).map(|e| e.to_string());
    let confirm_error = Signal::derive(move || errors(confirm.value().get()));
    let off_error = Signal::derive(move || errors(turn_off.value().get()));
    if status.on {
        let left = status.recovery_codes_left;
        view! {
            <p class="status-on">"Two-step sign-in is on: signing in asks for a code from your authenticator app."</p>
            <p>{match left {
                1 => "1 recovery code is left.".to_owned(),
                n => format!("{n} recovery codes are left."),
            }}</p>
            <ActionForm action=new_codes>
                <p class="form-error" role="alert">{new_codes_error}</p>
                <button type="submit">"Make new recovery codes"</button>
                <p class="hint">"The old ones stop working, and your other devices are signed out."</p>
            </ActionForm>
            {(!status.required).then(|| view! {
                <h2>"Turn it off"</h2>
                <ActionForm action=turn_off>
                    <Field name="code" label="Code from your app, or a recovery code" autocomplete="one-time-code" required=true
                        error=Signal::derive(move || field_message(off_error.get(), "code"))/>
                    <button type="submit">"Turn off two-step sign-in"</button>
                </ActionForm>
            })}
            {status.required.then(|| view! {
                <p class="hint">"Two-step sign-in is required for the clinic's doctors and staff."</p>
            })}
        }
        .into_any()
    } else {
        let with_passkeys = !status.passkeys.is_empty();
        let left = status.recovery_codes_left;
        match status.setup {
            None if with_passkeys => view! {
                <p class="status-on">"Two-step sign-in is on with your passkey: after your password, your device's screen lock confirms it is you."</p>
                <p>{format!("Recovery codes left: {left}.")}</p>
                <ActionForm action=new_codes>
                    <p class="form-error" role="alert">{new_codes_error}</p>
                    <button type="submit">"Make new recovery codes"</button>
                </ActionForm>
                <p>"You can also use a 6-digit code from an authenticator app on your phone."</p>
                <ActionForm action=begin>
                    <p class="form-error" role="alert">{begin_error}</p>
                    <button type="submit">"Add an authenticator app"</button>
                </ActionForm>
            }
            .into_any(),
            None => view! {
                <p>"Two-step sign-in protects your account: after your password, you also enter a 6-digit code from an authenticator app on your phone (such as Google Authenticator, Microsoft Authenticator or 1Password) — or use a passkey (below)."</p>
                {status.required.then(|| view! {
                    <p class="notice" role="status">"Two-step sign-in is required for the clinic's doctors and staff. Please turn it on now."</p>
                })}
                <ActionForm action=begin>
                    <p class="form-error" role="alert">{begin_error}</p>
                    <button type="submit">"Turn on two-step sign-in"</button>
                </ActionForm>
            }
            .into_any(),
            Some(setup) => view! { <SetupForm setup confirm error=confirm_error/> }.into_any(),
        }
    }
}

#[component]
fn SetupForm(
    setup: TwoStepSetup,
    confirm: ServerAction<ConfirmTwoStep>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    view! {
        <SetupSteps setup>
            <ActionForm action=confirm>
                <Field name="code" label="The 6-digit code your app shows now" autocomplete="one-time-code" required=true
                    error=Signal::derive(move || field_message(error.get(), "code"))/>
                <button type="submit" disabled=move || confirm.pending().get()>"Turn on"</button>
            </ActionForm>
        </SetupSteps>
    }
}

/// The two steps of a setup: scan the key (or type it), then the form for the first code
/// (`children`).
#[component]
fn SetupSteps(setup: TwoStepSetup, children: Children) -> impl IntoView {
    // A data: image (the page's CSP allows those), not markup inserted into the page.
    let qr = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(setup.qr_svg.as_bytes())
    );
    view! {
        <ol class="steps">
            <li>
                <p>"Scan this code with your authenticator app:"</p>
                <img class="qr" src=qr width="220" height="220"
                    alt="QR code for your authenticator app (the same key is written out below)"/>
                <p>"Or type this key into the app: " <code class="secret">{setup.secret}</code></p>
            </li>
            <li>{children()}</li>
        </ol>
    }
}

/// `/account/two-step/codes`: the recovery codes just made, shown this once.
#[component]
pub fn RecoveryCodesPage() -> impl IntoView {
    let codes = Resource::new(|| (), |_| fresh_recovery_codes());
    // On to where the person was going when setting it up after signing in; else their
    // account page.
    let next = next_param();
    let onward = Signal::derive(move || {
        let next = next.get();
        if domain::links::is_local_path(&next) {
            next
        } else {
            "/account".to_owned()
        }
    });
    view! {
        <RequireRole roles=vec![Role::Patient, Role::Doctor, Role::Admin] title="Your recovery codes">
            <h1>"Your recovery codes"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match codes.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(codes) if codes.is_empty() => view! {
                            <p>"Recovery codes are shown only once, right after they are made. If you did not keep them, make new ones on the "
                                <A href="/account/two-step">"two-step sign-in page"</A>"."</p>
                        }.into_any(),
                        Ok(codes) => view! {
                            <p>"Two-step sign-in is on. Keep these codes somewhere safe (printed, or in a password manager): each one signs you in once if you lose your phone. They are shown only now."</p>
                            <ul class="recovery-codes">
                                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
                            </ul>
                            <p><A href=move || onward.get()>"I have kept them"</A></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </RequireRole>
    }
}
