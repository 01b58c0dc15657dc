//! The tests' own authenticator app: RFC 6238 written out over HMAC-SHA1 (checked
//! against the RFC's test vectors in `two_step.rs`), not the crate the server uses.

use hmac::{Hmac, Mac};

/// The authenticator key of every doctor and admin the harness creates (the RFC's
/// SHA-1 test key).
pub const STAFF_SECRET: &[u8; 20] = b"12345678901234567890";

/// The authenticator key of a doctor or admin: the demo clinic's published one for its
/// staff, else the harness's.
pub fn secret_of(email: &str) -> Vec<u8> {
    if email.ends_with("@riverside.test") {
        base32(devdata::demo::DEMO_TOTP_KEY)
    } else {
        STAFF_SECRET.to_vec()
    }
}

/// RFC 6238 (SHA-1): HOTP (RFC 4226) of the time step `unix / 30`, `digits` long.
pub fn totp(secret: &[u8], unix: u64, digits: u32) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&(unix / 30).to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[19] & 0x0f) as usize;
    let binary = (u32::from(hash[offset] & 0x7f) << 24)
        | (u32::from(hash[offset + 1]) << 16)
        | (u32::from(hash[offset + 2]) << 8)
        | u32::from(hash[offset + 3]);
    format!(
        "{:0width$}",
        binary % 10u32.pow(digits),
        width = digits as usize
    )
}

/// RFC 4648 base 32 (the authenticator key), spaces ignored.
pub fn base32(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let value = ALPHABET.iter().position(|a| *a == c).expect("base32") as u64;
        bits = (bits << 5) | value;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// Seconds since 1970.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
