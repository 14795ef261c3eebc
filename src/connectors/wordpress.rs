//! WordPress connector: the core REST API (`/wp-json/wp/v2/…`) with an Application Password
//! (channel-apis.md, section C).
//!
//! Idempotency: WordPress has none, so every post carries a deterministic slug `loa-{nonce}`.
//! After an ambiguous outcome `find` asks for that slug (authenticated, any status), which is
//! the reconciliation the contract recommends (section E).

use reqwest::Method;
use serde_json::{Value, json};

use super::classify::{self, Answer};
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

    /// An authenticated request to `/wp-json/wp/v2{path}`.
    fn request(&self, method: Method, path: &str) -> Outcome<reqwest::RequestBuilder> {
        let acc = self.account()?;
        let url = format!(
            "{}/wp-json/wp/v2{}",
            acc.base_url.trim_end_matches('/'),
            path
        );
        Ok(self
            .http
            .request(method, url)
            .basic_auth(acc.username, Some(acc.app_password)))
    }

    /// Sends and classifies: the 2xx answer, or the failure in WordPress's terms.
    async fn call(
        &self,
        method: Method,
        path: &str,
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
        what: &str,
    ) -> Outcome<Answer> {
        let idempotent = classify::is_idempotent(&method);
        let req = build(self.request(method, path)?);
        let answer = classify::execute(req, idempotent, what).await?;
        if answer.status.is_success() {
            Ok(answer)
        } else {
            Err(failure(&answer, idempotent, what))
        }
    }

    /// Uploads the image and sets its alt text: the attachment id for `featured_media`.
    async fn upload(&self, image: &super::Image) -> Outcome<i64> {
        let answer = self
            .call(
                Method::POST,
                "/media",
                |r| {
                    r.header(reqwest::header::CONTENT_TYPE, image.mime.as_str())
                        .header(
                            reqwest::header::CONTENT_DISPOSITION,
                            format!("attachment; filename=\"{}\"", file_name(&image.file_name)),
                        )
                        .body(image.bytes.clone())
                },
                "WordPress media upload",
            )
            .await?;
        let id = answer
            .json()
            .and_then(|v| v["id"].as_i64())
            .ok_or_else(|| Failure::Retryable {
                reason: format!(
                    "WordPress media upload: no attachment id in {}",
                    answer.snippet()
                ),
                after: None,
            })?;
        if !image.alt.trim().is_empty() {
            self.call(
                Method::POST,
                &format!("/media/{id}"),
                |r| r.json(&json!({"alt_text": image.alt})),
                "WordPress media alt text",
            )
            .await?;
        }
        Ok(id)
    }
}

/// The slug that makes a delivery findable: `loa-{nonce}`, lowercase `[a-z0-9-]` only.
pub fn slug(nonce: &str) -> String {
    let mut out = String::from("loa-");
    for c in nonce.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_string();
    // WordPress stores at most 200 bytes of slug.
    out.truncate(190);
    out
}

/// A file name safe inside a quoted `Content-Disposition` parameter.
fn file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.trim_matches(['-', '.']).is_empty() {
        "image".into()
    } else {
        cleaned
    }
}

/// WordPress's error body `{"code","message","data":{"status"}}`, classified.
fn failure(answer: &Answer, idempotent: bool, what: &str) -> Failure {
    let body = answer.json().unwrap_or(Value::Null);
    let code = body["code"].as_str().unwrap_or("");
    let reason = match body["message"].as_str() {
        Some(message) if !code.is_empty() => {
            format!("{what}: {code} ({}): {message}", answer.status.as_u16())
        }
        _ => format!(
            "{what}: HTTP {} {}",
            answer.status.as_u16(),
            answer.snippet()
        ),
    };
    match answer.status.as_u16() {
        // incorrect_password, invalid_username, rest_not_logged_in (the Authorization header
        // was stripped or missing), rest_cannot_create as anonymous.
        401 => Failure::NeedsReauth { reason },
        429 => Failure::Retryable {
            reason,
            after: classify::retry_after(&answer.headers),
        },
        // rest_cannot_create and friends: the user lacks the capability; a person must fix the
        // role, but the credentials themselves are valid.
        403 => Failure::Permanent { reason },
        408 => Failure::Retryable {
            reason,
            after: None,
        },
        400..=499 => Failure::Permanent { reason },
        _ if idempotent => Failure::Retryable {
            reason,
            after: classify::retry_after(&answer.headers),
        },
        _ => Failure::Ambiguous { reason },
    }
}

