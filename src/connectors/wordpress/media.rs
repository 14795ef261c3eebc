//! The featured image: one copy in the site's media library per image, attached to the post it
//! was uploaded for.
//!
//! An image Loa already uploaded through this account (`Image::remote_id`) is reused once
//! WordPress confirms it still has it. Otherwise the library is searched for the image's own
//! media slug (`loa-<first 16 characters of its content key>`) before uploading, so an upload
//! whose answer was lost is found instead of uploaded twice. Uploads of one image are taken
//! one at a time within this process, so two posts sharing an image do not both upload it.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use reqwest::Method;
use serde_json::{Value, json};

use super::judge::Verdict;
use super::text::{family, html_text, media_file_name, media_slug};
use super::{Body, WordPress};
use crate::connectors::{Failure, Image, Outcome, Published};

/// The media a post shows as its featured image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Featured {
    pub id: i64,
    /// Belongs to no post yet (just uploaded, or a lost upload found again): attached to the
    /// post it was uploaded for. Media another post already has keep their parent.
    pub unattached: bool,
}

impl Featured {
    fn from_media(media: &Value) -> Option<Featured> {
        Some(Featured {
            id: media["id"].as_i64()?,
            unattached: media["post"].as_i64().unwrap_or(0) == 0,
        })
    }
}

type UploadLocks = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;
static UPLOADS: LazyLock<UploadLocks> = LazyLock::new(Mutex::default);

impl WordPress {
    /// The featured image for `image`: reused, found again or uploaded. Nothing here creates
    /// a post, so no failure of it is ambiguous: an upload whose answer was lost is found by
    /// its slug on the next attempt.
    pub(super) async fn featured(&self, image: &Image) -> Outcome<Featured> {
        self.featured_inner(image).await.map_err(|f| match f {
            Failure::Ambiguous { reason } => Failure::Retryable {
                reason: format!("{reason} (image only; the post was not created)"),
                after: None,
            },
            other => other,
        })
    }

