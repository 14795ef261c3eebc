//! Facebook connector: the Graph API for Pages with a Page token (channel-apis.md, section A).
//!
//! Every call carries `access_token` and, when the account has an app secret,
//! `appsecret_proof` (hex HMAC-SHA256 of the token keyed with the secret). Failures are
//! classified by the Graph `error.code`, never by HTTP status alone (A.7).
//!
//! Idempotency: Graph has none. After an ambiguous outcome `find` lists the Page's published
//! posts since the attempt and matches the exact message (section E).

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

/// Pages of 100 posts `find` reads at most (a day of a very busy page).
const FIND_PAGES: usize = 20;

use super::classify::{self, Answer};
use super::{BoxFuture, Connector, Credentials, Failure, Metrics, Outcome, Outgoing, Published};

pub struct Facebook {
    http: reqwest::Client,
    creds: Credentials,
}

struct Account<'a> {
    base_url: &'a str,
    page_id: &'a str,
    page_token: &'a str,
    app_secret: Option<&'a str>,
}

impl Facebook {
    pub fn new(http: reqwest::Client, creds: Credentials) -> Facebook {
        Facebook { http, creds }
    }

    fn account(&self) -> Outcome<Account<'_>> {
        match &self.creds {
            Credentials::Facebook {
                base_url,
                page_id,
                page_token,
                app_secret,
            } => Ok(Account {
                base_url,
                page_id,
                page_token,
                app_secret: app_secret.as_deref().filter(|s| !s.is_empty()),
            }),
            other => Err(Failure::Permanent {
                reason: format!(
                    "Facebook connector given {} credentials",
                    other.kind().as_str()
                ),
            }),
        }
    }

    /// `access_token` and, when the app has a secret, `appsecret_proof`.
    fn auth_params(&self) -> Outcome<Vec<(&'static str, String)>> {
        let acc = self.account()?;
        let mut params = vec![("access_token", acc.page_token.to_string())];
        if let Some(secret) = acc.app_secret {
            params.push(("appsecret_proof", appsecret_proof(secret, acc.page_token)));
        }
        Ok(params)
    }

    fn url(&self, path: &str) -> Outcome<String> {
        Ok(format!(
            "{}/{}",
            self.account()?.base_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        ))
    }

    /// A GET (or DELETE) with `query` plus the auth parameters in the query string.
    async fn read(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        what: &str,
    ) -> Outcome<Value> {
        let mut req = self
            .http
            .request(method.clone(), self.url(path)?)
            .query(query);
        req = req.query(&self.auth_params()?);
        self.finish(req, classify::is_idempotent(&method), what)
            .await
    }

    /// A POST with a form body (auth parameters included in the body, never in the URL).
    async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        query: &[(&str, &str)],
        what: &str,
    ) -> Outcome<Value> {
        let mut body: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        body.extend(
            self.auth_params()?
                .into_iter()
                .map(|(k, v)| (k.to_string(), v)),
        );
        let req = self.http.post(self.url(path)?).query(query).form(&body);
        self.finish(req, false, what).await
    }

    async fn finish(
        &self,
        req: reqwest::RequestBuilder,
        idempotent: bool,
        what: &str,
    ) -> Outcome<Value> {
        let answer = classify::execute(req, idempotent, what).await?;
        let body = answer.json();
        match body {
            Some(v) if answer.status.is_success() && v.get("error").is_none() => Ok(v),
            _ => Err(failure(&answer, idempotent, what)),
        }
    }

    /// Best effort: a post's permalink (the photo endpoint does not return one).
    async fn permalink(&self, post_id: &str) -> Option<String> {
        let v = self
            .read(
                Method::GET,
                post_id,
                &[("fields", "permalink_url")],
                "Facebook permalink",
            )
            .await
            .ok()?;
        v["permalink_url"].as_str().map(str::to_string)
    }
}

/// Lowercase hex HMAC-SHA256(key = app secret, message = access token).
pub fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    classify::hmac_sha256_hex(app_secret.as_bytes(), access_token.as_bytes())
}

/// The message a delivery posts: the feed message, or the photo caption, which also carries
/// the link since a photo post has no `link` parameter. `find` matches on exactly this.
pub fn message(out: &Outgoing) -> String {
    let body = out.body.trim();
    match (&out.image, out.link.as_deref().map(str::trim)) {
        (Some(_), Some(link)) if !link.is_empty() && !body.contains(link) => {
            format!("{body}\n\n{link}")
        }
        _ => body.to_string(),
    }
}

