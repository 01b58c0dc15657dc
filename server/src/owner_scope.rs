//! Keeps one request's reactive owner from leaking into another request's code.
//!
//! Leptos keeps "the current reactive owner" in a thread-local. `leptos_axum` creates each
//! page render's root owner with `Owner::new_root`, which *sets* that thread-local and
//! never clears it. The worker thread then carries the page's owner into whatever task it
//! polls next. Two handlers in `leptos_axum` (0.8.10) call `Owner::new()` outside any scope
//! and so adopt that stale owner as their parent:
//! - the static-file handler looks up `ResponseOptions` through that parent and *takes*
//!   the concurrent page's response headers — its nonce'd Content-Security-Policy ends up
//!   on a stylesheet or favicon response, the page falls back to the nonce-less policy, and
//!   the browser blocks the hydration script (the page never comes alive);
//! - a server function's owner becomes a child of another request's page, whose forced
//!   clean-up at the end of its stream then tears down the server function's reactive
//!   state while it is still running.
//!
//! [`isolate_owner`] wraps every request: the thread-local owner is cleared before and
//! after each poll of the request's future, so nothing can inherit a stranger's owner.
//! Every legitimate use of an owner inside leptos scopes it itself (`Owner::with`,
//! `ScopedFuture`), so clearing between polls takes nothing from anyone.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use leptos::reactive::owner::Owner;

/// Middleware: runs the rest of the stack with no inherited reactive owner.
pub async fn isolate_owner(req: Request, next: Next) -> Response {
    WithoutOwner(Box::pin(next.run(req))).await
}

struct WithoutOwner<F>(Pin<Box<F>>);

impl<F: Future> Future for WithoutOwner<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        clear_current_owner();
        let poll = self.0.as_mut().poll(cx);
        clear_current_owner();
        poll
    }
}

fn clear_current_owner() {
    if let Some(owner) = Owner::current() {
        owner.unset();
    }
}
