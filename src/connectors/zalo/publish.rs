//! Publishing an article: create answers a token, verify turns it into the article id once
//! Zalo has fetched the cover (channel-apis.md B.2).

use serde_json::json;

use super::client::{classify, is_processing};
use super::{AUTHOR, DESCRIPTION_MAX, Zalo, clip, title_of};
use crate::connectors::transport;
use crate::connectors::{Failure, Outcome, Outgoing, Published};

impl Zalo {
    pub(super) async fn publish_article(&self, out: &Outgoing) -> Outcome<Published> {
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
                            return Ok(Published {
                                remote_id,
                                url,
                                media: None,
                            });
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
