//! Transport failures (no answer, or an unreadable one) mapped onto failure classes, shared by
//! the Zalo, Telegram and Mastodon connectors. Channel error bodies are classified by each
//! connector, since every channel has its own codes.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::Failure;

/// What a transport error means for one call.
///
/// A connection that was never made cannot have taken effect, so it is `Retryable`. Anything
/// later (timeout, reset, truncated answer) may have taken effect if the call changes
/// something, so a `mutating` call becomes `Ambiguous`; a read changed nothing and is
/// `Retryable`. The URL is dropped from the reason: Telegram carries the bot token in it.
pub(super) fn failure(err: reqwest::Error, mutating: bool, what: &str) -> Failure {
    let err = err.without_url();
    let reason = format!("{what}: {}", describe(&err));
    if err.is_builder() {
        Failure::Permanent { reason }
    } else if err.is_connect() || !mutating {
        Failure::Retryable {
            reason,
            after: None,
        }
    } else {
        Failure::Ambiguous { reason }
    }
}

/// The error and its causes on one line ("error sending request: connection refused").
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// An answer read in full: status, headers and the body as JSON (`Null` when it is not JSON,
/// such as a proxy's HTML error page).
pub(super) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: serde_json::Value,
}

/// Sends `request` and reads the whole answer, mapping transport errors with [`failure`].
pub(super) async fn send(
    request: reqwest::RequestBuilder,
    mutating: bool,
    what: &str,
) -> Result<Answer, Failure> {
    let response = request
        .send()
        .await
        .map_err(|e| failure(e, mutating, what))?;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| failure(e, mutating, what))?;
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Ok(Answer {
        status,
        headers,
        json,
    })
}

/// A JSON value that may be a number or a numeric string (`"90000"`, `42`).
pub(super) fn lenient_i64(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A JSON id that may be a string or a number, as a string.
pub(super) fn id_string(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `base` without a trailing slash, so `{base}/path` never doubles it.
pub(super) fn base(url: &str) -> &str {
    url.trim_end_matches('/')
}
