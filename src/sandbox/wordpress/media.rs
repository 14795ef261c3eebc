//! Media uploads (raw bytes with `Content-Disposition`), lookup by slug, alt text and the post
//! a medium is attached to.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::errors::{cannot, not_found_post, not_logged_in, per_page, wp_error};
use super::state::{App, Media, Site, media_json, sanitize_slug};
use crate::sandbox::host;

#[derive(Deserialize)]
pub(super) struct MediaQuery {
    slug: Option<String>,
    per_page: Option<String>,
}

/// `wp_unique_post_slug()` for an attachment: a slug any post or medium has gets `-2`, `-3`…
fn unique_slug(site: &Site, requested: &str) -> String {
    let taken = |s: &str| {
        site.media.values().any(|m| m.slug == s) || site.posts.values().any(|p| p.slug == s)
    };
    let mut slug = requested.to_string();
    let mut n = 2;
    while taken(&slug) {
        slug = format!("{requested}-{n}");
        n += 1;
    }
    slug
}

pub(super) async fn upload_media(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<MediaQuery>,
    body: axum::body::Bytes,
) -> Response {
    let anonymous = cannot(
        StatusCode::UNAUTHORIZED,
        "create",
        "upload media as this user",
    );
    app.for_user(&headers, anonymous, async {
        if body.is_empty() {
            return wp_error(
                StatusCode::BAD_REQUEST,
                "rest_upload_no_data",
                "No data supplied.",
            );
        }
        let disposition = headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let Some(file_name) = disposition
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("filename="))
            .map(|f| f.trim_matches('"').to_string())
            .find(|f| !f.is_empty())
        else {
            return wp_error(
                StatusCode::BAD_REQUEST,
                "rest_upload_no_content_disposition",
                "No Content-Disposition supplied.",
            );
        };
        let mime = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !mime.starts_with("image/") {
            return wp_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "rest_upload_sideload_error",
                "Sorry, you are not allowed to upload this file type.",
            );
        }
        let mut site = app.lock();
        // The slug asked for, else the file name without its extension, like WordPress.
        let stem = file_name
            .rsplit_once('.')
            .map_or(file_name.as_str(), |(s, _)| s);
        let requested = q
            .slug
            .as_deref()
            .map(sanitize_slug)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| sanitize_slug(stem));
        let slug = unique_slug(&site, &requested);
        let id = site.next();
        let source_url = format!(
            "http://{}/wp-content/uploads/2025/05/{}",
            host(&headers),
            file_name
        );
        site.media.insert(
            id,
            Media {
                slug,
                post: 0,
                source_url,
                mime,
                alt_text: String::new(),
                bytes: body.len(),
            },
        );
        let created = media_json(id, &site.media[&id]);
        drop(site);
        (StatusCode::CREATED, Json(created)).into_response()
    })
    .await
}

pub(super) async fn update_media(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    app.for_user(&headers, not_logged_in(), async {
        let update: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let mut site = app.lock();
        let Some(id) = id.parse::<i64>().ok() else {
            return not_found_post();
        };
        let Some(m) = site.media.get_mut(&id) else {
            return not_found_post();
        };
        if let Some(alt) = update["alt_text"].as_str() {
            m.alt_text = alt.to_string();
        }
        if let Some(post) = update["post"].as_i64() {
            m.post = post;
        }
        Json(media_json(id, m)).into_response()
    })
    .await
}

pub(super) async fn get_media(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    app.for_anyone(&headers, async |_| {
        let site = app.lock();
        match id
            .parse::<i64>()
            .ok()
            .and_then(|id| Some((id, site.media.get(&id)?)))
        {
            Some((id, m)) => Json(media_json(id, m)).into_response(),
            None => not_found_post(),
        }
    })
    .await
}

/// `GET /media?slug=a,b`: the media with those slugs, newest first, with `X-WP-Total`.
pub(super) async fn list_media(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<MediaQuery>,
) -> Response {
    app.for_anyone(&headers, async |_| {
        let per_page = match per_page(q.per_page.as_deref()) {
            Ok(n) => n,
            Err(r) => return r,
        };
        let slugs: Option<Vec<String>> = q
            .slug
            .as_deref()
            .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
        let site = app.lock();
        let matching: Vec<Value> = site
            .media
            .iter()
            .rev()
            .filter(|(_, m)| slugs.as_ref().is_none_or(|ss| ss.contains(&m.slug)))
            .map(|(id, m)| media_json(*id, m))
            .collect();
        let total = matching.len() as i64;
        let items: Vec<Value> = matching.into_iter().take(per_page as usize).collect();
        let mut r = Json(items).into_response();
        r.headers_mut()
            .insert("x-wp-total", HeaderValue::from(total));
        r
    })
    .await
}
