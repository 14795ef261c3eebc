//! Webhook connector: a signed JSON POST to a receiver the city runs or trusts.
//!
//! Body: `{"id","title","summary","body","link","hashtags","image_url"}`. Headers:
//! - `X-Loa-Delivery: <nonce>`, the same on every attempt of a delivery (absent on a ping);
//! - `X-Loa-Timestamp: <Unix seconds>`, when this attempt was signed;
//! - `X-Loa-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<delivery>.<body>")>`.
//!
//! The timestamp and the delivery id are signed with the body, so a captured request cannot be
//! replayed later (receivers refuse signatures older than 5 minutes) nor passed off as another
//! delivery by changing the header. README ("Webhook signature") gives the receiver's recipe.
//!
//! Idempotency: receivers must dedupe on `X-Loa-Delivery`. That makes a resend after an
//! ambiguous outcome safe, so `find` answers `Ok(None)` (a receiver cannot be asked what it
//! has) and the dispatcher may simply send the delivery again with the same nonce.

use reqwest::Method;
use serde_json::json;

use super::classify::{self, Answer};
use super::{BoxFuture, Connector, Credentials, Failure, Metrics, Outcome, Outgoing, Published};

pub const SIGNATURE_HEADER: &str = "X-Loa-Signature";
pub const DELIVERY_HEADER: &str = "X-Loa-Delivery";
pub const TIMESTAMP_HEADER: &str = "X-Loa-Timestamp";
/// How old a signature a receiver should accept (and how far in the future, for clock skew).
pub const MAX_AGE_SECONDS: i64 = 300;

pub struct Webhook {
    http: reqwest::Client,
    creds: Credentials,
}

impl Webhook {
    pub fn new(http: reqwest::Client, creds: Credentials) -> Webhook {
        Webhook { http, creds }
    }

    fn account(&self) -> Outcome<(&str, &str)> {
        match &self.creds {
            Credentials::Webhook { url, secret } => Ok((url, secret)),
            other => Err(Failure::Permanent {
                reason: format!(
                    "webhook connector given {} credentials",
                    other.kind().as_str()
                ),
            }),
        }
    }

    /// POSTs `body` signed now; the delivery id header when there is one.
    async fn send(&self, body: Vec<u8>, delivery: Option<&str>, what: &str) -> Outcome<Answer> {
        let (url, secret) = self.account()?;
        let timestamp = crate::clock::now_ms() / 1000;
        let mut req = self
            .http
            .request(Method::POST, url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, timestamp.to_string())
            .header(
                SIGNATURE_HEADER,
                signature(secret, timestamp, delivery.unwrap_or(""), &body),
            );
        if let Some(id) = delivery {
            req = req.header(DELIVERY_HEADER, id);
        }
        let answer = classify::execute(req.body(body), false, what).await?;
        if answer.status.is_success() && !is_html(&answer) {
            Ok(answer)
        } else if answer.status.is_success() {
            // A proxy's or portal's HTML page (maintenance, login) answers 200 without the
            // receiver having seen anything; receivers dedupe, so it is simply sent again.
            Err(Failure::Ambiguous {
                reason: format!("{what}: HTTP 200 with an HTML page: {}", answer.snippet()),
            })
        } else {
            Err(classify::by_status(&answer, false, what))
        }
    }
}

/// Whether the answer is an HTML page rather than a receiver's acknowledgement.
fn is_html(answer: &Answer) -> bool {
    answer
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.trim_start().to_ascii_lowercase().starts_with("text/html"))
}

/// What is signed: `<timestamp>.<delivery>.<body>` (delivery empty on a ping).
fn signed_material(timestamp: i64, delivery: &str, body: &[u8]) -> Vec<u8> {
    let mut m = format!("{timestamp}.{delivery}.").into_bytes();
    m.extend_from_slice(body);
    m
}

/// The `X-Loa-Signature` value for `body` sent at `timestamp` as `delivery`.
pub fn signature(secret: &str, timestamp: i64, delivery: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        classify::hmac_sha256_hex(
            secret.as_bytes(),
            &signed_material(timestamp, delivery, body)
        )
    )
}

/// Whether `header` (an `X-Loa-Signature` value) signs this timestamp, delivery and body with
/// `secret`, and the timestamp is within `MAX_AGE_SECONDS` of `now_seconds`: what a receiver
/// checks.
pub fn verify(
    secret: &str,
    timestamp: i64,
    delivery: &str,
    body: &[u8],
    header: &str,
    now_seconds: i64,
) -> bool {
    (now_seconds - timestamp).abs() <= MAX_AGE_SECONDS
        && header.trim().strip_prefix("sha256=").is_some_and(|hex| {
            classify::hmac_sha256_verify(
                secret.as_bytes(),
                &signed_material(timestamp, delivery, body),
                hex,
            )
        })
}

/// The JSON a receiver gets for `out`.
pub fn payload(out: &Outgoing) -> serde_json::Value {
    json!({
        "id": out.nonce,
        "title": out.title,
        "summary": out.summary,
        "body": out.body,
        "link": out.link,
        "hashtags": out.hashtags,
        "image_url": out.image.as_ref().and_then(|i| i.public_url.clone()),
    })
}

fn unsupported<T>(what: &str) -> Outcome<T> {
    Err(Failure::Permanent {
        reason: format!("webhooks do not support {what}"),
    })
}

impl Connector for Webhook {
    fn test_connection(&self) -> BoxFuture<'_, Outcome<String>> {
        Box::pin(async move {
            let (url, _) = self.account()?;
            let body = serde_json::to_vec(&json!({"ping": true})).unwrap_or_default();
            self.send(body, None, "webhook ping").await?;
            let host = reqwest::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| url.to_string());
            Ok(format!("webhook at {host}"))
        })
    }

    fn publish<'a>(&'a self, out: &'a Outgoing) -> BoxFuture<'a, Outcome<Published>> {
        Box::pin(async move {
            let body = serde_json::to_vec(&payload(out)).unwrap_or_default();
            self.send(body, Some(&out.nonce), "webhook delivery")
                .await?;
            Ok(Published {
                remote_id: out.nonce.clone(),
                url: None,
                media: None,
            })
        })
    }

    /// Receivers cannot be asked what they received, but they dedupe by `X-Loa-Delivery`:
    /// `None` tells the dispatcher to resend, which is safe.
    fn find<'a>(
        &'a self,
        _out: &'a Outgoing,
        _since_ms: i64,
    ) -> BoxFuture<'a, Outcome<Vec<Published>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn delete<'a>(&'a self, _remote_id: &'a str) -> BoxFuture<'a, Outcome<()>> {
        Box::pin(async { unsupported("delete") })
    }

    fn metrics<'a>(&'a self, _remote_id: &'a str) -> BoxFuture<'a, Outcome<Metrics>> {
        Box::pin(async { unsupported("metrics") })
    }
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
