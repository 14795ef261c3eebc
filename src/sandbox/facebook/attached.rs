//! `attached_media` on `POST /{page}/feed` (channel-apis.md A.2, A.3): the multi-photo flow
//! attaches photos uploaded with `published=false` to one feed post.
//!
//! Clients send it three ways, all accepted: form fields `attached_media[0]={"media_fbid":…}`
//! (what the reference describes), one field holding a JSON array, or a JSON body array.
//! Every id must name an unpublished photo of this Page; anything else (an unknown id, a
//! post id, a photo already published or attached) fails the whole call with code 100, and
//! nothing is attached.

use std::collections::HashMap;

use axum::response::Response;
use serde_json::Value;

use super::errors::param_error;
use super::state::PageState;

/// The `media_fbid`s a feed call asks to attach, in order; empty when it attaches nothing.
pub(super) fn requested(params: &HashMap<String, String>) -> Result<Vec<String>, Response> {
    let mut indexed: Vec<(usize, &String)> = Vec::new();
    for (key, value) in params {
        let Some(index) = key
            .strip_prefix("attached_media[")
            .and_then(|rest| rest.strip_suffix(']'))
        else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            return Err(param_error(&format!("(#100) Unknown parameter {key}")));
        };
        indexed.push((index, value));
    }
    indexed.sort_by_key(|(i, _)| *i);
    let mut items: Vec<(String, Value)> = indexed
        .into_iter()
        .map(|(i, v)| (format!("attached_media[{i}]"), parse(v)))
        .collect();
    if let Some(list) = params.get("attached_media") {
        match parse(list) {
            Value::Array(values) => items.extend(
                values
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (format!("attached_media[{i}]"), v)),
            ),
            _ => return Err(param_error("(#100) attached_media must be an array")),
        }
    }
    items
        .into_iter()
        .map(|(name, item)| {
            media_fbid(&item).ok_or_else(|| {
                param_error(&format!(
                    "(#100) {name} must be an object with a media_fbid"
                ))
            })
        })
        .collect()
}

/// A value as JSON when it parses, else the raw string (an id sent without its object).
fn parse(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()))
}

fn media_fbid(item: &Value) -> Option<String> {
    let id = &item["media_fbid"];
    let id = id
        .as_str()
        .map(str::to_string)
        .or_else(|| id.as_u64().map(|n| n.to_string()))?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

/// Checks every id, then publishes the photos: their (id, URL) for the post. Nothing changes
/// when one id is refused.
pub(super) fn claim(
    page: &mut PageState,
    ids: &[String],
) -> Result<Vec<(String, String)>, Response> {
    for (i, id) in ids.iter().enumerate() {
        let usable = page.photos.get(id).is_some_and(|p| !p.published);
        let repeated = ids[..i].contains(id);
        if !usable || repeated {
            return Err(param_error(&format!(
                "(#100) attached_media[{i}]: media_fbid {id} is not an unpublished photo of \
                 this Page"
            )));
        }
    }
    let mut photos = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(photo) = page.photos.get_mut(id) {
            photo.published = true;
            photos.push((id.clone(), photo.url.clone()));
        }
    }
    Ok(photos)
}
