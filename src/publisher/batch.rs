//! Everything a claimed batch needs, read once: its accounts with their credentials opened, its
//! posts and variants, and the images they carry. A burst of thousands of due deliveries spends
//! its time on the channels, not on one round trip per delivery per table.

use std::collections::HashMap;

use crate::connectors::{Credentials, Image, Outgoing};
use crate::content::Channel;
use crate::store::{ChannelAccount, Delivery, PostContent, VariantRow};

use super::Publisher;

pub(super) struct Batch {
    /// Per account: the account and its credentials, or why they could not be opened.
    accounts: HashMap<i64, (ChannelAccount, Result<Credentials, String>)>,
    content: HashMap<i64, (PostContent, Vec<VariantRow>)>,
    images: HashMap<(i64, &'static str), Image>,
    /// The channel's copy of an image, per (account, blob key), where one was uploaded before.
    remote_media: HashMap<(i64, String), String>,
    /// Per delivery: its addresses and their tracked short links.
    links: super::links::Substitutions,
}

/// The media variant each channel carries.
fn wanted(channel: Channel) -> &'static str {
    match channel {
        Channel::Facebook => "facebook_link",
        Channel::Zalo => "zalo_cover",
        Channel::Portal => "portal_featured",
        _ => "square",
    }
}

impl Batch {
    pub(super) async fn load(p: &Publisher, claimed: &[Delivery]) -> anyhow::Result<Batch> {
        let mut account_ids: Vec<i64> = claimed.iter().map(|d| d.account_id).collect();
        account_ids.sort_unstable();
        account_ids.dedup();
        let mut post_ids: Vec<i64> = claimed.iter().map(|d| d.post_id).collect();
        post_ids.sort_unstable();
        post_ids.dedup();
        let accounts = p
            .store
            .accounts_by_ids(&account_ids)
            .await?
            .into_iter()
            .map(|a| {
                // A key that no longer opens the credentials is an account problem a person
                // must fix, not a reason to stall the batch.
                let creds = p
                    .secret
                    .open(&a.sealed_credentials)
                    .map_err(|e| e.to_string())
                    .and_then(|bytes| {
                        serde_json::from_slice::<Credentials>(&bytes).map_err(|e| e.to_string())
                    })
                    .map_err(|e| {
                        format!(
                            "the stored credentials cannot be opened ({e}); reconnect the account"
                        )
                    });
                (a.account_id, (a, creds))
            })
            .collect::<HashMap<_, _>>();
        let content = p.store.dispatch_content(&post_ids).await?;
        let mut images = HashMap::new();
        for d in claimed {
            let (Some((post, _)), Some((_, Ok(creds)))) =
                (content.get(&d.post_id), accounts.get(&d.account_id))
            else {
                continue;
            };
            let Some(media_id) = post.media_id else {
                continue;
            };
            let kind = wanted(creds.kind().channel());
            if images.contains_key(&(media_id, kind)) {
                continue;
            }
            if let Some(image) = load_image(p, media_id, kind).await? {
                images.insert((media_id, kind), image);
            }
        }
        let pairs: Vec<(i64, String)> = claimed
            .iter()
            .filter_map(|d| {
                let (post, _) = content.get(&d.post_id)?;
                let (_, Ok(creds)) = accounts.get(&d.account_id)? else {
                    return None;
                };
                let image = images.get(&(post.media_id?, wanted(creds.kind().channel())))?;
                Some((d.account_id, image.key.clone()))
            })
            .collect();
        let remote_media = p.store.remote_media(&pairs).await?;
        let links = super::links::track(p, claimed, &accounts, &content).await?;
        Ok(Batch {
            accounts,
            content,
            images,
            remote_media,
            links,
        })
    }

    pub(super) fn account(
        &self,
        account_id: i64,
    ) -> Option<&(ChannelAccount, Result<Credentials, String>)> {
        self.accounts.get(&account_id)
    }

    /// The delivery's content in its channel's variant; None when the post is gone.
    pub(super) fn outgoing(&self, d: &Delivery, creds: &Credentials) -> Option<Outgoing> {
        let (post, variants) = self.content.get(&d.post_id)?;
        let channel = creds.kind().channel();
        let variant = variants
            .iter()
            .find(|v| v.channel == channel.as_str())
            .cloned()
            .unwrap_or_default();
        let image = post
            .media_id
            .and_then(|id| self.images.get(&(id, wanted(channel))).cloned())
            .map(|mut image| {
                image.remote_id = self
                    .remote_media
                    .get(&(d.account_id, image.key.clone()))
                    .cloned();
                image
            });
        let map = self
            .links
            .get(&d.delivery_id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let tracked = |text: &str| crate::engagement::links::rewrite(text, map);
        Some(Outgoing {
            nonce: d.nonce.clone(),
            title: variant.title,
            summary: tracked(&variant.summary),
            body: tracked(&variant.body),
            link: post.link.as_deref().map(tracked),
            hashtags: post
                .hashtags
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            image,
        })
    }
}

async fn load_image(
    p: &Publisher,
    media_id: i64,
    kind: &'static str,
) -> anyhow::Result<Option<Image>> {
    let media = p.store.media(media_id).await?;
    let variants = p.store.media_variants(media_id).await?;
    let Some(v) = variants.into_iter().find(|v| v.kind == kind) else {
        return Ok(None);
    };
    let Some(bytes) = p.blobs.get(&v.blob_key).await? else {
        return Ok(None);
    };
    Ok(Some(Image {
        key: v.blob_key.clone(),
        remote_id: None,
        bytes,
        mime: "image/jpeg".into(),
        file_name: format!("loa-{media_id}-{kind}.jpg"),
        public_url: Some(format!(
            "{}/m/{}.jpg",
            p.public_url.trim_end_matches('/'),
            v.blob_key
        )),
        alt: media.alt_text,
    }))
}