/// Graph's `{"error":{…}}` classified by `error.code` (A.7), then by HTTP status.
fn failure(answer: &Answer, idempotent: bool, what: &str) -> Failure {
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
        10 | 100 | 200..=299 | 368 | 1609005 => Failure::Permanent { reason },
        // Duplicate status: an earlier attempt may well have posted it.
        506 => Failure::Ambiguous { reason },
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
        Box::pin(async move {
            let page = node_id(self.account()?.page_id)?.to_string();
            let text = message(out);
            let Some(image) = &out.image else {
                let mut form = vec![("message", text.as_str())];
                if let Some(link) = out.link.as_deref().filter(|l| !l.trim().is_empty()) {
                    form.push(("link", link));
                }
                let v = self
                    .post_form(
                        &format!("{page}/feed"),
                        &form,
                        &[("fields", "id,permalink_url")],
                        "Facebook post",
                    )
                    .await?;
                let Some(id) = v["id"].as_str() else {
                    return Err(Failure::Ambiguous {
                        reason: format!("Facebook post: answer without an id: {v}"),
                    });
                };
                return Ok(Published {
                    remote_id: id.to_string(),
                    url: v["permalink_url"].as_str().map(str::to_string),
                });
            };
            let v = if image.bytes.is_empty() {
                let Some(url) = image.public_url.as_deref() else {
                    return Err(Failure::Permanent {
                        reason: "Facebook photo: the image has neither bytes nor a URL".into(),
                    });
                };
                self.post_form(
                    &format!("{page}/photos"),
                    &[("url", url), ("caption", text.as_str())],
                    &[],
                    "Facebook photo",
                )
                .await?
            } else {
                let part = reqwest::multipart::Part::bytes(image.bytes.clone())
                    .file_name(image.file_name.clone())
                    .mime_str(&image.mime)
                    .map_err(|e| Failure::Permanent {
                        reason: format!("Facebook photo: bad image type {:?}: {e}", image.mime),
                    })?;
                let mut form = reqwest::multipart::Form::new()
                    .text("caption", text.clone())
                    .part("source", part);
                for (k, v) in self.auth_params()? {
                    form = form.text(k, v);
                }
                let req = self
                    .http
                    .post(self.url(&format!("{page}/photos"))?)
                    .multipart(form);
                self.finish(req, false, "Facebook photo").await?
            };
            let Some(post_id) = v["post_id"].as_str().or(v["id"].as_str()) else {
                return Err(Failure::Ambiguous {
                    reason: format!("Facebook photo: answer without a post id: {v}"),
                });
            };
            let url = self.permalink(post_id).await;
            Ok(Published {
                remote_id: post_id.to_string(),
                url,
            })
        })
    }

    fn find<'a>(
        &'a self,
        out: &'a Outgoing,
        since_ms: i64,
    ) -> BoxFuture<'a, Outcome<Option<Published>>> {
        Box::pin(async move {
            let page = node_id(self.account()?.page_id)?.to_string();
            // A minute of slack for clock skew between us and Graph.
            let since = (since_ms / 1000 - 60).max(0).to_string();
            let wanted = message(out);
            let wanted = wanted.trim();
            // A busy page may have published many posts since: follow the cursors (bounded)
            // rather than look at the newest page only.
            let mut after = String::new();
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
                let found = v["data"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|p| p["message"].as_str().map(str::trim) == Some(wanted));
                if let Some(p) = found {
                    return Ok(p["id"].as_str().map(|id| Published {
                        remote_id: id.to_string(),
                        url: p["permalink_url"].as_str().map(str::to_string),
                    }));
                }
                match v["paging"]["cursors"]["after"].as_str() {
                    Some(next) if v["paging"]["next"].is_string() => after = next.to_string(),
                    _ => return Ok(None),
                }
            }
            Ok(None)
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
            // Insights need the ANALYZE task and their metric names keep changing (A.6): a
            // failure here costs the view count only.
            let views = self
                .read(
                    Method::GET,
                    &format!("{id}/insights"),
                    &[("metric", "post_media_view")],
                    "Facebook post insights",
                )
                .await
                .ok()
                .and_then(|v| {
                    v["data"]
                        .as_array()?
                        .iter()
                        .find(|m| m["name"] == "post_media_view")
                        .and_then(|m| count(&m["values"][0]["value"]))
                });
            Ok(Metrics {
                views,
                reactions,
                comments,
                shares: Some(shares),
                clicks: None,
            })
        })
    }
}

#[cfg(test)]
#[path = "facebook_tests.rs"]
mod tests;
