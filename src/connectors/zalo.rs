//! Zalo Official Account connector (channel-apis.md §B).
//!
//! The token travels in a header named `access_token`, and business errors come back as HTTP
//! 200 with a non-zero `error`. Publishing is asynchronous: `article/create` answers a token,
//! and `article/verify` turns it into an article id once Zalo has fetched the cover and
//! processed the body, so `publish` polls verify with backoff.
//!
//! Zalo has no idempotency key, and the create token is lost when the answer is, so `find`
//! reconciles by exact title in `article/getslice`, as practitioners dedupe before creating.
//!
//! Error codes (§B.4) and their classes:
//! - `-32` (per-minute limit; 60 s hint) and `-211` (quota): `Retryable`;
//! - `-216` (token invalid) and `-220` (token expired): `TokenExpired`, a refresh may fix it;
//! - `-219` (app removed or disabled) and `-223` (OA has not authorised this API): the OA
//!   admin must connect the account again, `NeedsReauth`;
//! - `-224` (paid tier), `-242` (appsecret_proof), `-204`/`-205` (OA disabled or missing),
//!   `-209`/`-212` (API not supported or registered): billing or configuration that a new
//!   login does not fix, `Permanent`;
//! - `-201`, `-210` (validation), `-200` (cover fetch failed at verify) and anything unknown:
//!   `Permanent`;
//! - OAuth `-14014` (refresh token invalid or already used) and other OAuth errors:
//!   `NeedsReauth`.

use std::time::Duration;

use serde_json::{Value, json};

use super::transport::{self, Answer};
use super::{
    BoxFuture, Connector, Credentials, Failure, Metrics, Outcome, Outgoing, Published, Refreshed,
};

/// The `author` shown on articles (Zalo allows at most 50 characters).
const AUTHOR: &str = "UBND";
/// Zalo rejected titles of exactly 150 characters; the variant limit is 140.
const TITLE_MAX: usize = 149;
const DESCRIPTION_MAX: usize = 300;
/// `getslice` returns at most 10 articles per call; `find` reads this many pages.
const PAGE: usize = 10;
const FIND_PAGES: usize = 5;

/// How `publish` polls `article/verify`: `attempts` checks, waiting `first` before the first
/// and doubling up to `max` between the next ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Polling {
    pub attempts: u32,
    pub first: Duration,
    pub max: Duration,
}

impl Default for Polling {
    /// 0.3 + 0.6 + 1.2 + 2.4 + 3 × 4 s ≈ 16.5 s, about what a working client allows (8 × 3 s).
    fn default() -> Polling {
        Polling {
            attempts: 8,
            first: Duration::from_millis(300),
            max: Duration::from_secs(3),
        }
    }
}

pub struct Zalo {
    http: reqwest::Client,
    creds: Credentials,
    polling: Polling,
}

/// The Zalo fields of the credentials.
struct Account<'a> {
    api_base: &'a str,
    oauth_base: &'a str,
    app_id: &'a str,
    secret_key: &'a str,
    access_token: &'a str,
    refresh_token: &'a str,
}

impl Zalo {
    pub fn new(http: reqwest::Client, creds: Credentials) -> Zalo {
        Zalo {
            http,
            creds,
            polling: Polling::default(),
        }
    }

    /// Polls `article/verify` on another schedule (tests use milliseconds).
    pub fn with_polling(mut self, polling: Polling) -> Zalo {
        self.polling = polling;
        self
    }

