//! Publishing: a feed post (message and link) or a photo post (upload or URL, the link in
//! the caption).

use super::{Facebook, message, node_id};
use crate::connectors::{Failure, Outcome, Outgoing, Published};

impl Facebook {
    pub(super) async fn publish_post(&self, out: &Outgoing) -> Outcome<Published> {
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
    }
}