fn published(post: &Value) -> Option<Published> {
    let id = post["id"].as_i64()?;
    Some(Published {
        remote_id: id.to_string(),
        url: post["link"].as_str().map(str::to_string),
        media: None,
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
    fn test_connection(&self) -> BoxFuture<'_, Outcome<String>> {
        Box::pin(async move {
            let answer = self
                .call(Method::GET, "/users/me", |r| r, "WordPress sign-in")
                .await?;
            let me = answer.json().unwrap_or(Value::Null);
            let name = me["name"]
                .as_str()
                .or(me["slug"].as_str())
                .unwrap_or("WordPress user");
            Ok(name.to_string())
        })
    }

    fn publish<'a>(&'a self, out: &'a Outgoing) -> BoxFuture<'a, Outcome<Published>> {
        Box::pin(async move {
            // Only the post creation can duplicate anything: a failed or repeated upload leaves
            // at most an unused attachment, so upload failures are never ambiguous.
            let featured = match &out.image {
                Some(image) => Some(self.upload(image).await.map_err(|f| match f {
                    Failure::Ambiguous { reason } => Failure::Retryable {
                        reason: format!("{reason} (image only; the post was not created)"),
                        after: None,
                    },
                    other => other,
                })?),
                None => None,
            };
            let mut post = json!({
                "title": out.title,
                "content": crate::content::portal_html(&out.body),
                "excerpt": out.summary,
                "status": "publish",
                "slug": slug(&out.nonce),
            });
            if let Some(id) = featured {
                post["featured_media"] = json!(id);
            }
            let answer = self
                .call(
                    Method::POST,
                    "/posts",
                    |r| r.json(&post),
                    "WordPress create post",
                )
                .await?;
            answer
                .json()
                .as_ref()
                .and_then(published)
                .ok_or_else(|| Failure::Ambiguous {
                    reason: format!(
                        "WordPress create post: HTTP {} without a post in the answer: {}",
                        answer.status.as_u16(),
                        answer.snippet()
                    ),
                })
        })
    }

    fn find<'a>(
        &'a self,
        out: &'a Outgoing,
        _since_ms: i64,
    ) -> BoxFuture<'a, Outcome<Vec<Published>>> {
        Box::pin(async move {
            let slug = slug(&out.nonce);
            let answer = self
                .call(
                    Method::GET,
                    "/posts",
                    |r| {
                        r.query(&[
                            ("slug", slug.as_str()),
                            ("status", "publish,future,draft"),
                            ("context", "edit"),
                        ])
                    },
                    "WordPress find post",
                )
                .await?;
            let list = answer.json().unwrap_or(Value::Null);
            let Some(posts) = list.as_array() else {
                return Err(Failure::Retryable {
                    reason: format!("WordPress find post: not a list: {}", answer.snippet()),
                    after: None,
                });
            };
            Ok(posts
                .iter()
                .filter(|p| p["slug"].as_str() == Some(slug.as_str()))
                .filter_map(published)
                .collect())
        })
    }

    fn delete<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<()>> {
        Box::pin(async move {
            let id = post_id(remote_id)?;
            self.call(
                Method::DELETE,
                &format!("/posts/{id}"),
                |r| r.query(&[("force", "true")]),
                "WordPress delete post",
            )
            .await?;
            Ok(())
        })
    }

    fn metrics<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<Metrics>> {
        Box::pin(async move {
            let id = post_id(remote_id)?;
            let answer = self
                .call(
                    Method::GET,
                    "/comments",
                    |r| r.query(&[("post", id), ("per_page", "1")]),
                    "WordPress comment count",
                )
                .await?;
            let comments = answer
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
#[path = "wordpress_tests.rs"]
mod tests;