    fn account(&self) -> Outcome<Account<'_>> {
        match &self.creds {
            Credentials::Zalo {
                api_base,
                oauth_base,
                app_id,
                secret_key,
                access_token,
                refresh_token,
                ..
            } => Ok(Account {
                api_base: transport::base(api_base),
                oauth_base: transport::base(oauth_base),
                app_id,
                secret_key,
                access_token,
                refresh_token,
            }),
            other => Err(Failure::Permanent {
                reason: format!("Zalo connector given {:?}", other.kind()),
            }),
        }
    }

    /// One Open API call. The outer result is the transport or HTTP outcome; the inner one is
    /// Zalo's business answer: `data` on `error: 0`, else the code and message.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        mutating: bool,
    ) -> Outcome<Result<Value, (i64, String)>> {
        let account = self.account()?;
        let what = format!("Zalo {path}");
        let mut request = self
            .http
            .request(method, format!("{}{path}", account.api_base))
            .header("access_token", account.access_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = transport::send(request, mutating, &what).await?;
        business(answer, mutating, &what)
    }

    /// `call`, with a business error classified.
    async fn data(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        mutating: bool,
    ) -> Outcome<Value> {
        self.call(method, path, body, mutating)
            .await?
            .map_err(|(code, message)| classify(code, &message))
    }

    /// Polls verify until Zalo gives the article id. The article exists once create answered
    /// a token, so anything short of an id or Zalo's own "the cover failed" is `Ambiguous`:
    /// a blind retry would publish it twice.
    async fn verify(&self, token: &str) -> Outcome<Published> {
        let mut wait = self.polling.first;
        let mut last = String::from("no answer");
        for _ in 0..self.polling.attempts.max(1) {
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.polling.max.max(self.polling.first));
            let answer = self
                .call(
                    reqwest::Method::POST,
                    "/v2.0/article/verify",
                    Some(json!({ "token": token })),
                    false,
                )
                .await;
            match answer {
                Ok(Ok(data)) => {
                    let id = transport::id_string(&data["id"])
                        .or_else(|| transport::id_string(&data["article_id"]));
                    match id {
                        Some(remote_id) => {
                            let url = data["url"]
                                .as_str()
                                .or_else(|| data["link"].as_str())
                                .map(str::to_string);
                            return Ok(Published { remote_id, url });
                        }
                        None => last = "verify answered without an article id".into(),
                    }
                }
                Ok(Err((-200, message))) => {
                    return Err(Failure::Permanent {
                        reason: format!(
                            "Zalo could not fetch the cover image (-200 {message}); \
                             use a smaller image at a public URL"
                        ),
                    });
                }
                Ok(Err((code, message))) if code == -214 || is_processing(&message) => {
                    last = format!("{code} {message}");
                }
                Ok(Err((code, message))) => match classify(code, &message) {
                    // Rate limits pass; keep polling.
                    Failure::Retryable { reason, .. } => last = reason,
                    other => {
                        return Err(Failure::Ambiguous {
                            reason: format!(
                                "Zalo created the article but verify failed: {}",
                                other.reason()
                            ),
                        });
                    }
                },
                Err(failure) => last = failure.reason().to_string(),
            }
        }
        Err(Failure::Ambiguous {
            reason: format!(
                "Zalo was still processing the article after {} checks (last: {last})",
                self.polling.attempts.max(1)
            ),
        })
    }

    /// One page of `getslice`: the items, newest first.
    async fn slice(&self, offset: usize) -> Outcome<Vec<Value>> {
        let path = format!("/v2.0/article/getslice?offset={offset}&limit={PAGE}&type=normal");
        let data = self.data(reqwest::Method::GET, &path, None, false).await?;
        let items = data
            .get("medias")
            .or_else(|| data.get("articles"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(items)
    }
}

/// Zalo's answer: HTTP errors first (Zalo itself answers 200; anything else is a proxy or an
/// outage), then the `error` field.
fn business(answer: Answer, mutating: bool, what: &str) -> Outcome<Result<Value, (i64, String)>> {
    let status = answer.status;
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(Failure::Retryable {
            reason: format!("{what}: HTTP 429"),
            after: None,
        });
    }
    if !status.is_success() {
        let reason = format!("{what}: HTTP {}", status.as_u16());
        return Err(if status.is_server_error() && mutating {
            Failure::Ambiguous { reason }
        } else if status.is_server_error() {
            Failure::Retryable {
                reason,
                after: None,
            }
        } else {
            Failure::Permanent { reason }
        });
    }
    let Some(code) = transport::lenient_i64(&answer.json["error"]) else {
        let reason = format!("{what}: the answer is not Zalo's JSON");
        return Err(if mutating {
            Failure::Ambiguous { reason }
        } else {
            Failure::Retryable {
                reason,
                after: None,
            }
        });
    };
    if code == 0 {
        return Ok(Ok(answer.json["data"].clone()));
    }
    let message = answer.json["message"]
        .as_str()
        .unwrap_or("no message")
        .to_string();
    Ok(Err((code, message)))
}

/// The class of an Open API error code (see the module documentation).
fn classify(code: i64, message: &str) -> Failure {
    let reason = format!("Zalo error {code}: {message}");
    match code {
        -32 => Failure::Retryable {
            reason,
            after: Some(Duration::from_secs(60)),
        },
        -211 => Failure::Retryable {
            reason,
            after: None,
        },
        -216 | -220 => Failure::TokenExpired { reason },
        -219 | -223 => Failure::NeedsReauth { reason },
        _ => Failure::Permanent { reason },
    }
}

fn is_processing(message: &str) -> bool {
    message.to_lowercase().contains("being processed")
}

