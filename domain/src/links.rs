//! Links a person follows after signing in: only plain paths on this site (no open
//! redirects), and the percent-encoding that carries one in a `next` query value.

use crate::role::Role;

/// Percent-encodes a path or any text for use as a query value (e.g. `next`).
pub fn encode_next(path: &str) -> String {
    use std::fmt::Write;
    // One buffer (the finder writes one of these per time shown to a visitor).
    let mut out = String::with_capacity(path.len() + 16);
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Only same-site paths are followed after signing in (no open redirects).
pub fn safe_next(next: Option<&str>, role: Role) -> String {
    match next {
        Some(path) if is_local_path(path) => path.to_owned(),
        _ => role.home_path().to_owned(),
    }
}

/// A path on this site, safe to put in a `Location` header: one leading `/` (not `//`,
/// which browsers read as another host) followed by printable ASCII only — no spaces,
/// tabs or line breaks (browsers drop tabs, so `/\t/evil.example` would become
/// `//evil.example`; a line break cannot be a header value at all), no backslashes
/// (read as `/` by browsers). Percent-escapes stay as they are: browsers do not decode
/// them when resolving a path.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_next_escapes_all_but_unreserved_and_slashes() {
        assert_eq!(
            encode_next("/book?type=2&day=2026-11-23"),
            "/book%3Ftype%3D2%26day%3D2026-11-23"
        );
        assert_eq!(encode_next("café ñ"), "caf%C3%A9%20%C3%B1");
        assert_eq!(encode_next("a~b_c.d-e"), "a~b_c.d-e");
    }

    #[test]
    fn only_plain_local_paths_are_followed() {
        for good in [
            "/",
            "/book?type=2&week=2026-11-23",
            "/book/confirm?hold=abc",
            "/%09/x",
        ] {
            assert_eq!(safe_next(Some(good), Role::Patient), good);
        }
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a\nb",
            "/a\rb",
            "/a\0b",
            "/a\u{b}b",
            "/a b",
            "/ä",
            "evil",
            "",
        ] {
            assert_eq!(safe_next(Some(bad), Role::Doctor), "/doctor", "{bad:?}");
        }
        assert_eq!(safe_next(None, Role::Admin), "/admin");
    }
}
