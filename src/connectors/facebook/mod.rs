//! Facebook connector: the Graph API for Pages with a Page token (channel-apis.md, section A).
//!
//! Every call carries `access_token` and, when the account has an app secret,
//! `appsecret_proof` (hex HMAC-SHA256 of the token keyed with the secret). Failures are
//! classified by the Graph `error.code`, never by HTTP status alone (A.7).
//!
//! Idempotency: Graph has none. After an ambiguous outcome `find` lists the Page's published
//! posts since the attempt and matches the exact message (section E).

mod client;
pub(crate) mod errors;
mod publish;

use reqwest::Method;
use serde_json::Value;

pub use errors::regain_access;

/// Pages of 100 posts `find` reads at most (a day of a very busy page).
const FIND_PAGES: usize = 20;

use super::classify;
use super::{BoxFuture, Connector, Credentials, Failure, Metrics, Outcome, Outgoing, Published};

pub struct Facebook {
    http: reqwest::Client,
    creds: Credentials,
}

impl Facebook {
    pub fn new(http: reqwest::Client, creds: Credentials) -> Facebook {
        Facebook { http, creds }
    }
}

/// Lowercase hex HMAC-SHA256(key = app secret, message = access token).
pub fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    classify::hmac_sha256_hex(app_secret.as_bytes(), access_token.as_bytes())
}

/// The message a delivery posts; `find` matches on exactly this. A post with photos shows
/// them, not a link preview, so its message also carries the link.
pub fn message(out: &Outgoing) -> String {
    let body = out.body.trim();
    match (&out.image, out.link.as_deref().map(str::trim)) {
        (Some(_), Some(link)) if !link.is_empty() && !body.contains(link) => {
            format!("{body}\n\n{link}")
        }
        _ => body.to_string(),
    }
}

/// A Graph node id as it may appear in a path (digits and `_`), so an id cannot change the
/// path.
fn node_id(remote_id: &str) -> Outcome<&str> {
    let id = remote_id.trim();
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit() || b == b'_') {
        Ok(id)
    } else {
        Err(Failure::Permanent {
            reason: format!("not a Facebook post id: {remote_id:?}"),
        })
    }
}

fn count(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

impl Connector for Facebook {
    fn test_connection(&self) -> BoxFuture<'_, Outcome<String>> {
        Box::pin(async move {
            let page = node_id(self.account()?.page_id)?.to_string();
            // A Page token answers `/me` as the Page itself. A person's token reads the Page
            // as well, but publishing with it is refused: say so now, not at the first post.
            let me = self
                .read(
                    Method::GET,
                    "me",
                    &[("fields", "id,name")],
                    "Facebook token",
                )
                .await?;
            let owner = me["id"].as_str().unwrap_or_default();
            if owner != page {
                return Err(Failure::NeedsReauth {
                    reason: format!(
                        "Facebook token: this token belongs to {} ({owner}), not to Page {page}; \
                         a Page access token of that Page is needed to publish",
                        me["name"].as_str().unwrap_or("another account")
                    ),
                });
            }
            let v = self
                .read(
                    Method::GET,
                    &page,
                    &[("fields", "id,name")],
                    "Facebook page",
                )
                .await?;
            Ok(v["name"].as_str().unwrap_or(&page).to_string())
        })
    }

    fn publish<'a>(&'a self, out: &'a Outgoing) -> BoxFuture<'a, Outcome<Published>> {
        Box::pin(self.publish_post(out))
    }

    fn find<'a>(
        &'a self,
        out: &'a Outgoing,
        since_ms: i64,
    ) -> BoxFuture<'a, Outcome<Vec<Published>>> {
        Box::pin(async move {
            let page = node_id(self.account()?.page_id)?.to_string();
            // Half a minute of slack for clock skew between us and Graph: `since_ms` is this
            // delivery's first attempt, so a look-alike posted before it is not ours.
            let since = (since_ms / 1000 - 30).max(0).to_string();
            let wanted = message(out);
            let wanted = wanted.trim();
            // A busy page may have published many posts since: follow the cursors (bounded)
            // rather than look at the newest page only.
            let mut after = String::new();
            let mut found = Vec::new();
            for _ in 0..FIND_PAGES {
                let mut params = vec![
                    ("fields", "id,message,created_time,permalink_url"),
                    ("since", since.as_str()),
                    ("limit", "100"),
                ];
                if !after.is_empty() {
                    params.push(("after", after.as_str()));
                }
                let v = self
                    .read(
                        Method::GET,
                        &format!("{page}/published_posts"),
                        &params,
                        "Facebook find post",
                    )
                    .await?;
                let matching = v["data"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["message"].as_str().map(str::trim) == Some(wanted));
                for p in matching {
                    if let Some(id) = p["id"].as_str() {
                        found.push(Published {
                            remote_id: id.to_string(),
                            url: p["permalink_url"].as_str().map(str::to_string),
                            media: None,
                        });
                    }
                }
                match v["paging"]["cursors"]["after"].as_str() {
                    Some(next) if v["paging"]["next"].is_string() => after = next.to_string(),
                    _ => break,
                }
            }
            // Graph lists newest first.
            found.reverse();
            Ok(found)
        })
    }

    fn delete<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<()>> {
        Box::pin(async move {
            let id = node_id(remote_id)?;
            let v = self
                .read(Method::DELETE, id, &[], "Facebook delete post")
                .await?;
            if v["success"].as_bool() == Some(true) {
                Ok(())
            } else {
                Err(Failure::Permanent {
                    reason: format!("Facebook delete post: not deleted: {v}"),
                })
            }
        })
    }

    fn metrics<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<Metrics>> {
        Box::pin(async move {
            let id = node_id(remote_id)?;
            let v = self
                .read(
                    Method::GET,
                    id,
                    &[(
                        "fields",
                        "shares,reactions.summary(total_count).limit(0),comments.summary(true).limit(0)",
                    )],
                    "Facebook post engagement",
                )
                .await?;
            // `shares` is absent, not zero, when nobody shared the post.
            let shares = count(&v["shares"]["count"]).unwrap_or(0);
            let reactions = count(&v["reactions"]["summary"]["total_count"]);
            let comments = count(&v["comments"]["summary"]["total_count"]);
            let insights = self.insights(id).await;
            Ok(Metrics {
                views: insights.get("post_media_view").and_then(count),
                reach: insights.get("post_total_media_view_unique").and_then(count),
                reactions,
                reactions_by_type: insights
                    .get("post_reactions_by_type_total")
                    .map(by_type)
                    .unwrap_or_default(),
                comments,
                shares: Some(shares),
                clicks: insights.get("post_clicks").and_then(count),
            })
        })
    }
}

