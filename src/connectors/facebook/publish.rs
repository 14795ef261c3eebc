//! Publishing: a feed post (message and link), or a post with photos by Graph's multi-photo
//! flow (channel-apis.md A.3): each photo is uploaded with `published=false`, then one feed
//! post attaches them with `attached_media[i]={"media_fbid":…}`.
//!
//! Photos go this way even when there is one: the post is then an ordinary feed post, with its
//! `{page}_{post}` id and permalink read back in the same call, and `find` matches its message
//! like any other. A post carries one image today (`Outgoing::image`); `photos` is the one
//! place that would list more.

use serde_json::json;

use super::{Facebook, message, node_id};
use crate::connectors::{Failure, Image, Outcome, Outgoing, Published};

impl Facebook {
    pub(super) async fn publish_post(&self, out: &Outgoing) -> Outcome<Published> {
        let page = node_id(self.account()?.page_id)?.to_string();
        let mut form: Vec<(String, String)> = vec![("message".into(), message(out))];
        let photos = photos(out);
        if photos.is_empty()
            && let Some(link) = out.link.as_deref().filter(|l| !l.trim().is_empty())
        {
            form.push(("link".into(), link.to_string()));
        }
        for (i, image) in photos.into_iter().enumerate() {
            let id = self.upload_unpublished(&page, image).await?;
            let media = json!({ "media_fbid": id }).to_string();
            form.push((format!("attached_media[{i}]"), media));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
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
        Ok(Published {
            remote_id: id.to_string(),
            url: v["permalink_url"].as_str().map(str::to_string),
            media: None,
        })
    }

    /// Uploads one photo with `published=false`: its id, to attach to the post. An unpublished
    /// photo is seen by nobody, so an upload whose answer was lost is simply made again: such
    /// a failure is retryable, not ambiguous.
    async fn upload_unpublished(&self, page: &str, image: &Image) -> Outcome<String> {
        let what = "Facebook photo upload";
        let answer = if image.bytes.is_empty() {
            let Some(url) = image.public_url.as_deref() else {
                return Err(Failure::Permanent {
                    reason: "Facebook photo: the image has neither bytes nor a URL".into(),
                });
            };
            let form = [("url", url), ("published", "false")];
            self.post_form(&format!("{page}/photos"), &form, &[], what)
                .await
        } else {
            let part = reqwest::multipart::Part::bytes(image.bytes.clone())
                .file_name(image.file_name.clone())
                .mime_str(&image.mime)
                .map_err(|e| Failure::Permanent {
                    reason: format!("Facebook photo: bad image type {:?}: {e}", image.mime),
                })?;
            let mut form = reqwest::multipart::Form::new()
                .text("published", "false")
                .part("source", part);
            for (k, v) in self.auth_params()? {
                form = form.text(k, v);
            }
            let req = self
                .http
                .post(self.url(&format!("{page}/photos"))?)
                .multipart(form);
            self.finish(req, false, what).await
        };
        let v = answer.map_err(|failure| match failure {
            Failure::Ambiguous { reason } => Failure::Retryable {
                reason: format!("{reason} (an unpublished photo: nothing was published)"),
                after: None,
            },
            other => other,
        })?;
        match v["id"].as_str().filter(|id| !id.is_empty()) {
            Some(id) => Ok(id.to_string()),
            None => Err(Failure::Retryable {
                reason: format!("{what}: answer without a photo id: {v}"),
                after: None,
            }),
        }
    }
}

/// The photos a post shows, in order.
fn photos(out: &Outgoing) -> Vec<&Image> {
    out.image.iter().collect()
}
