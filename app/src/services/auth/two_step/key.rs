//! The key that seals authenticator secrets: AES-256-GCM (RustCrypto's `aes-gcm`),
//! `nonce ‖ ciphertext ‖ tag` stored.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};

use crate::error::AppError;

/// The key that seals authenticator secrets (`CLINIC_MFA_KEY`: 32 bytes). Its `Debug`
/// shows nothing of it.
#[derive(Clone)]
pub struct TwoStepKey(Key<Aes256Gcm>);

impl std::fmt::Debug for TwoStepKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TwoStepKey(…)")
    }
}

impl TwoStepKey {
    /// A key from its base64 text (32 bytes, standard or URL-safe alphabet).
    pub fn from_base64(text: &str) -> Result<Self, String> {
        use base64::Engine as _;
        let text = text.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text))
            .map_err(|_| "is not base64".to_owned())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "must be 32 bytes (e.g. `openssl rand -base64 32`)".to_owned())?;
        Ok(Self(bytes.into()))
    }

    /// The key in the file at `path`, made there first (readable by this user only) when
    /// there is none; also says whether it was made. Instances starting together make
    /// one file and all read it.
    pub fn from_file(path: &std::path::Path) -> Result<(Self, bool), String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => return Ok((Self::from_base64(&text)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
                }
                write_private(path, &Self::generate_base64()).map_err(|e| e.to_string())?;
                // Another instance may have made it first: what is there now is the key.
                std::fs::read_to_string(path).map_err(|e| e.to_string())?
            }
            Err(e) => return Err(e.to_string()),
        };
        Ok((Self::from_base64(&text)?, true))
    }

    /// A fresh random key, as base64 (for a new key file).
    pub fn generate_base64() -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(Aes256Gcm::generate_key(OsRng))
    }

    /// `nonce ‖ ciphertext ‖ tag`.
    pub fn seal(&self, secret: &[u8]) -> Result<Vec<u8>, AppError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = Aes256Gcm::new(&self.0)
            .encrypt(&nonce, secret)
            .map_err(|_| AppError::internal("sealing a two-step secret failed"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    pub(super) fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, AppError> {
        if sealed.len() < 12 {
            return Err(AppError::internal("a sealed two-step secret is too short"));
        }
        let (nonce, body) = sealed.split_at(12);
        Aes256Gcm::new(&self.0)
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| AppError::internal("a two-step secret does not open with this key"))
    }
}

/// Writes a new file readable by this user only, whole or not at all: written aside, then
/// linked into place unless a file is there already (which then wins).
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let aside = path.with_extension(format!("new-{}", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&aside).and_then(|mut file| {
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
    });
    let linked = written.and_then(|()| match std::fs::hard_link(&aside, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    });
    let _ = std::fs::remove_file(&aside);
    linked
}
