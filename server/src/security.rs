//! HTTP hardening: cross-site request refusal (CSRF) and security headers on every
//! response. Leptos server functions check neither, so this layer does.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};

#[derive(Debug, Clone)]
pub struct SecuritySettings {
    pub https: bool,
    pub public_origin: Option<String>,
}

/// Refuses state-changing requests that a browser marks as coming from another site
/// (`Sec-Fetch-Site`) or whose `Origin` is not this site. Safe methods pass: nothing
/// here changes state on GET.
pub async fn refuse_cross_site(
    settings: Arc<SecuritySettings>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|site| site != "same-origin" && site != "none") {
        return forbidden();
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let expected = match &settings.public_origin {
            Some(origin) => Some(origin.clone()),
            None => headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(|host| format!("{}://{host}", if settings.https { "https" } else { "http" })),
        };
        if expected.as_deref() != origin.to_str().ok() {
            return forbidden();
        }
    }
    next.run(req).await
}

fn forbidden() -> Response {
    tracing::warn!("cross-site state-changing request refused");
    (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
}

/// The policy for pages without their own (pages set one with a per-response nonce).
const FALLBACK_CSP: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; object-src 'none'; \
                            base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Adds the security headers to every response that lacks them.
pub async fn security_headers(
    settings: Arc<SecuritySettings>,
    req: Request<Body>,
    next: Next,
) -> Response {
    // Content-hashed bundle files (the wasm, script and stylesheet, the app's manifest
    // and icons) never change under their name: cached for a year without asking again.
    // Other static files (the service worker and the offline page it keeps) are
    // revalidated; everything else may carry patient data and must never be stored.
    let path = req.uri().path();
    let cache_control = if is_fingerprinted(path) {
        "public, max-age=31536000, immutable"
    } else if path.starts_with("/pkg/") || STATIC_FILES.contains(&path) {
        "no-cache"
    } else {
        "no-store"
    };
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, FALLBACK_CSP);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=()",
    );
    set(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(header::CACHE_CONTROL, cache_control);
    if settings.https {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        );
    }
    response
}

/// Static files outside `/pkg/` (`public/`): the same for everyone, no patient data.
const STATIC_FILES: [&str; 4] = ["/favicon.svg", "/sw.js", "/offline.html", "/offline.js"];

/// `/pkg/<name>.<16 hex digits>.<ext>`: a file `cargo xtask build` named by its content.
fn is_fingerprinted(path: &str) -> bool {
    let Some(file) = path.strip_prefix("/pkg/") else {
        return false;
    };
    let parts: Vec<&str> = file.split('.').collect();
    parts.len() >= 3
        && !file.contains('/')
        && parts[1].len() == 16
        && parts[1].bytes().all(|b| b.is_ascii_hexdigit())
}

/// An incoming `x-request-id` is kept (a proxy's id ties its logs to ours) only when it
/// is a plain token: at most 64 letters, digits, `-`, `_` or `.`. Anything else (long,
/// spaces, newlines that would forge log lines, text that could carry personal data) is
/// dropped, and a fresh id is made in its place. The id also goes into audit rows.
pub async fn clean_request_id(mut req: Request, next: Next) -> Response {
    let acceptable = |v: &http::HeaderValue| {
        let bytes = v.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= 64
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    let headers = req.headers_mut();
    let values: Vec<_> = headers.get_all("x-request-id").iter().cloned().collect();
    if values.len() != 1 || !values.iter().all(acceptable) {
        headers.remove("x-request-id");
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::is_fingerprinted;

    #[test]
    fn only_content_named_bundle_files_are_immutable() {
        assert!(is_fingerprinted("/pkg/clinic.0123456789abcdef.wasm"));
        assert!(is_fingerprinted("/pkg/clinic.0123456789abcdef.js"));
        assert!(is_fingerprinted("/pkg/app.0123456789abcdef.webmanifest"));
        assert!(is_fingerprinted(
            "/pkg/icon-maskable-512.0123456789abcdef.png"
        ));
        assert!(!is_fingerprinted("/pkg/clinic.js"));
        assert!(!is_fingerprinted("/pkg/clinic_bg.wasm"));
        assert!(!is_fingerprinted("/favicon.svg"));
        assert!(!is_fingerprinted("/appointments/0123456789abcdef.ics"));
    }
}
