//! Graph failures classified by `error.code` (channel-apis.md A.7), and the throttling hint of
//! the usage headers (A.8).

use std::time::Duration;

use serde_json::Value;

use crate::connectors::Failure;
use crate::connectors::classify::{self, Answer};

/// How long a post waits after Graph answered "temporarily blocked" (code 368).
pub const BLOCKED_WAIT: Duration = Duration::from_secs(3600);

/// Graph's `{"error":{…}}` classified by `error.code` (A.7), then by HTTP status.
pub(super) fn failure(answer: &Answer, idempotent: bool, what: &str) -> Failure {
    let body = answer.json().unwrap_or(Value::Null);
    let error = &body["error"];
    let Some(code) = error["code"].as_i64() else {
        // No Graph error: a proxy page, an empty body, or a body cut short.
        return classify::by_status(answer, idempotent, what);
    };
    let subcode = error["error_subcode"].as_i64();
    let message = error["message"].as_str().unwrap_or("");
    let reason = match subcode {
        Some(sub) => format!("{what}: Graph error {code}/{sub}: {message}"),
        None => format!("{what}: Graph error {code}: {message}"),
    };
    match code {
        4 | 17 | 32 | 613 | 80001 => Failure::Retryable {
            reason,
            after: regain_access(&answer.headers),
        },
        190 => Failure::NeedsReauth { reason },
        // Permission: the token lacks a permission or task on the Page. Every post through
        // this account would fail alike, so the account is flagged for a person to connect
        // it again with the right permissions, instead of failing post after post.
        10 | 200..=299 => Failure::NeedsReauth { reason },
        // Temporarily blocked (368; 1390008: posting too fast): Meta advises waiting, not
        // failing the post. The block usually lifts within the hour.
        368 => Failure::Retryable {
            reason,
            after: Some(BLOCKED_WAIT),
        },
        100 | 1609005 => Failure::Permanent { reason },
        // Duplicate status: Graph did not post it, because the Page's latest post has the same
        // text. Loa never sends again before a lost attempt has been looked up and can no
        // longer land, so that latest post is not this delivery's: resending cannot help.
        506 => Failure::Permanent {
            reason: format!(
                "{reason} (Facebook refuses a post identical to the Page's latest post: change \
                 the text or post something else first)"
            ),
        },
        1 | 2 if idempotent => Failure::Retryable {
            reason,
            after: None,
        },
        1 | 2 => Failure::Ambiguous { reason },
        _ if error["is_transient"].as_bool() == Some(true) || answer.status.is_server_error() => {
            if idempotent {
                Failure::Retryable {
                    reason,
                    after: None,
                }
            } else {
                Failure::Ambiguous { reason }
            }
        }
        _ => Failure::Permanent { reason },
    }
}

/// The longest `estimated_time_to_regain_access` (minutes) in `X-Business-Use-Case-Usage`.
pub fn regain_access(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let usage: Value = headers
        .get("x-business-use-case-usage")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| serde_json::from_str(v).ok())?;
    let minutes = usage
        .as_object()?
        .values()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|entry| entry["estimated_time_to_regain_access"].as_u64())
        .max()?;
    (minutes > 0).then(|| Duration::from_secs(minutes * 60))
}
