//! Shared helpers for turning HTTP outcomes into [`Failure`] classes, used by every connector.
//!
//! The one rule that matters: a request that may have reached the channel must never be
//! reported as `Retryable`. A connection that was refused (or never established) provably did
//! not send anything; a timeout, a reset or a body-read error after sending may have committed.
//! Requests that change nothing (GET) or that are idempotent (DELETE) are safe to repeat, so
//! their failures are `Retryable` whatever happened.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use sha2::Sha256;
use time::OffsetDateTime;

use super::{Failure, Outcome};

/// Whether repeating a request is harmless: true for GET and DELETE, false for POST.
pub fn is_idempotent(method: &reqwest::Method) -> bool {
    method != reqwest::Method::POST && method != reqwest::Method::PATCH
}

/// Classifies an error from `RequestBuilder::send` (or from reading a response body).
pub fn send_error(err: &reqwest::Error, idempotent: bool, what: &str) -> Failure {
    let detail = describe(err);
    if err.is_connect() {
        // Connection refused, DNS failure, TLS handshake or connect timeout: nothing was sent.
        return Failure::Retryable {
            reason: format!("{what}: could not connect ({detail})"),
            after: None,
        };
    }
    if err.is_builder() {
        return Failure::Permanent {
            reason: format!("{what}: invalid request ({detail})"),
        };
    }
    if idempotent {
        return Failure::Retryable {
            reason: format!("{what}: {detail}"),
            after: None,
        };
    }
    let kind = if err.is_timeout() {
        "timed out after sending"
    } else {
        "failed after sending"
    };
    Failure::Ambiguous {
        reason: format!("{what}: {kind}; it may have taken effect ({detail})"),
    }
}

/// The error and its sources on one line (reqwest's own message hides the cause).
fn describe(err: &reqwest::Error) -> String {
    let mut text = without_url(err);
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// URLs carry access tokens on some channels (Graph query strings): never in a reason.
fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(url.as_str(), "<url>");
    }
    text
}

/// A response read in full: status, headers and body bytes.
#[derive(Debug)]
pub struct Answer {
    pub status: reqwest::StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The start of the body, for a failure reason.
    pub fn snippet(&self) -> String {
        snippet(&String::from_utf8_lossy(&self.body))
    }
}

/// Sends `req` and reads the whole answer, classifying transport failures with [`send_error`].
/// A non-2xx status is *not* a failure here: each channel classifies its own error bodies.
pub async fn execute(
    req: reqwest::RequestBuilder,
    idempotent: bool,
    what: &str,
) -> Outcome<Answer> {
    let resp = req
        .send()
        .await
        .map_err(|e| send_error(&e, idempotent, what))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .bytes()
        .await
        .map_err(|e| send_error(&e, idempotent, what))?;
    Ok(Answer {
        status,
        headers,
        body: body.to_vec(),
    })
}

/// The classification channels share for an HTTP status without a channel-specific code:
/// 401/403 need a person to reconnect, 429 and 408 did not take effect, other 4xx are
/// permanent, 5xx are ambiguous for a request that changes something.
pub fn by_status(answer: &Answer, idempotent: bool, what: &str) -> Failure {
    let status = answer.status;
    let reason = format!("{what}: HTTP {} {}", status.as_u16(), answer.snippet());
    match status.as_u16() {
        401 | 403 => Failure::NeedsReauth { reason },
        408 | 429 => Failure::Retryable {
            reason,
            after: retry_after(&answer.headers),
        },
        400..=499 => Failure::Permanent { reason },
        _ if idempotent => Failure::Retryable {
            reason,
            after: retry_after(&answer.headers),
        },
        _ => Failure::Ambiguous { reason },
    }
}

/// `Retry-After` as a delay: either delta-seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, OffsetDateTime::now_utc())
}

pub fn retry_after_at(headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, &format)
        .ok()?
        .assume_utc();
    let secs = (at - now).whole_seconds();
    Some(Duration::from_secs(secs.max(0) as u64))
}