#[cfg(test)]
mod tests;

/// Post metrics Loa asks for, in the names valid after the 2024–2025 deprecations (A.6).
const POST_METRICS: [&str; 4] = [
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_reactions_by_type_total",
];

/// Metrics Graph refused as invalid, per (Graph address, Page), in this process: one invalid
/// metric fails a whole insights request, so once refused a metric is no longer asked for.
/// Per Page, because apps have been seen to disagree about the same metric (A.6).
fn refused() -> &'static std::sync::Mutex<std::collections::HashSet<String>> {
    static REFUSED: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<String>>> =
        std::sync::OnceLock::new();
    REFUSED.get_or_init(Default::default)
}

/// `{"like": 13, "love": 2}` → largest first.
fn by_type(v: &serde_json::Value) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = v
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, n)| count(n).map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

impl Facebook {
    /// The post's insights by metric name. All metrics in one request; when Graph refuses
    /// the set (code 100: an invalid metric fails all), each is asked alone and the ones
    /// refused are remembered. Insights need the ANALYZE task: any other failure costs the
    /// insight numbers only, never the snapshot.
    async fn insights(&self, id: &str) -> std::collections::HashMap<String, serde_json::Value> {
        let page = match &self.creds {
            Credentials::Facebook {
                base_url, page_id, ..
            } => format!("{base_url} {page_id} "),
            _ => String::new(),
        };
        let wanted: Vec<&str> = {
            let refused = refused().lock().expect("refused metrics");
            POST_METRICS
                .iter()
                .copied()
                .filter(|m| !refused.contains(&format!("{page}{m}")))
                .collect()
        };
        // Graph's code 100 without a subcode: a metric name it does not accept.
        let invalid = |reason: &str| reason.contains("Graph error 100:");
        let mut found = std::collections::HashMap::new();
        if wanted.is_empty() {
            return found;
        }
        let ask = |metrics: String| async move {
            self.read(
                Method::GET,
                &format!("{id}/insights"),
                &[("metric", metrics.as_str())],
                "Facebook post insights",
            )
            .await
        };
        let mut answers = Vec::new();
        match ask(wanted.join(",")).await {
            Ok(v) => answers.push(v),
            Err(Failure::Permanent { reason }) if invalid(&reason) => {
                for m in &wanted {
                    match ask(m.to_string()).await {
                        Ok(v) => answers.push(v),
                        Err(Failure::Permanent { reason }) if invalid(&reason) => {
                            refused()
                                .lock()
                                .expect("refused metrics")
                                .insert(format!("{page}{m}"));
                        }
                        Err(_) => {}
                    }
                }
            }
            Err(_) => {}
        }
        for v in answers {
            for m in v["data"].as_array().into_iter().flatten() {
                if let Some(name) = m["name"].as_str() {
                    found.insert(name.to_string(), m["values"][0]["value"].clone());
                }
            }
        }
        found
    }
}
