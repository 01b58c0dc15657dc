//! The header's user menu and the route guard. Guards only steer people to the right
//! page; the server functions authorize every call themselves.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_location;

use domain::links::encode_next;
use domain::role::Role;

use crate::api::auth::Auth;

/// The `next` query value of the current page, decoded exactly once from the raw query
/// string (the router's own query map decodes escapes twice on the server: `%2509`
/// would become a tab).
pub fn next_param() -> Signal<String> {
    let location = use_location();
    Signal::derive(move || {
        location.search.with(|search| {
            search
                .trim_start_matches('?')
                .split('&')
                .filter_map(|pair| pair.strip_prefix("next="))
                .map(decode_query_value)
                .next()
                .unwrap_or_default()
        })
    })
}

/// `application/x-www-form-urlencoded` value decoding: `+` is a space, `%XX` a byte.
fn decode_query_value(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[component]
pub fn UserMenu() -> impl IntoView {
    let auth = Auth::get();
    view! {
        <Transition fallback=|| ()>
            {move || {
                match auth.user.get().and_then(Result::ok).flatten() {
                    Some(user) => view! {
                        <div class="user-menu">
                            {(user.role == Role::Patient).then(|| view! {
                                <A href="/appointments" exact=true>"My appointments"</A>
                                <A href="/family" exact=true>"Family"</A>
                                <A href="/profile" exact=true>"Profile"</A>
                            })}
                            <A href="/account" exact=true attr:class="account-link">{format!("{} (account)", user.display_name)}</A>
                            <ActionForm action=auth.log_out>
                                <button type="submit" class="link-button">"Sign out"</button>
                            </ActionForm>
                        </div>
                    }
                    .into_any(),
                    None => view! {
                        <div class="user-menu">
                            <A href="/login">"Sign in"</A>
                        </div>
                    }
                    .into_any(),
                }
            }}
        </Transition>
    }
}

/// Shows `children` (under the page title `title`) only to a signed-in person with one
/// of `roles`; sends an anonymous visitor to sign in (and back here afterwards). Someone
/// signed in with another role gets `403` and a page that says whom this page is for and
/// links to their own portal — neither the title nor the markup of the page refused.
///
/// The children are built inside a `Suspense`, which during a server render builds them
/// more than once (a dry run to discover resources, then the real one) and drops the
/// extra copies. A resource created in there would keep running with its owner gone and
/// find no server state. So a page creates its resources and actions *before* the guard
/// and passes them in; the children only read them.
#[component]
pub fn RequireRole(roles: Vec<Role>, title: &'static str, children: ChildrenFn) -> impl IntoView {
    let auth = Auth::get();
    let location = use_location();
    let children = StoredValue::new(children);
    let roles = StoredValue::new(roles);
    view! {
        <Suspense fallback=|| view! { <p>"Checking your sign-in…"</p> }>
            {move || Suspend::new(async move {
                let here = location.pathname.get_untracked();
                match auth.user.await {
                    Ok(Some(user)) if roles.with_value(|r| r.contains(&user.role)) => {
                        view! { <Title text=title/> {children.with_value(|c| c())} }.into_any()
                    }
                    Ok(Some(user)) => roles
                        .with_value(|r| view! { <NotForYou for_role=r.first().copied() yours=user.role/> })
                        .into_any(),
                    Ok(None) => view! { <Redirect path=format!("/login?next={}", encode_next(&here))/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A page of another portal, as its signed-in visitor sees it: `403`, whom it is for, and
/// the way to their own portal.
#[component]
fn NotForYou(for_role: Option<Role>, yours: Role) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::FORBIDDEN);
    }
    let whom = match for_role {
        Some(Role::Admin) => "clinic staff",
        Some(Role::Doctor) => "the clinic's doctors",
        _ => "patients",
    };
    let (link, label) = match yours {
        Role::Patient => ("/appointments", "Go to your appointments"),
        Role::Doctor => ("/doctor", "Go to your calendar"),
        Role::Admin => ("/admin", "Go to the staff portal"),
    };
    view! {
        <Title text="Not available"/>
        <h1>"This page is not for your account"</h1>
        <p>{format!("It is for {whom}. You are signed in with another kind of account.")}</p>
        <p><A href=link>{label}</A></p>
    }
}
