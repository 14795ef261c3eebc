//! Authentication without HTTP: argon2id password hashes, the login decision with throttling,
//! and session creation. The web layer (`web::session`, `web::csrf`) carries the results in
//! cookies and headers.

use std::sync::OnceLock;

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

use crate::config::Config;
use crate::secrets::{random_token, sha256_hex};
use crate::store::{Store, StoreError, User};

pub const SESSION_COOKIE: &str = "loa_session";
/// Double-submit token for forms shown before login (the login form itself).
pub const ANON_CSRF_COOKIE: &str = "loa_csrf";
pub const LANG_COOKIE: &str = "loa_lang";

/// A session lives at most this long, however active, before a new login is required.
pub const SESSION_MAX_MS: i64 = 7 * 24 * 3600 * 1000;

/// Argon2id with the OWASP-recommended minimum (19 MiB, 2 passes, 1 lane): ~20 ms here, slow
/// enough to make stolen hashes expensive, fast enough for a login form.
fn argon2() -> Argon2<'static> {
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters"),
    )
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing of a bounded input cannot fail")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Hashing is CPU work; it runs off the async threads.
pub async fn hash_password_blocking(password: String) -> String {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .expect("hashing task panicked")
}

pub async fn verify_password_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .expect("verify task panicked")
}

/// A hash to verify against when the username does not exist, so the answer takes as long as
/// for a real account and timing does not reveal which usernames exist.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("loa-dummy-password-for-timing"))
}

/// A one-time password people can read aloud and type: 4 groups of 4 from an alphabet without
/// look-alike characters (≈ 79 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..4)
        .map(|_| {
            (0..4)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

pub enum LoginOutcome {
    /// A new session: the cookie token (shown to the browser once) and the user.
    Success {
        token: String,
        user: Box<User>,
    },
    WrongCredentials,
    /// Too many recent failures for this username or from this client.
    Locked {
        minutes: i64,
    },
    Disabled,
}

/// Checks a login attempt and, on success, opens a session. Failures are counted per username
/// and per client (a salted hash of the address, never the address itself), across all
/// instances sharing the database.
pub async fn login(
    store: &Store,
    config: &Config,
    username: &str,
    password: &str,
    client_key: &str,
) -> anyhow::Result<LoginOutcome> {
    let now = crate::clock::now_ms();
    let window_ms = i64::from(config.login_lockout_minutes) * 60_000;
    let since = now - window_ms;
    let (failures, oldest) = store.login_failures_since(username, since).await?;
    let (client_failures, client_oldest) = store
        .login_failures_since(&format!("client:{client_key}"), since)
        .await?;
    let max = i64::from(config.login_max_failures);
    // A client may mistype several usernames, but not endlessly.
    let locked_since = if failures >= max {
        oldest
    } else if client_failures >= max * 4 {
        client_oldest
    } else {
        None
    };
    if let Some(oldest) = locked_since {
        let remaining_ms = (oldest + window_ms - now).max(60_000);
        return Ok(LoginOutcome::Locked {
            minutes: (remaining_ms + 59_999) / 60_000,
        });
    }

    let found = match store.user_for_login(username).await {
        Ok(found) => Some(found),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = found
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let ok = verify_password_blocking(password.to_string(), hash).await && found.is_some();
    let Some((user, _)) = found.filter(|_| ok) else {
        store
            .record_login_failure(username, client_key, now)
            .await?;
        store
            .record_login_failure(&format!("client:{client_key}"), client_key, now)
            .await?;
        return Ok(LoginOutcome::WrongCredentials);
    };
    if user.disabled {
        return Ok(LoginOutcome::Disabled);
    }
    store.clear_login_failures(username).await?;
    let token = random_token();
    let expires = now + i64::from(config.session_hours) * 3_600_000;
    store
        .create_session(
            &sha256_hex(token.as_bytes()),
            user.user_id,
            &random_token(),
            expires,
        )
        .await?;
    Ok(LoginOutcome::Success {
        token,
        user: Box::new(user),
    })
}

/// The key under which a session is stored: the hash of its cookie token.
pub fn session_key(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("mot hai ba bon nam");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("mot hai ba bon nam", &hash));
        assert!(!verify_password("mot hai ba bon", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn generated_passwords_are_long_and_different() {
        let (a, b) = (generate_password(), generate_password());
        assert_eq!(a.len(), 19);
        assert_ne!(a, b);
    }
}
