//! Calendar passwords sealed at rest with ChaCha20-Poly1305 (RFC 8439).
//!
//! The 32-byte key comes from the configuration (`[calendars] secrets_key`, base64, or
//! `SWITCHBOARD_SECRETS_KEY`), else from a key file (`[calendars] secrets_key_file`), which is
//! created once with mode 0600 when missing. A sealed value is the base64 of a random 12-byte
//! nonce followed by the ciphertext and tag; a value sealed under another key fails to open
//! with an error, never a panic. Nothing here logs a password.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use tokio::sync::OnceCell;

const NONCE_LEN: usize = 12;

/// Why a secret could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the secrets key is not 32 bytes of base64: {0}")]
    BadKey(String),
    #[error("the secrets key file {path}: {why}")]
    KeyFile { path: String, why: String },
    #[error("the stored password cannot be opened with this server's secrets key (was the key changed?)")]
    WrongKey,
}

/// Where the key comes from.
#[derive(Clone)]
pub enum KeySource {
    /// The key itself, base64.
    Configured(String),
    /// A file holding the key in base64, created when missing.
    File(PathBuf),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Configured(_) => f.write_str("Configured(…)"),
            KeySource::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

/// The sealing key, read (or created) on first use so a server with no calendar passwords
/// never touches a key file.
#[derive(Clone)]
pub struct Secrets {
    source: KeySource,
    cipher: Arc<OnceCell<Arc<ChaCha20Poly1305>>>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Secrets {
    pub fn new(source: KeySource) -> Secrets {
        Secrets {
            source,
            cipher: Arc::new(OnceCell::new()),
        }
    }

    async fn cipher(&self) -> Result<Arc<ChaCha20Poly1305>, SecretError> {
        self.cipher
            .get_or_try_init(|| async {
                let key = match &self.source {
                    KeySource::Configured(text) => decode_key(text)?,
                    KeySource::File(path) => load_or_create(path)?,
                };
                Ok(Arc::new(ChaCha20Poly1305::new(&key)))
            })
            .await
            .cloned()
    }

    /// `plain` sealed; an empty password stays empty (there is none).
    pub async fn seal(&self, plain: &str) -> Result<String, SecretError> {
        if plain.is_empty() {
            return Ok(String::new());
        }
        seal_with(&*self.cipher().await?, plain)
    }

    /// The password in `sealed`; empty for none.
    pub async fn open(&self, sealed: &str) -> Result<String, SecretError> {
        if sealed.is_empty() {
            return Ok(String::new());
        }
        open_with(&*self.cipher().await?, sealed)
    }
}

fn decode_key(text: &str) -> Result<Key, SecretError> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|error| SecretError::BadKey(error.to_string()))?;
    if bytes.len() != 32 {
        return Err(SecretError::BadKey(format!("{} bytes", bytes.len())));
    }
    Ok(*Key::from_slice(&bytes))
}

/// The key in `path`, or a new random one written there (mode 0600) when the file is missing.
fn load_or_create(path: &Path) -> Result<Key, SecretError> {
    let file_error = |why: String| SecretError::KeyFile {
        path: path.display().to_string(),
        why,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => decode_key(&text).map_err(|error| file_error(error.to_string())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let key = ChaCha20Poly1305::generate_key(&mut OsRng);
            write_private(path, &STANDARD.encode(key)).map_err(|error| file_error(error.to_string()))?;
            tracing::warn!(
                path = %path.display(),
                "created a new secrets key for calendar passwords; keep this file, or set SWITCHBOARD_SECRETS_KEY"
            );
            Ok(key)
        }
        Err(error) => Err(file_error(error.to_string())),
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

fn seal_with(cipher: &ChaCha20Poly1305, plain: &str) -> Result<String, SecretError> {
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = cipher
        .encrypt(&nonce, plain.as_bytes())
        .map_err(|_| SecretError::WrongKey)?;
    let mut bytes = nonce.to_vec();
    bytes.extend_from_slice(&sealed);
    Ok(STANDARD.encode(bytes))
}

fn open_with(cipher: &ChaCha20Poly1305, sealed: &str) -> Result<String, SecretError> {
    let bytes = STANDARD.decode(sealed).map_err(|_| SecretError::WrongKey)?;
    if bytes.len() < NONCE_LEN {
        return Err(SecretError::WrongKey);
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let plain = cipher
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .map_err(|_| SecretError::WrongKey)?;
    String::from_utf8(plain).map_err(|_| SecretError::WrongKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> KeySource {
        KeySource::Configured(STANDARD.encode([byte; 32]))
    }

    #[tokio::test]
    async fn a_password_sealed_opens_again_and_is_not_kept_in_clear() {
        let secrets = Secrets::new(key(7));
        let sealed = secrets.seal("hunter2").await.unwrap();
        assert!(!sealed.contains("hunter2"));
        assert_ne!(
            sealed,
            secrets.seal("hunter2").await.unwrap(),
            "a fresh nonce each time"
        );
        assert_eq!(secrets.open(&sealed).await.unwrap(), "hunter2");
        assert_eq!(secrets.seal("").await.unwrap(), "");
    }

    #[tokio::test]
    async fn another_key_or_a_damaged_value_is_an_error() {
        let sealed = Secrets::new(key(7)).seal("hunter2").await.unwrap();
        let other = Secrets::new(key(8));
        assert_eq!(other.open(&sealed).await, Err(SecretError::WrongKey));
        assert_eq!(other.open("AAAA").await, Err(SecretError::WrongKey));
        assert_eq!(other.open("not base64!").await, Err(SecretError::WrongKey));
        let short = Secrets::new(KeySource::Configured(STANDARD.encode([1; 16])));
        assert!(matches!(short.seal("x").await, Err(SecretError::BadKey(_))));
    }

    #[tokio::test]
    async fn a_missing_key_file_is_created_private_once() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.key");
        let sealed = Secrets::new(KeySource::File(path.clone()))
            .seal("pw")
            .await
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Secrets::new(KeySource::File(path));
        assert_eq!(again.open(&sealed).await.unwrap(), "pw", "the same key read back");
    }
}