/// Percent-encodes what Zalo refuses in `photo_url` (spaces, controls, non-ASCII and a few
/// unsafe characters), leaving reserved characters and existing `%XX` escapes alone.
fn encode_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for &b in url.trim().as_bytes() {
        if b <= 0x20 || b >= 0x7f || b"\"<>\\^`{|}".contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

fn clip(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

/// The title Loa sends and `find` matches: the same function on both sides.
fn title_of(out: &Outgoing) -> String {
    clip(&out.title, TITLE_MAX)
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

impl Connector for Zalo {
    fn test_connection(&self) -> BoxFuture<'_, Outcome<String>> {
        Box::pin(async move {
            let data = self
                .data(reqwest::Method::GET, "/v2.0/oa/getoa", None, false)
                .await?;
            data["name"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| Failure::Permanent {
                    reason: "Zalo getoa answered without a name".into(),
                })
        })
    }

    fn publish<'a>(&'a self, out: &'a Outgoing) -> BoxFuture<'a, Outcome<Published>> {
        Box::pin(async move {
            let image = out.image.as_ref().ok_or_else(|| Failure::Permanent {
                reason: "Zalo needs a cover: add an image to the post".into(),
            })?;
            let cover = image
                .public_url
                .as_deref()
                .filter(|u| !u.trim().is_empty())
                .ok_or_else(|| Failure::Permanent {
                    reason: "Zalo needs a cover at a public URL; none is configured".into(),
                })?;
            let body = json!({
                "type": "normal",
                "title": title_of(out),
                "author": AUTHOR,
                "description": clip(&out.summary, DESCRIPTION_MAX),
                "cover": {
                    "cover_type": "photo",
                    "photo_url": encode_url(cover),
                    "status": "show",
                },
                "body": [{ "type": "text", "content": crate::content::text_html(&out.body) }],
                "status": "show",
                "comment": "show",
            });
            let data = self
                .data(
                    reqwest::Method::POST,
                    "/v2.0/article/create",
                    Some(body),
                    true,
                )
                .await?;
            let token = data["token"]
                .as_str()
                .filter(|t| !t.is_empty())
                .ok_or_else(|| Failure::Ambiguous {
                    reason: "Zalo accepted the article but answered no token".into(),
                })?;
            self.verify(token).await
        })
    }

    /// Looks for an article with exactly this title among the newest `FIND_PAGES × 10`.
    /// `getslice` items carry no reliable creation time, so `since_ms` is not used; an older
    /// article with the very same title would be taken as this one, which is also how
    /// practitioners dedupe Zalo posts.
    fn find<'a>(
        &'a self,
        out: &'a Outgoing,
        _since_ms: i64,
    ) -> BoxFuture<'a, Outcome<Option<Published>>> {
        Box::pin(async move {
            let title = title_of(out);
            for page in 0..FIND_PAGES {
                let items = self.slice(page * PAGE).await?;
                let hit = items
                    .iter()
                    .find(|item| item["title"].as_str().map(str::trim) == Some(title.as_str()));
                if let Some(item) = hit
                    && let Some(remote_id) = transport::id_string(&item["id"])
                {
                    let url = item["url"]
                        .as_str()
                        .or_else(|| item["link"].as_str())
                        .map(str::to_string);
                    return Ok(Some(Published { remote_id, url }));
                }
                if items.len() < PAGE {
                    break;
                }
            }
            Ok(None)
        })
    }

    fn delete<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<()>> {
        Box::pin(async move {
            self.data(
                reqwest::Method::POST,
                "/v2.0/article/remove",
                Some(json!({ "id": remote_id })),
                true,
            )
            .await
            .map(|_| ())
        })
    }

    /// Views and shares from `getdetail` when Zalo reports them (unverified fields: `None`
    /// when absent); Zalo reports no reactions, comments or clicks for articles.
    fn metrics<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<Metrics>> {
        Box::pin(async move {
            let id: String = form_urlencoded::byte_serialize(remote_id.as_bytes()).collect();
            let data = self
                .data(
                    reqwest::Method::GET,
                    &format!("/v2.0/article/getdetail?id={id}"),
                    None,
                    false,
                )
                .await?;
            Ok(Metrics {
                views: transport::lenient_i64(&data["total_view"]),
                shares: transport::lenient_i64(&data["total_share"]),
                ..Metrics::default()
            })
        })
    }

    /// Exchanges the single-use refresh token. The caller must store both new tokens
    /// atomically before using them: the old refresh token is spent.
    fn refresh(&self) -> BoxFuture<'_, Outcome<Refreshed>> {
        Box::pin(async move {
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
        })
    }
}

#[cfg(test)]
#[path = "zalo_tests.rs"]
mod tests;
