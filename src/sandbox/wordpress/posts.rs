//! Creating, reading and deleting one post.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::{cannot, invalid_param, not_found_post, wp_error};
use super::state::{App, Post, now_gmt, post_json, sanitize_slug};
use crate::sandbox::host;

#[derive(Deserialize)]
pub(super) struct NewPost {
    #[serde(default)]
    title: Option<Value>,
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    excerpt: Option<Value>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    featured_media: Option<i64>,
}

/// `title` may be a string or `{"raw": …}`.
pub(super) fn raw(v: &Option<Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o
            .get("raw")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    }
}

pub(super) const STATUSES: [&str; 5] = ["publish", "future", "draft", "pending", "private"];

pub(super) async fn create_post(
    State(app): State<App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let anonymous = cannot(
        StatusCode::UNAUTHORIZED,
        "create",
        "create posts as this user",
    );
    app.for_user(&headers, anonymous, async {
        if !app.opts.can_publish {
            return cannot(StatusCode::FORBIDDEN, "create", "create posts as this user");
        }
        let new: NewPost = match serde_json::from_slice(&body) {
            Ok(n) => n,
            Err(_) => {
                return wp_error(
                    StatusCode::BAD_REQUEST,
                    "rest_invalid_json",
                    "Invalid JSON body passed.",
                );
            }
        };
        let status = new.status.clone().unwrap_or_else(|| "draft".into());
        if !STATUSES.contains(&status.as_str()) {
            return invalid_param(
                "status",
                "status is not one of publish, future, draft, pending, private.",
            );
        }
        let (title, content, excerpt) = (raw(&new.title), raw(&new.content), raw(&new.excerpt));
        if title.trim().is_empty() && content.trim().is_empty() && excerpt.trim().is_empty() {
            return wp_error(
                StatusCode::BAD_REQUEST,
                "empty_content",
                "Content, title, and excerpt are empty.",
            );
        }
        // The lock is held in this block only: the answer below may wait.
        let (mut body, post_title, post_content, later, id) = {
            let mut site = app.lock();
            let featured_media = new.featured_media.unwrap_or(0);
            if featured_media != 0 && !site.media.contains_key(&featured_media) {
                return wp_error(
                    StatusCode::BAD_REQUEST,
                    "rest_invalid_featured_media",
                    "Invalid featured media ID.",
                );
            }
            let requested = new
                .slug
                .as_deref()
                .map(sanitize_slug)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| sanitize_slug(&title));
            let requested = if requested.is_empty() {
                "post".to_string()
            } else {
                requested
            };
            // wp_unique_post_slug(): a taken slug gets -2, -3…
            let taken = |s: &str| site.posts.values().any(|p| p.slug == s);
            let mut slug = requested.clone();
            let mut n = 2;
            while taken(&slug) {
                slug = format!("{requested}-{n}");
                n += 1;
            }
            let id = site.next();
            // Saved first, its image set in a second step (see `Options::featured_after_ms`).
            let later =
                (app.opts.featured_after_ms > 0 && featured_media != 0).then_some(featured_media);
            let featured_media = if later.is_some() { 0 } else { featured_media };
            let post = Post {
                id,
                link: format!("http://{}/{}/", host(&headers), slug),
                slug,
                status,
                title,
                content,
                excerpt,
                featured_media,
                date_gmt: now_gmt(),
                comments: 0,
                created: std::time::Instant::now(),
            };
            let (post_title, post_content) = (post.title.clone(), post.content.clone());
            let body = post_json(&post, true);
            site.posts.insert(id, post);
            (body, post_title, post_content, later, id)
        };
        if let Some(media) = later {
            tokio::time::sleep(std::time::Duration::from_millis(app.opts.featured_after_ms)).await;
            if let Some(p) = app.lock().posts.get_mut(&id) {
                p.featured_media = media;
            }
            body["featured_media"] = serde_json::json!(media);
        }
        // What a reader would call the same post twice: its title and text, whatever slug it got.
        app.sim
            .created(&format!("post:{}\n{}", post_title, post_content));
        (StatusCode::CREATED, Json(body)).into_response()
    })
    .await
}

pub(super) async fn get_post(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    app.for_anyone(&headers, async |authed| {
        let site = app.lock();
        match id.parse::<i64>().ok().and_then(|id| site.posts.get(&id)) {
            Some(p) if authed || p.status == "publish" => {
                Json(post_json(p, authed)).into_response()
            }
            _ => not_found_post(),
        }
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct DeleteQuery {
    force: Option<String>,
}

pub(super) async fn delete_post(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> Response {
    let anonymous = cannot(StatusCode::UNAUTHORIZED, "delete", "delete this post");
    app.for_user(&headers, anonymous, async {
        let force = matches!(q.force.as_deref(), Some("true" | "1"));
        let mut site = app.lock();
        let Some(id) = id
            .parse::<i64>()
            .ok()
            .filter(|id| site.posts.contains_key(id))
        else {
            return not_found_post();
        };
        if force {
            let Some(previous) = site.posts.remove(&id) else {
                return not_found_post();
            };
            return Json(json!({"deleted": true, "previous": post_json(&previous, true)}))
                .into_response();
        }
        let Some(p) = site.posts.get_mut(&id) else {
            return not_found_post();
        };
        if p.status == "trash" {
            return wp_error(
                StatusCode::GONE,
                "rest_already_trashed",
                "The post has already been deleted.",
            );
        }
        p.status = "trash".into();
        Json(post_json(p, true)).into_response()
    })
    .await
}

/// `POST /wp/v2/posts/{id}`: an edit. The simulator takes the field Loa edits after a lost
/// answer, `featured_media` (which must name an existing attachment, or 0 for none).
pub(super) async fn update_post(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let anonymous = cannot(StatusCode::UNAUTHORIZED, "edit", "edit this post");
    app.for_user(&headers, anonymous, async {
        let Ok(edit) = serde_json::from_slice::<serde_json::Value>(&body) else {
            return wp_error(
                StatusCode::BAD_REQUEST,
                "rest_invalid_json",
                "Invalid JSON body passed.",
            );
        };
        let mut site = app.lock();
        let media = edit["featured_media"].as_i64();
        if let Some(m) = media
            && m != 0
            && !site.media.contains_key(&m)
        {
            return wp_error(
                StatusCode::BAD_REQUEST,
                "rest_invalid_featured_media",
                "Invalid featured media ID.",
            );
        }
        match id
            .parse::<i64>()
            .ok()
            .and_then(|id| site.posts.get_mut(&id))
        {
            Some(p) => {
                if let Some(m) = media {
                    p.featured_media = m;
                }
                Json(post_json(p, true)).into_response()
            }
            None => not_found_post(),
        }
    })
    .await
}
