//! OAuth v4 (channel-apis.md B.1): the first authorization of an OA (permission page with
//! PKCE, then the authorization code exchanged for tokens) and the exchange of the single-use
//! refresh token. Both exchanges go to `{oauth_base}/v4/oa/access_token` with the app secret
//! in a `secret_key` header.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::Zalo;
use crate::connectors::transport::{self, Answer};
use crate::connectors::{Failure, Outcome, Refreshed};

/// The app an OA is authorized for: where its OAuth lives, its id and its secret.
#[derive(Clone, Copy, Debug)]
pub struct ZaloApp<'a> {
    pub oauth_base: &'a str,
    pub app_id: &'a str,
    pub secret_key: &'a str,
}

/// A fresh PKCE verifier (RFC 7636): 43 base64url characters from 32 random bytes.
pub fn code_verifier() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The S256 challenge of a verifier: base64url(SHA-256(verifier)), without padding.
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The page where the OA admin grants the app access. Zalo sends the browser back to
/// `redirect_uri` with `code`, `oa_id` and this `state`.
pub fn permission_url(
    app: &ZaloApp<'_>,
    redirect_uri: &str,
    code_challenge: &str,
    state: &str,
) -> String {
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("app_id", app.app_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("code_challenge", code_challenge)
        .append_pair("state", state)
        .finish();
    format!(
        "{}/v4/oa/permission?{query}",
        transport::base(app.oauth_base)
    )
}

/// Exchanges an authorization code (valid 10 minutes, once) and its PKCE verifier for the
/// OA's first tokens.
pub async fn exchange_code(
    http: &reqwest::Client,
    app: &ZaloApp<'_>,
    code: &str,
    code_verifier: &str,
) -> Outcome<Refreshed> {
    let form = [
        ("code", code),
        ("app_id", app.app_id),
        ("grant_type", "authorization_code"),
        ("code_verifier", code_verifier),
    ];
    tokens(http, app, &form, "Zalo authorization code exchange").await
}

impl Zalo {
    /// Exchanges the single-use refresh token. The caller must store both new tokens
    /// atomically before using them: the old refresh token is spent.
    pub(super) async fn refresh_tokens(&self) -> Outcome<Refreshed> {
        let account = self.account()?;
        let app = ZaloApp {
            oauth_base: account.oauth_base,
            app_id: account.app_id,
            secret_key: account.secret_key,
        };
        let form = [
            ("refresh_token", account.refresh_token),
            ("app_id", account.app_id),
            ("grant_type", "refresh_token"),
        ];
        tokens(&self.http, &app, &form, "Zalo token refresh").await
    }
}

/// One call to the token endpoint and the tokens it answers.
async fn tokens(
    http: &reqwest::Client,
    app: &ZaloApp<'_>,
    form: &[(&str, &str)],
    what: &str,
) -> Outcome<Refreshed> {
    let request = http
        .post(format!(
            "{}/v4/oa/access_token",
            transport::base(app.oauth_base)
        ))
        .header("secret_key", app.secret_key)
        .form(form);
    let answer = transport::send(request, true, what).await?;
    let access = answer.json["access_token"].as_str().unwrap_or_default();
    let refresh = answer.json["refresh_token"].as_str().unwrap_or_default();
    if !answer.status.is_success() || access.is_empty() || refresh.is_empty() {
        return Err(oauth_failure(&answer));
    }
    // Zalo sends `expires_in` as a string ("90000"); a missing one counts as an hour so the
    // token is refreshed early rather than late.
    let seconds = transport::lenient_i64(&answer.json["expires_in"]).unwrap_or(3600);
    Ok(Refreshed {
        access_token: access.to_string(),
        refresh_token: refresh.to_string(),
        expires_at: crate::clock::now_ms() + seconds.max(0) * 1000,
    })
}

fn oauth_failure(answer: &Answer) -> Failure {
    let code = transport::lenient_i64(&answer.json["error"]).unwrap_or(0);
    let detail = ["error_description", "error_reason", "error_name", "message"]
        .iter()
        .find_map(|k| answer.json[*k].as_str())
        .unwrap_or("no description");
    let reason = format!("Zalo OAuth error {code}: {detail}");
    if answer.status.is_server_error() || answer.status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        // The refresh token may or may not have been spent; a second refresh tells.
        Failure::Ambiguous { reason }
    } else {
        // -14014 (invalid or used refresh token), a refused code and other OAuth refusals:
        // only a person connecting the OA again gets new tokens.
        Failure::NeedsReauth { reason }
    }
}
