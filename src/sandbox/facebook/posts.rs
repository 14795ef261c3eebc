//! Creating posts (feed, with attached photos or not, and photos) and listing the Page's
//! published posts.

use std::collections::HashMap;

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::attached;
use super::errors::{graph_error, param_error};
use super::request::Upload;
use super::state::{App, FbPost, PageState, Photo, new_post_id, now, post_fields};

pub(super) fn duplicate(app: &App, page: &PageState, message: &str) -> Option<Response> {
    let latest = page.posts.last()?;
    (app.opts.reject_duplicate_message && !message.is_empty() && latest.message == message).then(
        || {
            graph_error(
                StatusCode::BAD_REQUEST,
                506,
                None,
                "OAuthException",
                "(#506) Duplicate status message",
                false,
            )
        },
    )
}

pub(super) fn create_feed_post(app: &App, params: &HashMap<String, String>) -> Response {
    let message = params.get("message").cloned().unwrap_or_default();
    let link = params.get("link").filter(|l| !l.is_empty()).cloned();
    let media = match attached::requested(params) {
        Ok(ids) => ids,
        Err(r) => return r,
    };
    if message.trim().is_empty() && link.is_none() && media.is_empty() {
        return param_error("(#100) Missing message or attachment");
    }
    if let Some(l) = &link
        && !(l.starts_with("http://") || l.starts_with("https://"))
    {
        return graph_error(
            StatusCode::BAD_REQUEST,
            1609005,
            None,
            "OAuthException",
            "Error scraping the link",
            false,
        );
    }
    let mut page = app.lock();
    if let Some(r) = duplicate(app, &page, &message) {
        return r;
    }
    let photos = match attached::claim(&mut page, &media) {
        Ok(photos) => photos,
        Err(r) => return r,
    };
    let id = new_post_id(&mut page, &app.opts.page_id);
    let post = FbPost {
        id: id.clone(),
        message: message.clone(),
        link,
        created: now(),
        saved: std::time::Instant::now(),
        photos,
        shares: 0,
        reactions: 0,
        comments: 0,
        views: 0,
    };
    let answer = match params.get("fields") {
        Some(f) => match post_fields(&app.opts, &post, Some(f)) {
            Ok(v) => v,
            Err(r) => return r,
        },
        None => json!({"id": id}),
    };
    page.posts.push(post);
    drop(page);
    app.sim.created(&format!("message:{message}"));
    Json(answer).into_response()
}

pub(super) fn create_photo(
    app: &App,
    params: &HashMap<String, String>,
    upload: Option<Upload>,
    headers: &HeaderMap,
) -> Response {
    let caption = params
        .get("caption")
        .or(params.get("message"))
        .cloned()
        .unwrap_or_default();
    let host = crate::sandbox::host(headers);
    let photo_url = match (&upload, params.get("url")) {
        (Some(u), _) => {
            let png = u.bytes.starts_with(b"\x89PNG\r\n\x1a\n");
            let jpeg = u.bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
            if !(png || jpeg) || u.bytes.len() > 4 * 1024 * 1024 {
                return graph_error(
                    StatusCode::BAD_REQUEST,
                    324,
                    Some(1366046),
                    "OAuthException",
                    &format!(
                        "(#324) Requires upload file: photos must be JPG or PNG under 4 MB (got {:?}, {} bytes)",
                        u.mime,
                        u.bytes.len()
                    ),
                    false,
                );
            }
            None
        }
        (None, Some(url)) if url.starts_with("http://") || url.starts_with("https://") => {
            Some(url.clone())
        }
        (None, Some(_)) => {
            return graph_error(
                StatusCode::BAD_REQUEST,
                100,
                Some(2061006),
                "OAuthException",
                "(#100) url should represent a valid URL",
                false,
            );
        }
        (None, None) => return param_error("(#324) Requires upload file"),
    };
    let published = params.get("published").map(String::as_str) != Some("false");
    let mut page = app.lock();
    page.next += 1;
    let photo_id = page.next.to_string();
    let url = photo_url.unwrap_or_else(|| format!("http://{host}/photos/{photo_id}.jpg"));
    if !published {
        // Waits, invisible, for a feed post to attach it (the multi-photo flow).
        page.photos
            .insert(photo_id.clone(), Photo { url, published });
        return Json(json!({"id": photo_id})).into_response();
    }
    if let Some(r) = duplicate(app, &page, &caption) {
        return r;
    }
    page.photos.insert(
        photo_id.clone(),
        Photo {
            url: url.clone(),
            published,
        },
    );
    let post_id = new_post_id(&mut page, &app.opts.page_id);
    page.posts.push(FbPost {
        id: post_id.clone(),
        message: caption.clone(),
        link: None,
        created: now(),
        saved: std::time::Instant::now(),
        photos: vec![(photo_id.clone(), url)],
        shares: 0,
        reactions: 0,
        comments: 0,
        views: 0,
    });
    drop(page);
    app.sim.created(&format!("message:{caption}"));
    Json(json!({"id": photo_id, "post_id": post_id})).into_response()
}

pub(super) fn list_posts(app: &App, params: &HashMap<String, String>) -> Response {
    let bound = |name: &str| -> Result<Option<i64>, Response> {
        match params.get(name) {
            None => Ok(None),
            Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
                param_error(&format!(
                    "(#100) The parameter {name} must be a unix timestamp"
                ))
            }),
        }
    };
    let (since, until) = match (bound("since"), bound("until")) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
        None => 25,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return param_error("(#100) limit must be between 1 and 100"),
    };
    let fields = params.get("fields").map(String::as_str);
    // Cursor paging as Graph does it: `after` is opaque to clients; here, an offset.
    let skip: usize = params
        .get("after")
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    let page = app.lock();
    let mut data = Vec::new();
    let mut matched = 0;
    let mut more = false;
    for p in page.posts.iter().rev() {
        if since.is_some_and(|s| p.created < s)
            || until.is_some_and(|u| p.created > u)
            || !app.sim.listed(p.saved)
        {
            continue;
        }
        matched += 1;
        if matched <= skip {
            continue;
        }
        if data.len() == limit {
            more = true;
            break;
        }
        match post_fields(&app.opts, p, fields) {
            Ok(v) => data.push(v),
            Err(r) => return r,
        }
    }
    let mut body = json!({ "data": data });
    if more {
        let after = (skip + limit).to_string();
        body["paging"] =
            json!({"cursors": {"after": after}, "next": format!("published_posts?after={after}")});
    }
    Json(body).into_response()
}
