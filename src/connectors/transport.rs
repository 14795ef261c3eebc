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
    let json = match serde_json::from_slice(&bytes) {
        Ok(json) => json,
        // A success that is not JSON is a proxy's or portal's page (maintenance, login) or an
        // answer cut short: never success. A change may or may not have happened behind it.
        Err(_) if status.is_success() => {
            let reason = format!(
                "{what}: HTTP {} answered {} instead of JSON",
                status.as_u16(),
                describe_body(&headers, &bytes)
            );
            return Err(if mutating {
                Failure::Ambiguous { reason }
            } else {
                Failure::Retryable {
                    reason,
                    after: None,
                }
            });
        }
        Err(_) => serde_json::Value::Null,
    };
    Ok(Answer {
        status,
        headers,
        json,
    })
}

/// What a non-JSON body is, for a reason: an HTML page with its title, or a cut-off body.
pub(super) fn describe_body(headers: &HeaderMap, bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let html = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().contains("html"))
        || text.trim_start().starts_with('<');
    if html {
        let lower = text.to_ascii_lowercase();
        let title = lower
            .find("<title>")
            .and_then(|start| {
                let rest = &text[start + 7..];
                rest.find("</").map(|end| rest[..end].trim().to_string())
            })
            .filter(|t| !t.is_empty());
        match title {
            Some(title) => format!("an HTML page (“{}”)", super::classify::snippet(&title)),
            None => "an HTML page".to_string(),
        }
    } else if bytes.is_empty() {
        "an empty body".to_string()
    } else {
        format!("a body that is not valid JSON ({} bytes)", bytes.len())
    }
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
