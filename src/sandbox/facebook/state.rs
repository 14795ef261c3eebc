//! The Page's in-memory state and how Graph renders a post's fields.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::Options;
use super::errors::param_error;
use axum::response::Response;

#[derive(Clone, Debug)]
pub(super) struct FbPost {
    pub(super) id: String,
    pub(super) message: String,
    pub(super) link: Option<String>,
    pub(super) created: i64,
    /// When it was saved: listings show it only after the simulator's lag.
    pub(super) saved: std::time::Instant,
    /// The post's photos as (photo id, URL): one for a photo post, several for a
    /// multi-photo post.
    pub(super) photos: Vec<(String, String)>,
    pub(super) shares: i64,
    pub(super) reactions: i64,
    pub(super) comments: i64,
    pub(super) views: i64,
}

/// A photo uploaded to the Page, by id. An unpublished one (`published=false`) waits to be
/// attached to a feed post through `attached_media`, which publishes it.
#[derive(Clone, Debug)]
pub(super) struct Photo {
    pub(super) url: String,
    pub(super) published: bool,
}

#[derive(Default)]
pub(super) struct PageState {
    pub(super) next: u64,
    pub(super) posts: Vec<FbPost>,
    pub(super) photos: HashMap<String, Photo>,
    /// Posts still to refuse with code 368 (`/_sim/block`).
    pub(super) blocked_posts: u32,
}

impl PageState {
    pub(super) fn new() -> PageState {
        PageState {
            next: 1_000_000_000_000,
            ..PageState::default()
        }
    }
}

/// What every handler gets: the simulator machinery, the Page's settings and its state.
pub(super) type App = crate::sandbox::Shared<Options, PageState>;

pub(super) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub(super) fn graph_time(unix: i64) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]+0000");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// Top-level names of a `fields=` list: `reactions.summary(total_count).limit(0)` → `reactions`.
pub(super) fn field_names(fields: &str) -> Vec<String> {
    let mut names = Vec::new();
    let (mut depth, mut current) = (0i32, String::new());
    for c in fields.chars() {
        match c {
            '(' | '{' => depth += 1,
            ')' | '}' => depth -= 1,
            ',' if depth == 0 => {
                names.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    names.push(current);
    names
        .into_iter()
        .map(|f| {
            f.split(['.', '{', '('])
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .filter(|f| !f.is_empty())
        .collect()
}

/// What a post has gathered: (views, reactions, comments, shares, clicks).
pub(super) fn counts(opts: &Options, p: &FbPost) -> (i64, i64, i64, i64, i64) {
    let grown = opts.audience_seed.map(|seed| {
        // A stable pseudo-random audience size per (seed, post) between 200 and 5,200.
        let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
        for b in p.id.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let audience = 200.0 + (h % 5_000) as f64;
        let age_hours = (now() - p.created).max(0) as f64 / 3600.0;
        let views = (audience * (1.0 - (-age_hours / 6.0).exp())).round() as i64;
        (
            views,
            views * 3 / 100,
            views / 200,
            views * 3 / 1000,
            views / 50,
        )
    });
    let (v, r, c, s, k) = grown.unwrap_or_default();
    (
        p.views + v,
        p.reactions + r,
        p.comments + c,
        p.shares + s,
        k,
    )
}

pub(super) fn post_fields(
    opts: &Options,
    p: &FbPost,
    fields: Option<&str>,
) -> Result<Value, Response> {
    let names = match fields {
        Some(f) => field_names(f),
        None => vec!["id".into(), "message".into(), "created_time".into()],
    };
    let (_, reactions, comments, shares, _) = counts(opts, p);
    let mut out = Map::new();
    for name in names {
        let value = match name.as_str() {
            "id" => json!(p.id),
            "message" if p.message.is_empty() => continue,
            "message" => json!(p.message),
            "created_time" => json!(graph_time(p.created)),
            "permalink_url" => json!(permalink(opts, &p.id)),
            "shares" if shares == 0 => continue,
            "shares" => json!({"count": shares}),
            "reactions" => json!({"data": [], "summary": {
                "total_count": reactions, "viewer_reaction": "NONE"}}),
            "comments" => json!({"data": [], "summary": {
                "order": "ranked", "total_count": comments, "can_comment": true}}),
            "full_picture" => match p.photos.first() {
                Some((_, url)) => json!(url),
                None => continue,
            },
            "attachments" if p.photos.is_empty() => continue,
            "attachments" => attachments(&p.photos),
            "is_published" => json!(true),
            "status_type" => json!(if !p.photos.is_empty() {
                "added_photos"
            } else if p.link.is_some() {
                "shared_story"
            } else {
                "mobile_status_update"
            }),
            other => {
                return Err(param_error(&format!(
                    "(#100) Tried accessing nonexisting field ({other}) on node type (PagePost)"
                )));
            }
        };
        out.insert(name, value);
    }
    Ok(Value::Object(out))
}

/// `attachments` as Graph shows photos: one `photo`, or an `album` with `subattachments`.
fn attachments(photos: &[(String, String)]) -> Value {
    let photo = |(id, url): &(String, String)| json!({"type": "photo", "media": {"image": {"src": url}}, "target": {"id": id}});
    let attachment = match photos {
        [one] => photo(one),
        many => json!({
            "type": "album",
            "subattachments": {"data": many.iter().map(photo).collect::<Vec<_>>()},
        }),
    };
    json!({ "data": [attachment] })
}

pub(super) fn permalink(opts: &Options, post_id: &str) -> String {
    let n = post_id.split('_').nth(1).unwrap_or(post_id);
    format!("https://www.facebook.com/{}/posts/{n}", opts.page_id)
}

pub(super) fn new_post_id(page: &mut PageState, page_id: &str) -> String {
    page.next += 1;
    format!("{page_id}_{}", page.next)
}
