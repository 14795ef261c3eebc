//! WordPress connector: the core REST API with an Application Password (channel-apis.md,
//! section C), at whatever root the site names (`api.rs`: `/wp-json/` or `?rest_route=`).
//!
//! Exactly once: WordPress has no idempotency key, so every post carries a slug ending in the
//! delivery's nonce (`text::slug`). A slow WordPress may still save a request Loa gave up on,
//! and saves a repeat under `slug-2`, `slug-3`…; so `find` asks for the whole slug family, in
//! every status, and returns every copy, oldest first (the dispatcher keeps the first and
//! moves the others to the trash with `delete`). Only JSON from the API counts as an answer.

mod api;
mod judge;
mod media;
mod text;

pub use text::slug;

use reqwest::Method;
use serde_json::{Value, json};

use self::judge::{Reply, Verdict};
use super::classify;
use super::{BoxFuture, Connector, Credentials, Failure, Metrics, Outcome, Outgoing, Published};

pub struct WordPress {
    http: reqwest::Client,
    creds: Credentials,
}

struct Account<'a> {
    base_url: &'a str,
    username: &'a str,
    app_password: &'a str,
}

/// What a request carries.
enum Body<'a> {
    Empty,
    Json(&'a Value),
    /// A media upload: the raw bytes, named by `Content-Disposition`.
    File {
        mime: &'a str,
        file_name: &'a str,
        bytes: &'a [u8],
    },
}

/// Statuses a post of Loa's may have; `trash` is left out, so a copy moved there stays gone.
const ANY_STATUS: &str = "publish,future,draft,pending,private";

impl WordPress {
    pub fn new(http: reqwest::Client, creds: Credentials) -> WordPress {
        WordPress { http, creds }
    }

    fn account(&self) -> Outcome<Account<'_>> {
        match &self.creds {
            Credentials::Wordpress {
                base_url,
                username,
                app_password,
            } => Ok(Account {
                base_url,
                username,
                app_password,
            }),
            other => Err(Failure::Permanent {
                reason: format!(
                    "WordPress connector given {} credentials",
                    other.kind().as_str()
                ),
            }),
        }
    }

    /// The site's API root: remembered for a few minutes, else discovered now.
    async fn root(&self) -> Outcome<api::Root> {
        let site = self.account()?.base_url;
        if let Some(root) = api::cached(site) {
            return Ok(root);
        }
        let root = api::discover(&self.http, site)
            .await
            .map_err(|lost| lost.failure(site))?;
        api::remember(site, &root);
        Ok(root)
    }

    /// Sends an authenticated request to `route` under the site's root and judges the answer;
    /// only a failure to send (or to read the answer) is an `Err` here.
    async fn exchange(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, &str)],
        body: Body<'_>,
        what: &str,
    ) -> Outcome<Verdict> {
        let acc = self.account()?;
        let root = self.root().await?;
        let idempotent = classify::is_idempotent(&method);
        let req = self
            .http
            .request(method, root.url(route, query))
            .basic_auth(acc.username, Some(acc.app_password));
        let req = match body {
            Body::Empty => req,
            Body::Json(value) => req.json(value),
            Body::File {
                mime,
                file_name,
                bytes,
            } => req
                .header(reqwest::header::CONTENT_TYPE, mime)
                .header(
                    reqwest::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file_name}\""),
                )
                .body(bytes.to_vec()),
        };
        let answer = classify::execute(req, idempotent, what).await?;
        Ok(judge::judge(answer, idempotent, what))
    }

    /// The reply, or the failure; an answer that was not the API's makes the root be
    /// discovered again before the next call.
    fn result(&self, verdict: Verdict) -> Outcome<Reply> {
        verdict.into_result().map_err(|(failure, not_api)| {
            if not_api && let Ok(acc) = self.account() {
                api::forget(acc.base_url);
            }
            failure
        })
    }

    async fn call(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, &str)],
        body: Body<'_>,
        what: &str,
    ) -> Outcome<Reply> {
        let verdict = self.exchange(method, route, query, body, what).await?;
        self.result(verdict)
    }
}

fn published(post: &Value) -> Option<Published> {
    let id = post["id"].as_i64()?;
    Some(Published {
        remote_id: id.to_string(),
        url: post["link"].as_str().map(str::to_string),
        media: post["featured_media"]
            .as_i64()
            .filter(|&m| m > 0)
            .map(|m| m.to_string()),
    })
}

/// A post id as WordPress routes it (digits only), so an id can never change the path.
fn post_id(remote_id: &str) -> Outcome<&str> {
    let id = remote_id.trim();
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(Failure::Permanent {
            reason: format!("not a WordPress post id: {remote_id:?}"),
        })
    }
}

