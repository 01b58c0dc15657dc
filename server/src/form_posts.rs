//! Forms without JavaScript: one mechanism for every form.
//!
//! A browser without the app's script (not loaded yet, blocked, or turned off) posts a
//! form straight to its server function. The server function answers JSON, which the
//! browser would show as a raw page. This middleware turns a plain form post's answer into
//! what a person expects:
//! - success: `303 See Other` to where the server function sent them (or back to the page);
//! - failure: `303 See Other` back to the page the form is on, with the error and the
//!   values typed (never passwords) kept in the session for that one page view
//!   ([`FormFlash`]); the page shows the message next to its field and refills the form.
//!
//! Requests from the hydrated app (`fetch`, asking for JSON) pass untouched.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{ACCEPT, CONTENT_TYPE, HOST, LOCATION, REFERER};
use http::{HeaderValue, Method, StatusCode};
use tower_sessions::Session;

use app::components::form::FormFlash;
use app::AppError;

const FLASH_KEY: &str = "form_flash";
/// Bounds on what is read and kept: forms here are small.
const MAX_FORM_BYTES: usize = 64 * 1024;
const MAX_ERROR_BYTES: usize = 64 * 1024;
const MAX_KEPT_FIELDS: usize = 40;
const MAX_KEPT_CHARS: usize = 4000;

pub async fn plain_form_posts(req: Request, next: Next) -> Response {
    let session = req.extensions().get::<Session>().cloned();
    if is_page_view(&req) {
        return match session {
            Some(session) => next.run(with_flash(req, &session).await).await,
            None => next.run(req).await,
        };
    }
    if !is_plain_form_post(&req) {
        return next.run(req).await;
    }

    let back = return_path(&req);
    let action = req.uri().path().to_owned();
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_FORM_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let error = AppError::BadRequest("the form was too large to read".to_owned());
            return flash_and_return(session, action, error, Vec::new(), &back).await;
        }
    };
    let values = kept_values(&bytes);
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;

    let status = response.status();
    if status.is_success() || status.is_redirection() {
        return see_other(
            response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(strip_error_query)
                .unwrap_or(back),
        );
    }
    let error = read_error(response).await;
    flash_and_return(session, action, error, values, &back).await
}

/// A GET of a page (not a server function or a static file): it may have a flash waiting.
fn is_page_view(req: &Request) -> bool {
    let path = req.uri().path();
    req.method() == Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/pkg/")
        && !path.rsplit('/').next().unwrap_or_default().contains('.')
}

/// A browser's own form submission: form-encoded, and it wants a page back.
fn is_plain_form_post(req: &Request) -> bool {
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .unwrap_or_default()
    };
    req.method() == Method::POST
        && req.uri().path().starts_with("/api/")
        && header(ACCEPT).contains("text/html")
        && header(CONTENT_TYPE).starts_with("application/x-www-form-urlencoded")
}

/// Takes the waiting flash out of the session (one page view) into the request, where
/// the app's render finds it.
async fn with_flash(mut req: Request, session: &Session) -> Request {
    match session.remove::<FormFlash>(FLASH_KEY).await {
        Ok(Some(flash)) => {
            req.extensions_mut().insert(flash);
        }
        Ok(None) => {}
        Err(err) => tracing::warn!(error = %err, "could not read the form flash"),
    }
    req
}

/// The page the form was on: the `Referer` when it is this site, else the home page.
fn return_path(req: &Request) -> String {
    let host = req.headers().get(HOST).and_then(|h| h.to_str().ok());
    let referer = req.headers().get(REFERER).and_then(|r| r.to_str().ok());
    let (Some(host), Some(referer)) = (host, referer) else {
        return "/".to_owned();
    };
    let same_site = referer
        .split_once("://")
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.strip_prefix(host))
        .filter(|path| path.starts_with('/') && !path.starts_with("//"));
    match same_site {
        Some(path) if path.bytes().all(|b| b.is_ascii_graphic()) => strip_error_query(path),
        _ => "/".to_owned(),
    }
}

/// Leptos' own no-JS mechanism puts the error into the URL (`__path`, `__err`); the flash
/// replaces it, and a stale one must not reappear.
fn strip_error_query(location: &str) -> String {
    let Some((path, query)) = location.split_once('?') else {
        return location.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.starts_with("__path=") && !pair.starts_with("__err="))
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

fn kept_values(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .filter(|(name, _)| !FormFlash::is_secret(name))
        .filter(|(_, value)| value.chars().count() <= MAX_KEPT_CHARS)
        .take(MAX_KEPT_FIELDS)
        .collect()
}

/// The server function's error, from its JSON answer.
async fn read_error(response: Response) -> AppError {
    let status = response.status();
    let body = to_bytes(response.into_body(), MAX_ERROR_BYTES)
        .await
        .unwrap_or_default();
    serde_json::from_slice::<AppError>(&body).unwrap_or_else(|_| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::BadRequest("the form was too large to read".to_owned())
        } else if status.is_client_error() {
            AppError::BadRequest("the form could not be read".to_owned())
        } else {
            AppError::internal(format!("form post answered {status}"))
        }
    })
}

async fn flash_and_return(
    session: Option<Session>,
    action: String,
    error: AppError,
    values: Vec<(String, String)>,
    back: &str,
) -> Response {
    if let Some(session) = session {
        let flash = FormFlash {
            action,
            error,
            values,
        };
        if let Err(err) = session.insert(FLASH_KEY, flash).await {
            tracing::warn!(error = %err, "could not keep the form flash");
        }
    }
    see_other(back.to_owned())
}

fn see_other(location: String) -> Response {
    match HeaderValue::from_str(&location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(LOCATION, value)]).into_response(),
        Err(_) => (
            StatusCode::SEE_OTHER,
            [(LOCATION, HeaderValue::from_static("/"))],
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(referer: &str) -> Request {
        Request::builder()
            .method(Method::POST)
            .uri("/api/log_in")
            .header(HOST, "clinic.test")
            .header(REFERER, referer)
            .body(Body::empty())
            .unwrap()
    }

    #[test]
    fn returns_only_to_pages_of_this_site() {
        assert_eq!(
            return_path(&request("http://clinic.test/login?next=%2Fbook")),
            "/login?next=%2Fbook"
        );
        assert_eq!(return_path(&request("https://evil.test/login")), "/");
        assert_eq!(return_path(&request("http://clinic.test.evil.test/x")), "/");
        assert_eq!(
            return_path(&request("http://clinic.test//evil.test/x")),
            "/"
        );
        assert_eq!(
            return_path(&request(
                "http://clinic.test/book?week=2026-11-23&__path=%2Fapi%2Fhold_time&__err=abc"
            )),
            "/book?week=2026-11-23"
        );
    }

    #[test]
    fn never_keeps_passwords() {
        let kept = kept_values(
            b"email=a%40b.test&password=hunter22&new_password=x&current_password=y&reason=cough",
        );
        assert_eq!(
            kept,
            vec![
                ("email".to_owned(), "a@b.test".to_owned()),
                ("reason".to_owned(), "cough".to_owned())
            ]
        );
    }
}
