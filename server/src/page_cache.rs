//! A micro-cache for the public pages first-time visitors open most: `/` and `/book`
//! without any cookie. Rendering `/book` costs about 3 ms of CPU (a week of open times),
//! and under load most requests ask for the same few URLs; an entry serves for at most
//! [`TTL`] and never after the availability index (or the clinic's settings) changed
//! since it was rendered, so a visitor sees what a fresh render would show, as of at
//! most a second ago. Only with a warm index that follows the database.
//!
//! Each served copy gets a fresh CSP nonce (a nonce must not repeat across responses):
//! the rendered nonce is replaced in the `Content-Security-Policy` header and the body.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::services::availability::AvailabilityIndex;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

/// How long one rendering is served.
pub const TTL: Duration = Duration::from_secs(1);
/// The pages cached.
const PATHS: [&str; 2] = ["/", "/book"];
/// Distinct URLs kept at once (query strings vary: the week, the visit type); the
/// oldest entries make room, so odd query strings cannot grow memory.
const MAX_ENTRIES: usize = 64;
const MAX_QUERY: usize = 200;
const MAX_BODY: usize = 1 << 20;

#[derive(Clone)]
pub struct PageCache {
    index: AvailabilityIndex,
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

#[derive(Clone)]
struct Entry {
    rendered_at: Instant,
    generation: u64,
    headers: HeaderMap,
    body: Bytes,
    nonce: String,
}

impl PageCache {
    pub fn new(index: AvailabilityIndex) -> Self {
        PageCache {
            index,
            entries: Arc::default(),
        }
    }

    fn key(req: &Request) -> Option<String> {
        let uri = req.uri();
        let cacheable = req.method() == Method::GET
            && PATHS.contains(&uri.path())
            && uri.query().is_none_or(|q| q.len() <= MAX_QUERY)
            && !req.headers().contains_key(COOKIE)
            && !req.headers().contains_key(http::header::AUTHORIZATION);
        cacheable.then(|| uri.to_string())
    }

    fn fresh(&self, key: &str, generation: u64) -> Option<Entry> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|e| e.generation == generation && e.rendered_at.elapsed() < TTL)
            .cloned()
    }

    fn keep(&self, key: String, entry: Entry) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, e| e.rendered_at.elapsed() < TTL);
        if entries.len() >= MAX_ENTRIES {
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.rendered_at)
                .map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(key, entry);
    }
}

/// The nonce in a page's `script-src 'nonce-…'`.
fn nonce_of(headers: &HeaderMap) -> Option<String> {
    let csp = headers.get(CONTENT_SECURITY_POLICY)?.to_str().ok()?;
    let start = csp.find("'nonce-")? + "'nonce-".len();
    let len = csp[start..].find('\'')?;
    let nonce = &csp[start..start + len];
    (nonce.len() >= 16).then(|| nonce.to_owned())
}

fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len() + 64);
    let mut rest = haystack;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// A copy of `entry` with a nonce of its own.
fn serve(entry: &Entry) -> Response {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let mut headers = entry.headers.clone();
    if let Some(csp) = headers
        .get(CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .map(|csp| csp.replace(&entry.nonce, &nonce))
        .and_then(|csp| HeaderValue::from_str(&csp).ok())
    {
        headers.insert(CONTENT_SECURITY_POLICY, csp);
    }
    let body = replace_bytes(&entry.body, entry.nonce.as_bytes(), nonce.as_bytes());
    let mut response = Response::new(Body::from(body));
    *response.headers_mut() = headers;
    response
}

/// The middleware: a fresh entry answers; otherwise the page renders and, when it is an
/// ordinary 200 HTML page that sets no cookie, is kept.
pub async fn cached_pages(cache: PageCache, req: Request, next: Next) -> Response {
    let key = match PageCache::key(&req) {
        Some(key) if cache.index.is_following() => key,
        _ => return next.run(req).await,
    };
    // Read before rendering: a change during the render leaves the entry stale.
    let generation = cache.index.generation();
    if let Some(entry) = cache.fresh(&key, generation) {
        return serve(&entry);
    }
    let response = next.run(req).await;
    let keep = response.status() == StatusCode::OK
        && !response.headers().contains_key(SET_COOKIE)
        && response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
    let Some(nonce) = keep.then(|| nonce_of(response.headers())).flatten() else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(err) => {
            tracing::warn!(error = %err, "page cache: the page could not be read");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    cache.keep(
        key,
        Entry {
            rendered_at: Instant::now(),
            generation,
            headers: parts.headers.clone(),
            body: body.clone(),
            nonce,
        },
    );
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nonce_is_found_and_replaced_everywhere() {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("script-src 'self' 'nonce-AbCdEfGhIjKlMnOpQrSt12' 'wasm'"),
        );
        let nonce = nonce_of(&headers).unwrap();
        assert_eq!(nonce, "AbCdEfGhIjKlMnOpQrSt12");
        let body = br#"<script nonce="AbCdEfGhIjKlMnOpQrSt12">a</script><p>x</p><script nonce="AbCdEfGhIjKlMnOpQrSt12">"#;
        let out = replace_bytes(body, nonce.as_bytes(), b"fresh");
        assert_eq!(
            out,
            br#"<script nonce="fresh">a</script><p>x</p><script nonce="fresh">"#
        );
        assert_eq!(replace_bytes(b"none here", b"nonce", b"x"), b"none here");
        // No nonce (or a too-short one): nothing to swap, so not cached.
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("script-src 'nonce-abc'"),
        );
        assert_eq!(nonce_of(&headers), None);
    }
}