impl Connector for WordPress {
    /// Discovers the API afresh (a person is checking the address), then signs in.
    fn test_connection(&self) -> BoxFuture<'_, Outcome<String>> {
        Box::pin(async move {
            let site = self.account()?.base_url;
            api::forget(site);
            let root = match api::discover(&self.http, site).await {
                Ok(root) => root,
                Err(api::Lost::NotApi(what)) => {
                    return Err(Failure::Permanent {
                        reason: format!("{} ({what})", api::not_api(site)),
                    });
                }
                Err(lost) => return Err(lost.failure(site)),
            };
            api::remember(site, &root);
            let verdict = self
                .exchange(
                    Method::GET,
                    "wp/v2/users/me",
                    &[],
                    Body::Empty,
                    "WordPress sign-in",
                )
                .await?;
            if let Verdict::Broken { not_api: true, .. } = verdict {
                api::forget(site);
                return Err(Failure::Permanent {
                    reason: format!("{} (API root {})", api::not_api(site), root.as_str()),
                });
            }
            let me = self.result(verdict)?.json;
            let name = me["name"]
                .as_str()
                .or(me["slug"].as_str())
                .unwrap_or("WordPress user");
            Ok(name.to_string())
        })
    }

    fn publish<'a>(&'a self, out: &'a Outgoing) -> BoxFuture<'a, Outcome<Published>> {
        Box::pin(async move {
            // Only the post creation can duplicate anything; the image steps before it are
            // never ambiguous (media.rs).
            let featured = match &out.image {
                Some(image) => Some(self.featured(image).await?),
                None => None,
            };
            let mut post = json!({
                "title": text::html_text(&out.title),
                "content": crate::content::portal_html(&out.body),
                "excerpt": text::html_text(&out.summary),
                "status": "publish",
                "slug": slug(&out.title, &out.nonce),
            });
            if let Some(media) = featured {
                post["featured_media"] = json!(media.id);
            }
            let reply = self
                .call(
                    Method::POST,
                    "wp/v2/posts",
                    &[],
                    Body::Json(&post),
                    "WordPress create post",
                )
                .await?;
            let done = published(&reply.json).ok_or_else(|| Failure::Ambiguous {
                reason: "WordPress create post: no post in the answer".into(),
            })?;
            if let (Some(media), Some(image), Ok(id)) =
                (featured, &out.image, done.remote_id.parse::<i64>())
            {
                if done.media.as_deref() == Some(media.id.to_string().as_str()) {
                    self.settle_media(media, id, &image.alt).await;
                } else {
                    // WordPress saves the post without an image it cannot find (deleted
                    // between the check and the post): published, without it, and the
                    // image's id is not remembered.
                    tracing::warn!(
                        post = id,
                        media = media.id,
                        "WordPress saved the post without its featured image"
                    );
                }
            }
            Ok(done)
        })
    }

    fn find<'a>(
        &'a self,
        out: &'a Outgoing,
        _since_ms: i64,
    ) -> BoxFuture<'a, Outcome<Vec<Published>>> {
        Box::pin(async move {
            // The nonce identifies the delivery whatever its date, so `since_ms` is not needed.
            let mut slugs = text::family(&slug(&out.title, &out.nonce));
            for old in text::family(&text::legacy_slug(&out.nonce)) {
                if !slugs.contains(&old) {
                    slugs.push(old);
                }
            }
            let reply = self
                .call(
                    Method::GET,
                    "wp/v2/posts",
                    &[
                        ("slug", &slugs.join(",")),
                        ("status", ANY_STATUS),
                        ("context", "edit"),
                        ("per_page", "100"),
                    ],
                    Body::Empty,
                    "WordPress find post",
                )
                .await?;
            let Some(posts) = reply.json.as_array() else {
                return Err(Failure::Retryable {
                    reason: "WordPress find post: the answer is not a list".into(),
                    after: None,
                });
            };
            let mut found: Vec<&Value> = posts
                .iter()
                .filter(|p| {
                    p["slug"]
                        .as_str()
                        .is_some_and(|s| slugs.iter().any(|x| x == s))
                })
                .collect();
            found.sort_by_key(|p| p["id"].as_i64().unwrap_or(i64::MAX));
            let mut found: Vec<Published> = found.into_iter().filter_map(published).collect();
            if let (Some(first), Some(image)) = (found.first_mut(), &out.image) {
                self.complete_image(first, image).await;
            }
            Ok(found)
        })
    }

    /// Moves the post to the trash (not `force`): a copy removed by Loa can be restored by a
    /// person from WordPress's trash.
    fn delete<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<()>> {
        Box::pin(async move {
            let route = format!("wp/v2/posts/{}", post_id(remote_id)?);
            let verdict = self
                .exchange(
                    Method::DELETE,
                    &route,
                    &[],
                    Body::Empty,
                    "WordPress delete post",
                )
                .await?;
            match verdict {
                Verdict::Refused { code, .. } if code == "rest_already_trashed" => Ok(()),
                other => self.result(other).map(drop),
            }
        })
    }

    fn metrics<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<Metrics>> {
        Box::pin(async move {
            let id = post_id(remote_id)?;
            let reply = self
                .call(
                    Method::GET,
                    "wp/v2/comments",
                    &[("post", id), ("per_page", "1")],
                    Body::Empty,
                    "WordPress comment count",
                )
                .await?;
            let comments = reply
                .headers
                .get("x-wp-total")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok());
            Ok(Metrics {
                comments,
                ..Metrics::default()
            })
        })
    }
}

#[cfg(test)]
mod tests;
