//! Mastodon connector (channel-apis.md §D.2): `POST /api/v1/statuses` with a bearer token and
//! always an `Idempotency-Key` (the delivery nonce), after `POST /api/v2/media` for an image.
//!
//! Errors: 429 → `Retryable` after `X-RateLimit-Reset` (Mastodon sends no `Retry-After`);
//! 401, and 403 for a missing scope → `NeedsReauth`; 422 and other 4xx → `Permanent`; 5xx or
//! a timeout on a status → `Ambiguous`.
//!
//! Reconciliation. Mastodon keeps the key for an hour and answers a repeat with the original
//! status, so retrying `publish` with the same nonce within the hour cannot duplicate.
//! `find` is nevertheless a read: it lists the account's own recent statuses and matches the
//! text. A re-POST would publish the status if the first attempt never landed (a side effect
//! `find` must not have, e.g. when the post was cancelled meanwhile), and after the hour it
//! would duplicate; the read works at any age and changes nothing.

use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::transport::{self, Answer};
use super::{BoxFuture, Connector, Credentials, Failure, Metrics, Outcome, Outgoing, Published};

/// Statuses per page in `find` (Mastodon's maximum) and pages read.
const FIND_LIMIT: usize = 40;
const FIND_PAGES: usize = 3;
/// Clock skew allowed between Loa and the instance when `find` stops at `since_ms`.
const SKEW_MS: i64 = 10 * 60 * 1000;
/// Clock difference allowed between Loa and the instance when matching a status to an attempt.
const MATCH_SKEW_MS: i64 = 30 * 1000;
/// Checks of an upload still being processed (202) before giving up, and the wait between.
const MEDIA_CHECKS: u32 = 10;
const MEDIA_WAIT: Duration = Duration::from_millis(500);

pub struct Mastodon {
    http: reqwest::Client,
    creds: Credentials,
}

impl Mastodon {
    pub fn new(http: reqwest::Client, creds: Credentials) -> Mastodon {
        Mastodon { http, creds }
    }

