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

mod client;
mod oauth;
mod publish;

pub use oauth::{ZaloApp, code_challenge, code_verifier, exchange_code, permission_url};

use std::time::Duration;

use serde_json::json;

use super::transport;
use super::{
    BoxFuture, Connector, Credentials, Failure, Metrics, Outcome, Outgoing, Published, Refreshed,
};

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
}

fn clip(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

/// The title Loa sends and `find` matches: the same function on both sides.
fn title_of(out: &Outgoing) -> String {
    clip(&out.title, TITLE_MAX)
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
        Box::pin(self.publish_article(out))
    }

    /// Looks for an article with exactly this title among the newest `FIND_PAGES × 10`.
    /// `getslice` items carry no reliable creation time, so `since_ms` is not used; an older
    /// article with the very same title would be taken as this one, which is also how
    /// practitioners dedupe Zalo posts.
    fn find<'a>(
        &'a self,
        out: &'a Outgoing,
        _since_ms: i64,
    ) -> BoxFuture<'a, Outcome<Vec<Published>>> {
        Box::pin(async move {
            let title = title_of(out);
            let mut found = Vec::new();
            for page in 0..FIND_PAGES {
                let items = self.slice(page * PAGE).await?;
                for item in &items {
                    if item["title"].as_str().map(str::trim) != Some(title.as_str()) {
                        continue;
                    }
                    if let Some(remote_id) = transport::id_string(&item["id"]) {
                        let url = item["url"]
                            .as_str()
                            .or_else(|| item["link"].as_str())
                            .map(str::to_string);
                        found.push(Published {
                            remote_id,
                            url,
                            media: None,
                        });
                    }
                }
                if items.len() < PAGE {
                    break;
                }
            }
            // getslice lists newest first.
            found.reverse();
            Ok(found)
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
        Box::pin(self.refresh_tokens())
    }
}

#[cfg(test)]
mod tests;
