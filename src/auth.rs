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
use crate::store::{LoginFailureCounts, Store, StoreError, User};

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
    /// The password (or username) was wrong. `user_id` names the account when the username
    /// exists; `now_locked` tells that this failure is the one that started a wait.
    WrongCredentials {
        user_id: Option<i64>,
        now_locked: bool,
    },
    /// Too many recent failures: the seconds to wait before the next attempt is looked at.
    Locked {
        seconds: i64,
    },
    Disabled,
}

/// How many times `login_max_failures` one username may fail from all clients together, and
/// one client under all usernames together, before every further attempt waits.
pub const USERNAME_CEILING: i64 = 4;
pub const CLIENT_CEILING: i64 = 10;

/// The wait, in milliseconds from `now`, before the next attempt of this (username, client)
/// is looked at; 0 when it may go ahead. The policy (README, "Login throttling"):
///
/// - a username that fails `max` times from one client waits out the lock window there, but
///   the same person from another client (another office, a phone) is not stopped, so nobody
///   can lock `admin` for everyone by typing wrong passwords;
/// - guessing one username from many clients is slowed instead: past `USERNAME_CEILING × max`
///   failures in the window, each further attempt waits 1 s, 2 s, 4 s … (at most the window)
///   after the latest failure;
/// - one client failing under many usernames (a whole office behind one address, or someone
///   trying names) gets the same growing wait past `CLIENT_CEILING × max`, instead of a
///   15-minute lock for everyone there.
pub fn wait_ms(counts: &LoginFailureCounts, max: i64, window_ms: i64, now: i64) -> i64 {
    let pair = match counts.pair {
        (n, Some(oldest)) if n >= max => oldest + window_ms - now,
        _ => 0,
    };
    let slowed = |(n, latest): (i64, Option<i64>), ceiling: i64| match latest {
        Some(latest) if n >= ceiling => {
            let doublings = u32::try_from(n - ceiling).unwrap_or(u32::MAX).min(30);
            let delay = (1000i64 << doublings).min(window_ms);
            latest + delay - now
        }
        _ => 0,
    };
    pair.max(slowed(counts.user, USERNAME_CEILING * max))
        .max(slowed(counts.client, CLIENT_CEILING * max))
        .max(0)
}

/// Checks a login attempt and, on success, opens a session. Failures are counted per username
/// and client (a salted hash of the address, never the address itself), across all instances
/// sharing the database; `wait_ms` decides from the counts.
pub async fn login(
    store: &Store,
    config: &Config,
    username: &str,
    password: &str,
    client_key: &str,
) -> anyhow::Result<LoginOutcome> {
    let now = crate::clock::now_ms();
    let window_ms = i64::from(config.login_lockout_minutes) * 60_000;
    let max = i64::from(config.login_max_failures);
    let counts = store
        .login_failure_counts(username, client_key, now - window_ms)
        .await?;
    let wait = wait_ms(&counts, max, window_ms, now);
    if wait > 0 {
        return Ok(LoginOutcome::Locked {
            seconds: (wait + 999) / 1000,
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
    let user_id = found.as_ref().map(|(u, _)| u.user_id);
    let Some((user, _)) = found.filter(|_| ok) else {
        store
            .record_login_failure(username, client_key, now)
            .await?;
        store
            .record_login_failure(&format!("client:{client_key}"), client_key, now)
            .await?;
        let after = store
            .login_failure_counts(username, client_key, now - window_ms)
            .await?;
        return Ok(LoginOutcome::WrongCredentials {
            user_id,
            now_locked: wait_ms(&after, max, window_ms, now) > 0,
        });
    };
    if user.disabled {
        return Ok(LoginOutcome::Disabled);
    }
    store
        .clear_login_failures_from(username, client_key)
        .await?;
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
    fn the_wait_grows_per_pair_then_per_username_then_per_client() {
        let (max, window, now) = (5, 900_000, 10_000_000);
        let counts = |pair, user, client| LoginFailureCounts { pair, user, client };
        // Four failures from this client: go ahead; the fifth locks this pair for the window
        // counted from the earliest.
        let four = counts((4, Some(now - 1000)), (4, Some(now)), (4, Some(now)));
        assert_eq!(wait_ms(&four, max, window, now), 0);
        let five = counts((5, Some(now - 60_000)), (5, Some(now)), (5, Some(now)));
        assert_eq!(wait_ms(&five, max, window, now), window - 60_000);
        // Another client, with 19 failures for this username elsewhere: no wait.
        let elsewhere = counts((0, None), (19, Some(now)), (0, None));
        assert_eq!(wait_ms(&elsewhere, max, window, now), 0);
        // 20, 21, 22 for the username: 1 s, 2 s, 4 s after the latest, capped at the window.
        for (n, ms) in [(20, 1000), (21, 2000), (22, 4000), (60, window)] {
            let c = counts((0, None), (n, Some(now)), (0, None));
            assert_eq!(wait_ms(&c, max, window, now), ms, "{n}");
        }
        // One office: 49 failures under many names still lets the next person try; 50 waits 1 s.
        let office = counts((1, Some(now)), (1, Some(now)), (49, Some(now)));
        assert_eq!(wait_ms(&office, max, window, now), 0);
        let busy = counts((1, Some(now)), (1, Some(now)), (50, Some(now - 400)));
        assert_eq!(wait_ms(&busy, max, window, now), 600);
    }

    #[test]
    fn generated_passwords_are_long_and_different() {
        let (a, b) = (generate_password(), generate_password());
        assert_eq!(a.len(), 19);
        assert_ne!(a, b);
    }
}