    async fn featured_inner(&self, image: &Image) -> Outcome<Featured> {
        let remembered = image
            .remote_id
            .as_deref()
            .and_then(|id| id.trim().parse::<i64>().ok());
        if let Some(id) = remembered {
            if let Some(known) = self.media(id).await? {
                return Ok(known);
            }
            tracing::info!(
                media = id,
                "the image Loa uploaded before is gone from the WordPress media library; \
                 uploading it again"
            );
        }
        let key = format!("{}\n{}", self.account()?.base_url, image.key);
        let lock = UPLOADS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.clone())
            .or_default()
            .clone();
        let result = {
            let _one_at_a_time = lock.lock().await;
            match self.find_media(image).await {
                Ok(Some(found)) => Ok(found),
                Ok(None) => self.upload(image).await,
                Err(f) => Err(f),
            }
        };
        drop(lock);
        let mut locks = UPLOADS.lock().unwrap_or_else(|p| p.into_inner());
        if locks.get(&key).is_some_and(|l| Arc::strong_count(l) == 1) {
            locks.remove(&key);
        }
        result
    }

    /// The media `id` as the site has it now; None when it was deleted.
    pub(super) async fn media(&self, id: i64) -> Outcome<Option<Featured>> {
        let route = format!("wp/v2/media/{id}");
        let verdict = self
            .exchange(
                Method::GET,
                &route,
                &[("context", "edit")],
                Body::Empty,
                "WordPress media",
            )
            .await?;
        match verdict {
            Verdict::Refused {
                status: 404 | 410, ..
            } => Ok(None),
            Verdict::Refused { code, .. } if code == "rest_post_invalid_id" => Ok(None),
            other => self.result(other).map(|r| Featured::from_media(&r.json)),
        }
    }

    /// An earlier upload of this image, by its media slug; the oldest if there are several.
    async fn find_media(&self, image: &Image) -> Outcome<Option<Featured>> {
        let slugs = family(&media_slug(&image.key));
        let reply = self
            .call(
                Method::GET,
                "wp/v2/media",
                &[
                    ("slug", &slugs.join(",")),
                    ("context", "edit"),
                    ("per_page", "100"),
                ],
                Body::Empty,
                "WordPress media lookup",
            )
            .await?;
        let Some(items) = reply.json.as_array() else {
            return Err(Failure::Retryable {
                reason: "WordPress media lookup: the answer is not a list".into(),
                after: None,
            });
        };
        Ok(items
            .iter()
            .filter(|m| {
                m["slug"]
                    .as_str()
                    .is_some_and(|s| slugs.iter().any(|x| x == s))
            })
            .filter_map(Featured::from_media)
            .min_by_key(|f| f.id))
    }

    async fn upload(&self, image: &Image) -> Outcome<Featured> {
        let slug = media_slug(&image.key);
        let reply = self
            .call(
                Method::POST,
                "wp/v2/media",
                &[("slug", &slug)],
                Body::File {
                    mime: &image.mime,
                    file_name: &media_file_name(&image.key, &image.mime),
                    bytes: &image.bytes,
                },
                "WordPress media upload",
            )
            .await?;
        reply.json["id"]
            .as_i64()
            .map(|id| Featured {
                id,
                unattached: true,
            })
            .ok_or_else(|| Failure::Ambiguous {
                reason: "WordPress media upload: no attachment id in the answer".into(),
            })
    }

    /// What a lost answer left undone on a post found by lookup: the update that attaches the
    /// image and sets its alt text, and — when the lookup ran after WordPress saved the post but
    /// before it set the featured image (it does so in a second query of the same request), or
    /// the request died between the two — the featured image itself, found by its upload slug.
    /// Best effort, like `settle_media`: the post is there either way.
    pub(super) async fn complete_image(&self, post: &mut Published, image: &Image) {
        let Ok(post_id) = post.remote_id.parse::<i64>() else {
            return;
        };
        let named = post.media.as_deref().and_then(|m| m.parse::<i64>().ok());
        let featured = match named {
            Some(id) => self.media(id).await,
            None => self.find_media(image).await,
        };
        let Ok(Some(featured)) = featured else {
            return;
        };
        if named.is_none() {
            let route = format!("wp/v2/posts/{post_id}");
            let body = json!({ "featured_media": featured.id });
            match self
                .call(
                    Method::POST,
                    &route,
                    &[],
                    Body::Json(&body),
                    "WordPress set featured image",
                )
                .await
            {
                Ok(_) => post.media = Some(featured.id.to_string()),
                Err(f) => {
                    tracing::warn!(
                        post = post_id,
                        reason = f.reason(),
                        "could not set the featured image"
                    );
                    return;
                }
            }
        }
        if featured.unattached {
            self.settle_media(featured, post_id, &image.alt).await;
        }
    }

    /// Attaches the media to the post it was uploaded for and sets its alt text, in one
    /// update. The post is already published: a failure here is logged, never returned.
    pub(super) async fn settle_media(&self, media: Featured, post_id: i64, alt: &str) {
        let mut update = json!({});
        if media.unattached {
            update["post"] = json!(post_id);
        }
        if !alt.trim().is_empty() {
            // Printed into an attribute after `strip_tags()`: escaped, `<b>` stays text.
            update["alt_text"] = json!(html_text(alt));
        }
        if update.as_object().is_some_and(|o| o.is_empty()) {
            return;
        }
        let route = format!("wp/v2/media/{}", media.id);
        let result = self
            .call(
                Method::POST,
                &route,
                &[],
                Body::Json(&update),
                "WordPress media update",
            )
            .await;
        if let Err(f) = result {
            tracing::warn!(
                media = media.id,
                post = post_id,
                reason = f.reason(),
                "could not attach the featured image to its post or set its alt text"
            );
        }
    }
}
