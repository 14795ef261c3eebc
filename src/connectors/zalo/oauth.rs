//! OAuth v4 (channel-apis.md B.1): exchanging the single-use refresh token.

use super::Zalo;
use crate::connectors::transport::{self, Answer};
use crate::connectors::{Failure, Outcome, Refreshed};

impl Zalo {
    /// Exchanges the single-use refresh token. The caller must store both new tokens
    /// atomically before using them: the old refresh token is spent.
    pub(super) async fn refresh_tokens(&self) -> Outcome<Refreshed> {
        let account = self.account()?;
        let request = self
            .http
            .post(format!("{}/v4/oa/access_token", account.oauth_base))
            .header("secret_key", account.secret_key)
            .form(&[
                ("refresh_token", account.refresh_token),
                ("app_id", account.app_id),
                ("grant_type", "refresh_token"),
            ]);
        let answer = transport::send(request, true, "Zalo token refresh").await?;
        let access = answer.json["access_token"].as_str().unwrap_or_default();
        let refresh = answer.json["refresh_token"].as_str().unwrap_or_default();
        if !answer.status.is_success() || access.is_empty() || refresh.is_empty() {
            return Err(oauth_failure(&answer));
        }
        // Zalo sends `expires_in` as a string ("90000"); a missing one counts as an hour
        // so the token is refreshed early rather than late.
        let seconds = transport::lenient_i64(&answer.json["expires_in"]).unwrap_or(3600);
        Ok(Refreshed {
            access_token: access.to_string(),
            refresh_token: refresh.to_string(),
            expires_at: crate::clock::now_ms() + seconds.max(0) * 1000,
        })
    }
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
        // -14014 (invalid or used refresh token) and other OAuth refusals: only a person
        // connecting the OA again gets new tokens.
        Failure::NeedsReauth { reason }
    }
}
