//! Every server-function call passes here before any of the application's work:
//! - a body larger than [`MAX_BODY_BYTES`] is refused with `413`;
//! - a body that is not labelled `application/x-www-form-urlencoded` is refused with
//!   `415`: Leptos decodes every body as a form whatever its label, so accepting other
//!   labels would let a body skip the text rule below. One label, one parse, one rule;
//! - a form whose text is not UTF-8, or whose values break the shared text rule
//!   (`domain::text`: bounded length, no control characters but line breaks and tabs), is
//!   refused with `400` naming the field — before any database query or password hash;
//! - an error answer carries the HTTP status of its [`AppError`] (arguments that fail to
//!   decode come out of Leptos as `500 {"BadRequest": …}`; they are the caller's fault: 400).

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::StatusCode;

use app::AppError;

/// Server-function arguments are a few short fields; 64 KiB is generous.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
const MAX_ERROR_BYTES: usize = 64 * 1024;
/// Over-limit bodies up to this size are read and dropped before answering 413.
const DRAIN_AT_MOST_BYTES: usize = 16 * 1024 * 1024;

pub async fn api_hygiene(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = || {
        let error = AppError::BadRequest(format!(
            "the request is larger than {} KiB",
            MAX_BODY_BYTES / 1024
        ));
        refuse(StatusCode::PAYLOAD_TOO_LARGE, &error)
    };
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        // Read (and drop) a moderately large body, so the client is still listening for
        // the answer when it comes; a giant one is cut off.
        if declared.is_some_and(|n| n <= DRAIN_AT_MOST_BYTES) {
            let mut stream = body.into_data_stream();
            while let Some(Ok(_)) = stream.next().await {}
        }
        return too_large();
    }
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return too_large();
    };
    // An empty body carries no arguments, whatever its label (or none).
    if !bytes.is_empty() && !is_form {
        let error = AppError::BadRequest(
            "send the arguments as a form (Content-Type: application/x-www-form-urlencoded)"
                .to_owned(),
        );
        return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, &error);
    }
    if let Err(error) = check_form(&bytes) {
        let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::BAD_REQUEST);
        return refuse(status, &error);
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    with_error_status(response).await
}

/// Every field of a form body, decoded, against the shared text rule.
fn check_form(body: &[u8]) -> Result<(), AppError> {
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let mut halves = pair.splitn(2, |&b| b == b'=');
        let (name, value) = (
            halves.next().unwrap_or_default(),
            halves.next().unwrap_or_default(),
        );
        let (Some(name), Some(value)) = (decode(name), decode(value)) else {
            return Err(AppError::BadRequest(
                "the form is not valid UTF-8 text".to_owned(),
            ));
        };
        if let Err(problem) =
            domain::text::check_field(&value).and(domain::text::check_field(&name))
        {
            // Echo the field's name only when it is one of ours in shape.
            let field = if !name.is_empty()
                && name.len() <= 40
                && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            {
                name
            } else {
                "form".to_owned()
            };
            return Err(AppError::validation(
                field,
                format!("This field {problem}."),
            ));
        }
    }
    Ok(())
}

/// `application/x-www-form-urlencoded` decoding that, unlike the lenient decoders,
/// reports text that is not UTF-8 instead of replacing it.
fn decode(raw: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => {
                let hex = std::str::from_utf8(&raw[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// A JSON error answer, as a server function gives it.
fn refuse(status: StatusCode, error: &AppError) -> Response {
    let json = serde_json::to_string(error).unwrap_or_default();
    (status, [(CONTENT_TYPE, "application/json")], json).into_response()
}

/// Gives an error answer the status its `AppError` stands for.
async fn with_error_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes: Bytes = to_bytes(body, MAX_ERROR_BYTES).await.unwrap_or_default();
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status_code()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_strictly() {
        assert_eq!(decode(b"a%40b.test").as_deref(), Some("a@b.test"));
        assert_eq!(decode(b"two+words").as_deref(), Some("two words"));
        assert_eq!(decode(b"caf%C3%A9").as_deref(), Some("café"));
        assert_eq!(decode(b"100%").as_deref(), Some("100%"));
        assert_eq!(decode(b"%FF"), None);
    }

    #[test]
    fn refuses_control_characters_and_giant_values_by_field() {
        assert!(check_form(b"email=a%40b.test&reason=knee%0D%0Ahurts").is_ok());
        assert_eq!(
            check_form(b"email=a%00b"),
            Err(AppError::validation(
                "email",
                "This field contains characters that are not allowed."
            ))
        );
        let giant = format!("reason={}", "x".repeat(5000));
        assert!(
            matches!(check_form(giant.as_bytes()), Err(AppError::Validation { field, .. }) if field == "reason")
        );
        assert!(matches!(check_form(b"%FF=1"), Err(AppError::BadRequest(_))));
        assert!(
            matches!(check_form(b"Weird%00Name=1"), Err(AppError::Validation { field, .. }) if field == "form")
        );
    }
}
