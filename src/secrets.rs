//! The instance secret (`LOA_SECRET_KEY`). It seals credentials at rest with XChaCha20-Poly1305
//! and signs tokens with HMAC-SHA256. When none is configured, one is generated on first run into
//! `<data_dir>/secret.key` (mode 0600) and reused after; several instances must share the same key.

use std::path::Path;

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit},
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct SecretKey {
    seal_key: [u8; 32],
    sign_key: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    /// From 64 hex characters. The sealing and signing keys are derived separately so that a
    /// signature can never be mistaken for ciphertext material.
    pub fn from_hex(hex_key: &str) -> anyhow::Result<SecretKey> {
        let bytes =
            hex::decode(hex_key.trim()).context("LOA_SECRET_KEY must be 64 hex characters")?;
        let master: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("LOA_SECRET_KEY must be 64 hex characters (32 bytes)"))?;
        Ok(SecretKey {
            seal_key: derive(&master, b"loa seal v1"),
            sign_key: derive(&master, b"loa sign v1"),
        })
    }

    /// The configured key, else the one kept under the data folder, else a new one written there.
    pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<SecretKey> {
        if let Some(k) = configured {
            return SecretKey::from_hex(k);
        }
        let path = data_dir.join("secret.key");
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            return SecretKey::from_hex(&text).with_context(|| format!("in {}", path.display()));
        }
        private_dir(data_dir)?;
        let mut master = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut master);
        write_private(&path, &hex::encode(master))?;
        tracing::info!(path = %path.display(), "generated a new secret key");
        SecretKey::from_hex(&hex::encode(master))
    }

    /// Encrypts `plain`; the output (nonce ‖ ciphertext, base64url) is safe to store in a column.
    pub fn seal(&self, plain: &[u8]) -> String {
        let cipher = XChaCha20Poly1305::new((&self.seal_key).into());
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), plain)
            .expect("in-memory encryption cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// Decrypts what `seal` produced; fails on tampering or on a different key.
    pub fn open(&self, sealed: &str) -> anyhow::Result<Vec<u8>> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .context("sealed value is not base64")?;
        if bytes.len() < 24 + 16 {
            bail!("sealed value is too short");
        }
        let cipher = XChaCha20Poly1305::new((&self.seal_key).into());
        cipher
            .decrypt(XNonce::from_slice(&bytes[..24]), &bytes[24..])
            .map_err(|_| anyhow::anyhow!("sealed value cannot be opened with this LOA_SECRET_KEY"))
    }

    pub fn sign(&self, message: &[u8]) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.sign_key).expect("any key length works");
        mac.update(message);
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Constant-time comparison of a signature.
    pub fn verify(&self, message: &[u8], signature: &str) -> bool {
        let Ok(sig) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.sign_key).expect("any key length works");
        mac.update(message);
        mac.verify_slice(&sig).is_ok()
    }
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("any key length works");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// A random token for sessions and CSRF: 32 bytes, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256, hex: what the database keeps of a session token, so a leaked table opens no session.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Creates `dir` (and its parents) readable by Loa's user only (0700), or narrows an existing
/// one to that: it holds the database, the secret key and every uploaded image, which no other
/// local user should read whatever the umask.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        narrow(dir, 0o700)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
    }
}

/// Sets `mode` on an existing file or folder that group or others may use, and says so in the
/// log; a missing path is fine.
pub fn narrow(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(());
        };
        let current = meta.permissions().mode() & 0o777;
        if current & 0o077 != 0 {
            // Not fatal: a folder someone else owns (a mounted volume) stays as it is, with a
            // warning, rather than stopping the start.
            match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), from = format!("{current:o}"), to = format!("{mode:o}"), "restricted permissions")
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), mode = format!("{current:o}"), error = %e, "cannot restrict permissions; other local users may read it")
                }
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        f.write_all(text.as_bytes())?;
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_hex(&hex::encode([byte; 32])).unwrap()
    }

    #[test]
    fn sealed_values_open_only_with_the_same_key() {
        let sealed = key(1).seal(b"page-token");
        assert!(!sealed.contains("page-token"));
        assert_eq!(key(1).open(&sealed).unwrap(), b"page-token");
        assert!(key(2).open(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.replace_range(40..41, if &sealed[40..41] == "A" { "B" } else { "A" });
        assert!(key(1).open(&tampered).is_err());
    }

    #[test]
    fn signatures_verify_and_reject_changes() {
        let sig = key(3).sign(b"report:42");
        assert!(key(3).verify(b"report:42", &sig));
        assert!(!key(3).verify(b"report:43", &sig));
        assert!(!key(4).verify(b"report:42", &sig));
    }

    #[test]
    fn a_generated_key_is_kept_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = SecretKey::load_or_create(None, dir.path()).unwrap();
        let b = SecretKey::load_or_create(None, dir.path()).unwrap();
        assert_eq!(b.open(&a.seal(b"x")).unwrap(), b"x");
        assert!(SecretKey::from_hex("abc").is_err());
    }
}