    fn account(&self) -> Outcome<(&str, &str)> {
        match &self.creds {
            Credentials::Mastodon {
                base_url,
                access_token,
            } => Ok((transport::base(base_url), access_token)),
            other => Err(Failure::Permanent {
                reason: format!("Mastodon connector given {:?}", other.kind()),
            }),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> Outcome<reqwest::RequestBuilder> {
        let (base, token) = self.account()?;
        Ok(self
            .http
            .request(method, format!("{base}{path}"))
            .bearer_auth(token))
    }

    /// Sends and returns the JSON of a 2xx answer, or the classified failure.
    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
        mutating: bool,
    ) -> Outcome<Answer> {
        let answer = transport::send(request, mutating, what).await?;
        if answer.status.is_success() {
            Ok(answer)
        } else {
            Err(classify(&answer, mutating, what))
        }
    }

    /// Uploads the image and returns the media id once Mastodon can attach it. An upload is
    /// treated as a read: a lost answer leaves at most an unattached file, which Mastodon
    /// removes by itself, so it is safe to retry.
    async fn upload(&self, image: &super::Image) -> Outcome<String> {
        let file = reqwest::multipart::Part::bytes(image.bytes.clone())
            .file_name(image.file_name.clone())
            .mime_str(&image.mime)
            .map_err(|e| Failure::Permanent {
                reason: format!("Mastodon media type {:?}: {e}", image.mime),
            })?;
        let form = reqwest::multipart::Form::new()
            .part("file", file)
            .text("description", image.alt.clone());
        let request = self
            .request(reqwest::Method::POST, "/api/v2/media")?
            .multipart(form);
        let answer = self.call(request, "Mastodon media upload", false).await?;
        let id = transport::id_string(&answer.json["id"]).ok_or_else(|| Failure::Retryable {
            reason: "Mastodon media upload answered without an id".into(),
            after: None,
        })?;
        if answer.status == reqwest::StatusCode::ACCEPTED {
            // Still processing: attachable once `GET /api/v1/media/:id` answers 200.
            for _ in 0..MEDIA_CHECKS {
                tokio::time::sleep(MEDIA_WAIT).await;
                let request = self.request(reqwest::Method::GET, &format!("/api/v1/media/{id}"))?;
                let check = self.call(request, "Mastodon media check", false).await?;
                if check.status == reqwest::StatusCode::OK {
                    return Ok(id);
                }
            }
            return Err(Failure::Retryable {
                reason: "Mastodon was still processing the image".into(),
                after: None,
            });
        }
        Ok(id)
    }

    async fn own_account_id(&self) -> Outcome<Value> {
        let request = self.request(reqwest::Method::GET, "/api/v1/accounts/verify_credentials")?;
        Ok(self
            .call(request, "Mastodon verify_credentials", false)
            .await?
            .json)
    }
}

fn classify(answer: &Answer, mutating: bool, what: &str) -> Failure {
    let status = answer.status;
    let message = answer.json["error"].as_str().unwrap_or("no description");
    let reason = format!("{what}: HTTP {} {message}", status.as_u16());
    match status.as_u16() {
        429 => Failure::Retryable {
            reason,
            after: reset_after(answer),
        },
        401 => Failure::NeedsReauth { reason },
        403 if message.to_lowercase().contains("scope") => Failure::NeedsReauth { reason },
        500..=599 if mutating => Failure::Ambiguous { reason },
        500..=599 => Failure::Retryable {
            reason,
            after: None,
        },
        _ => Failure::Permanent { reason },
    }
}

/// Time until `X-RateLimit-Reset` (ISO-8601 with microseconds), the only hint Mastodon gives.
fn reset_after(answer: &Answer) -> Option<Duration> {
    let reset = answer
        .headers
        .get("x-ratelimit-reset")?
        .to_str()
        .ok()?
        .trim();
    let reset = OffsetDateTime::parse(reset, &Rfc3339).ok()?;
    let left = reset - OffsetDateTime::now_utc();
    Some(Duration::try_from(left).unwrap_or(Duration::ZERO))
}

fn published(status: &Value) -> Option<Published> {
    Some(Published {
        remote_id: transport::id_string(&status["id"])?,
        url: status["url"]
            .as_str()
            .or_else(|| status["uri"].as_str())
            .map(str::to_string),
        media: None,
    })
}

/// Plain text of a status' HTML `content`, whitespace collapsed, to compare with what was sent:
/// Mastodon wraps paragraphs, breaks, links and hashtags in markup the reader never sees.
fn visible_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        text.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end]
            .trim_start_matches('/')
            .to_ascii_lowercase();
        if tag.starts_with("br") || tag.starts_with('p') {
            text.push(' ');
        }
        rest = &rest[start + end + 1..];
    }
    text.push_str(rest);
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    collapse(&text)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn created_ms(status: &Value) -> Option<i64> {
    let at = OffsetDateTime::parse(status["created_at"].as_str()?, &Rfc3339).ok()?;
    Some((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

impl Connector for Mastodon {
    fn test_connection(&self) -> BoxFuture<'_, Outcome<String>> {
        Box::pin(async move {
            let account = self.own_account_id().await?;
            account["username"]
                .as_str()
                .map(|u| format!("@{u}"))
                .ok_or_else(|| Failure::Permanent {
                    reason: "Mastodon verify_credentials answered without a username".into(),
                })
        })
    }

    fn publish<'a>(&'a self, out: &'a Outgoing) -> BoxFuture<'a, Outcome<Published>> {
        Box::pin(async move {
            let mut form = vec![
                ("status", out.body.clone()),
                ("visibility", "public".to_string()),
                ("language", "vi".to_string()),
            ];
            if let Some(image) = &out.image {
                form.push(("media_ids[]", self.upload(image).await?));
            }
            let request = self
                .request(reqwest::Method::POST, "/api/v1/statuses")?
                .header("Idempotency-Key", out.nonce.as_str())
                .form(&form);
            let answer = self.call(request, "Mastodon status", true).await?;
            published(&answer.json).ok_or_else(|| Failure::Ambiguous {
                reason: "Mastodon answered without a status id".into(),
            })
        })
    }

    /// Lists the account's own statuses, newest first, back to `since_ms` (less clock skew)
    /// or `FIND_PAGES × 40`, and matches the visible text against the body sent.
    fn find<'a>(
        &'a self,
        out: &'a Outgoing,
        since_ms: i64,
    ) -> BoxFuture<'a, Outcome<Vec<Published>>> {
        Box::pin(async move {
            let account = self.own_account_id().await?;
            let Some(account_id) = transport::id_string(&account["id"]) else {
                return Err(Failure::Retryable {
                    reason: "Mastodon verify_credentials answered without an id".into(),
                    after: None,
                });
            };
            let wanted = collapse(&out.body);
            if wanted.is_empty() {
                // Nothing to match on: any image-only status would look like this one.
                return Ok(Vec::new());
            }
            let mut max_id: Option<String> = None;
            let mut found = Vec::new();
            for _ in 0..FIND_PAGES {
                let mut path = format!(
                    "/api/v1/accounts/{account_id}/statuses?limit={FIND_LIMIT}\
                     &exclude_replies=true&exclude_reblogs=true"
                );
                if let Some(max_id) = &max_id {
                    path.push_str(&format!("&max_id={max_id}"));
                }
                let request = self.request(reqwest::Method::GET, &path)?;
                let page = self.call(request, "Mastodon statuses", false).await?.json;
                let statuses = page.as_array().cloned().unwrap_or_default();
                for status in &statuses {
                    let content = status["content"].as_str().unwrap_or_default();
                    // Only statuses this delivery's attempts can have made: a look-alike posted
                    // before its first attempt is someone else's.
                    let recent = created_ms(status).is_none_or(|ms| ms >= since_ms - MATCH_SKEW_MS);
                    if recent && visible_text(content) == wanted {
                        found.extend(published(status));
                    }
                }
                let older = statuses
                    .last()
                    .and_then(created_ms)
                    .is_some_and(|ms| ms < since_ms - SKEW_MS);
                if statuses.len() < FIND_LIMIT || older {
                    break;
                }
                max_id = statuses.last().and_then(|s| transport::id_string(&s["id"]));
            }
            // Statuses list newest first.
            found.reverse();
            Ok(found)
        })
    }

    /// Deletes the status; one that is already gone (404) counts as deleted.
    fn delete<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<()>> {
        Box::pin(async move {
            let id: String = form_urlencoded::byte_serialize(remote_id.as_bytes()).collect();
            let request =
                self.request(reqwest::Method::DELETE, &format!("/api/v1/statuses/{id}"))?;
            match self.call(request, "Mastodon delete", true).await {
                Ok(_) => Ok(()),
                Err(Failure::Permanent { reason }) if reason.contains("HTTP 404") => Ok(()),
                Err(other) => Err(other),
            }
        })
    }

    fn metrics<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<Metrics>> {
        Box::pin(async move {
            let id: String = form_urlencoded::byte_serialize(remote_id.as_bytes()).collect();
            let request = self.request(reqwest::Method::GET, &format!("/api/v1/statuses/{id}"))?;
            let status = self.call(request, "Mastodon status", false).await?.json;
            Ok(Metrics {
                shares: transport::lenient_i64(&status["reblogs_count"]),
                reactions: transport::lenient_i64(&status["favourites_count"]),
                comments: transport::lenient_i64(&status["replies_count"]),
                ..Metrics::default()
            })
        })
    }
}

#[cfg(test)]
#[path = "mastodon_tests.rs"]
mod tests;