/// Lowercase hex HMAC-SHA256 of `message` keyed with `key` (Graph `appsecret_proof`, webhook
/// signatures).
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time comparison of two hex HMACs (for receivers that verify signatures).
pub fn hmac_sha256_verify(key: &[u8], message: &[u8], hex_signature: &str) -> bool {
    let Ok(expected) = hex::decode(hex_signature.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.verify_slice(&expected).is_ok()
}

/// At most 300 characters of `text` on one line, for failure reasons.
pub fn snippet(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    match trimmed.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &trimmed[..i]),
        None => trimmed.to_string(),
    }
}

/// Fixtures the connector contract tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use std::time::Duration;

    use crate::connectors::{Image, Outgoing};

    /// A client with a short timeout, so a hanging channel becomes ambiguous quickly.
    pub fn client() -> reqwest::Client {
        crate::connectors::http_client(Duration::from_secs(1))
    }

    /// A real 4×3 PNG.
    pub fn png() -> Vec<u8> {
        let img =
            image::RgbImage::from_fn(4, 3, |x, y| image::Rgb([x as u8 * 60, y as u8 * 80, 200]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .expect("encode PNG");
        out.into_inner()
    }

    pub fn image() -> Image {
        Image {
            key: "blob-test".into(),
            remote_id: None,
            bytes: png(),
            mime: "image/png".into(),
            file_name: "hội nghị 2025.png".into(),
            public_url: Some("https://cdn.example.vn/media/hoi-nghi.png".into()),
            alt: "Người dân dự hội nghị tiếp xúc cử tri".into(),
        }
    }

    pub fn outgoing(nonce: &str, body: &str) -> Outgoing {
        Outgoing {
            nonce: nonce.into(),
            title: format!("Tiêu đề {nonce}"),
            summary: "Tóm tắt ngắn gọn".into(),
            body: body.into(),
            link: Some("https://dienbien.hanoi.gov.vn/tin-tuc".into()),
            hashtags: vec!["#PAPI".into(), "#HàNội".into()],
            image: None,
        }
    }

    /// A URL on a loopback port nothing listens on.
    pub async fn closed_port_url() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        format!("http://{addr}")
    }

    pub fn now_ms() -> i64 {
        (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("15"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(15)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:30 GMT"),
        );
        let now = time::macros::datetime!(2015-10-21 07:28:00 UTC);
        assert_eq!(retry_after_at(&h, now), Some(Duration::from_secs(30)));
        let later = time::macros::datetime!(2015-10-21 08:00:00 UTC);
        assert_eq!(retry_after_at(&h, later), Some(Duration::ZERO));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(hmac_sha256_verify(
            b"Jefe",
            b"what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ));
        assert!(!hmac_sha256_verify(b"Jefe", b"what", "00"));
        assert!(!hmac_sha256_verify(b"Jefe", b"what", "not hex"));
    }

    #[test]
    fn status_classes() {
        let answer = |code: u16| Answer {
            status: reqwest::StatusCode::from_u16(code).unwrap(),
            headers: HeaderMap::new(),
            body: b"oops".to_vec(),
        };
        assert!(matches!(
            by_status(&answer(401), false, "x"),
            Failure::NeedsReauth { .. }
        ));
        assert!(matches!(
            by_status(&answer(422), false, "x"),
            Failure::Permanent { .. }
        ));
        assert!(matches!(
            by_status(&answer(429), false, "x"),
            Failure::Retryable { .. }
        ));
        assert!(matches!(
            by_status(&answer(502), false, "x"),
            Failure::Ambiguous { .. }
        ));
        assert!(matches!(
            by_status(&answer(502), true, "x"),
            Failure::Retryable { .. }
        ));
    }

    #[test]
    fn snippets_are_short_single_lines() {
        assert_eq!(snippet(" a\nb "), "a b");
        let long = "x".repeat(400);
        assert_eq!(snippet(&long).chars().count(), 301);
    }
}
