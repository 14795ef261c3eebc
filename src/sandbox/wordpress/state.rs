//! The site's in-memory posts and media, and how the REST API renders them.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Options;

#[derive(Clone, Debug)]
pub(super) struct Post {
    pub(super) id: i64,
    pub(super) slug: String,
    pub(super) status: String,
    pub(super) title: String,
    pub(super) content: String,
    pub(super) excerpt: String,
    pub(super) featured_media: i64,
    pub(super) date_gmt: String,
    pub(super) link: String,
    pub(super) comments: i64,
    /// When it was saved: listings show it only after the simulator's lag.
    pub(super) created: std::time::Instant,
}

#[derive(Clone, Debug)]
pub(super) struct Media {
    pub(super) slug: String,
    /// The post it is attached to (`post_parent`), 0 for none.
    pub(super) post: i64,
    pub(super) source_url: String,
    pub(super) mime: String,
    pub(super) alt_text: String,
    pub(super) bytes: usize,
}

#[derive(Default)]
pub(super) struct Site {
    pub(super) next_id: i64,
    pub(super) posts: BTreeMap<i64, Post>,
    pub(super) media: BTreeMap<i64, Media>,
}

impl Site {
    pub(super) fn next(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }
}

impl Site {
    pub(super) fn starting_at(next_id: i64) -> Site {
        Site {
            next_id,
            ..Site::default()
        }
    }
}

/// What every handler gets: the simulator machinery, the account and the site.
pub(super) type App = crate::sandbox::Shared<Options, Site>;

/// Like `sanitize_title()` for the ASCII slugs Loa sends: lowercase, `[a-z0-9-]`.
pub(super) fn sanitize_slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

pub(super) fn now_gmt() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

pub(super) fn post_json(p: &Post, edit: bool) -> Value {
    let mut v = json!({
        "id": p.id,
        "date": p.date_gmt,
        "date_gmt": p.date_gmt,
        "modified": p.date_gmt,
        "modified_gmt": p.date_gmt,
        "slug": p.slug,
        "status": p.status,
        "type": "post",
        "link": p.link,
        "title": {"rendered": p.title},
        "content": {"rendered": p.content, "protected": false},
        "excerpt": {"rendered": format!("<p>{}</p>\n", p.excerpt), "protected": false},
        "author": 1,
        "featured_media": p.featured_media,
        "comment_status": "open",
        "categories": [1],
        "tags": [],
    });
    if edit {
        v["title"]["raw"] = json!(p.title);
        v["content"]["raw"] = json!(p.content);
        v["excerpt"]["raw"] = json!(p.excerpt);
    }
    v
}

pub(super) fn media_json(id: i64, m: &Media) -> Value {
    json!({
        "id": id, "slug": m.slug, "post": m.post, "status": "inherit", "type": "attachment",
        "source_url": m.source_url, "media_type": "image",
        "mime_type": m.mime, "alt_text": m.alt_text,
        "media_details": {"filesize": m.bytes},
    })
}
