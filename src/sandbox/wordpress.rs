//! WordPress simulator: the parts of the core REST API Loa uses (channel-apis.md, section C).
//!
//! - Application Password Basic auth: `incorrect_password` / `invalid_username` /
//!   `rest_not_logged_in` (401), as `wp_authenticate_application_password()` answers;
//! - `POST /wp-json/wp/v2/posts` (201, full post, slugs made unique with `-2`, `-3`… like WP,
//!   `empty_content`, `rest_invalid_param`, `rest_cannot_create` for a user without the
//!   capability), `GET /posts` with `slug`/`status`/`per_page`/`page` and `X-WP-Total`,
//!   `GET|DELETE /posts/{id}` (`rest_post_invalid_id`);
//! - `POST /media` (raw bytes + `Content-Disposition`), `POST /media/{id}` (alt text);
//! - `GET /comments?post=` with `X-WP-Total`; `GET /users/me`.
//!
//! Sim-only: `POST /_sim/engagement` `{"post":ID,"comments":N}` sets a post's comment count.
//! Duplicates are counted by requested slug (`slug:{slug}`).

// Helpers return the channel's error answer as `Err(Response)` so handlers can `?`-style
// bail out; a simulator does not care about the size of that variant.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Fault, Running, Sim};
use crate::connectors::Kind;

/// What the sandbox account is and may do.
#[derive(Clone, Debug)]
pub struct Options {
    pub username: String,
    pub app_password: String,
    pub display_name: String,
    /// False: the user lacks `publish_posts` (403 `rest_cannot_create`).
    pub can_publish: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            username: "loa".into(),
            app_password: "abcd efgh ijkl mnop qrst uvwx".into(),
            display_name: "Cổng thông tin điện tử Phường".into(),
            can_publish: true,
        }
    }
}

#[derive(Clone, Debug)]
struct Post {
    id: i64,
    slug: String,
    status: String,
    title: String,
    content: String,
    excerpt: String,
    featured_media: i64,
    date_gmt: String,
    link: String,
    comments: i64,
}

#[derive(Clone, Debug)]
struct Media {
    source_url: String,
    mime: String,
    alt_text: String,
    bytes: usize,
}

#[derive(Default)]
struct Site {
    next_id: i64,
    posts: BTreeMap<i64, Post>,
    media: BTreeMap<i64, Media>,
}

impl Site {
    fn next(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }
}

#[derive(Clone)]
struct App {
    sim: Sim,
    opts: Arc<Options>,
    site: Arc<Mutex<Site>>,
}

impl App {
    fn site(&self) -> std::sync::MutexGuard<'_, Site> {
        self.site.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Starts the WordPress simulator on `addr` (port 0: any free port).
pub async fn spawn(addr: SocketAddr) -> anyhow::Result<Running> {
    spawn_with(addr, Options::default()).await
}

/// Starts the simulator with a given account.
pub async fn spawn_with(addr: SocketAddr, opts: Options) -> anyhow::Result<Running> {
    let sim = Sim::default();
    let app = App {
        sim: sim.clone(),
        opts: Arc::new(opts.clone()),
        site: Arc::new(Mutex::new(Site {
            // Ids start where a real site's would, past pages and samples.
            next_id: 100,
            ..Site::default()
        })),
    };
    let router = Router::new()
        .route("/wp-json/wp/v2/users/me", get(users_me))
        .route("/wp-json/wp/v2/posts", post(create_post).get(list_posts))
        .route(
            "/wp-json/wp/v2/posts/{id}",
            get(get_post).delete(delete_post),
        )
        .route("/wp-json/wp/v2/media", post(upload_media))
        .route(
            "/wp-json/wp/v2/media/{id}",
            post(update_media).get(get_media),
        )
        .route("/wp-json/wp/v2/comments", get(list_comments))
        .route("/_sim/engagement", post(set_engagement))
        .with_state(app)
        .merge(sim.control_routes());
    let account = json!({
        "username": opts.username,
        "app_password": opts.app_password,
    });
    let mut running = super::serve(Kind::Wordpress, addr, router, sim, account).await?;
    running.account["base_url"] = json!(running.base_url());
    Ok(running)
}

fn wp_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"code": code, "message": message, "data": {"status": status.as_u16()}})),
    )
        .into_response()
}

fn invalid_param(param: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "code": "rest_invalid_param",
            "message": format!("Invalid parameter(s): {param}"),
            "data": {"status": 400, "params": {param: message}, "details": {}},
        })),
    )
        .into_response()
}

fn not_found_post() -> Response {
    wp_error(
        StatusCode::NOT_FOUND,
        "rest_post_invalid_id",
        "Invalid post ID.",
    )
}

/// The answer for an injected fault that happens before anything is done.
fn reject(fault: Fault) -> Response {
    match fault {
        Fault::RateLimited => {
            let mut r = wp_error(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "Too many requests. Please try again later.",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Fault::ExpiredToken => wp_error(
            StatusCode::UNAUTHORIZED,
            "incorrect_password",
            "The provided password is an invalid application password.",
        ),
        _ => wp_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            "<p>There has been a critical error on this website.</p>",
        ),
    }
}

/// Who is calling: `Ok(true)` authenticated, `Ok(false)` anonymous, `Err` bad credentials.
fn authenticate(app: &App, headers: &HeaderMap) -> Result<bool, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(false);
    };
    let decoded = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Err(wp_error(
            StatusCode::UNAUTHORIZED,
            "rest_not_logged_in",
            "You are not currently logged in.",
        ));
    };
    if user != app.opts.username {
        return Err(wp_error(
            StatusCode::UNAUTHORIZED,
            "invalid_username",
            "Unknown username. Check again or try your email address.",
        ));
    }
    // WordPress strips everything but letters and digits from application passwords.
    let clean = |p: &str| -> String { p.chars().filter(|c| c.is_ascii_alphanumeric()).collect() };
    if clean(password) != clean(&app.opts.app_password) {
        return Err(wp_error(
            StatusCode::UNAUTHORIZED,
            "incorrect_password",
            "The provided password is an invalid application password.",
        ));
    }
    Ok(true)
}

/// Authenticated or the answer WordPress gives an anonymous caller of this route.
fn require_user(app: &App, headers: &HeaderMap, anonymous: Response) -> Result<(), Response> {
    match authenticate(app, headers)? {
        true => Ok(()),
        false => Err(anonymous),
    }
}

fn not_logged_in() -> Response {
    wp_error(
        StatusCode::UNAUTHORIZED,
        "rest_not_logged_in",
        "You are not currently logged in.",
    )
}

/// Like `sanitize_title()` for the ASCII slugs Loa sends: lowercase, `[a-z0-9-]`.
fn sanitize_slug(text: &str) -> String {
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

fn host(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string()
}

fn now_gmt() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

fn post_json(p: &Post, edit: bool) -> Value {
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

async fn users_me(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(r) = require_user(&app, &headers, not_logged_in()) {
        return r;
    }
    Json(json!({
        "id": 1,
        "name": app.opts.display_name,
        "slug": app.opts.username,
        "link": format!("http://{}/author/{}/", host(&headers), app.opts.username),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct NewPost {
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
fn raw(v: &Option<Value>) -> String {
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

const STATUSES: [&str; 5] = ["publish", "future", "draft", "pending", "private"];

async fn create_post(
    State(app): State<App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let sim = app.sim.clone();
    sim.run(reject, async move {
        let anonymous = wp_error(
            StatusCode::UNAUTHORIZED,
            "rest_cannot_create",
            "Sorry, you are not allowed to create posts as this user.",
        );
        if let Err(r) = require_user(&app, &headers, anonymous) {
            return r;
        }
        if !app.opts.can_publish {
            return wp_error(
                StatusCode::FORBIDDEN,
                "rest_cannot_create",
                "Sorry, you are not allowed to create posts as this user.",
            );
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
        let mut site = app.site();
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
        };
        let body = post_json(&post, true);
        site.posts.insert(id, post);
        drop(site);
        app.sim.created(&format!("slug:{requested}"));
        (StatusCode::CREATED, Json(body)).into_response()
    })
    .await
}

#[derive(Deserialize)]
struct ListQuery {
    slug: Option<String>,
    status: Option<String>,
    context: Option<String>,
    per_page: Option<String>,
    page: Option<String>,
}

async fn list_posts(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let sim = app.sim.clone();
    sim.run(reject, async move {
        let authed = match authenticate(&app, &headers) {
            Ok(a) => a,
            Err(r) => return r,
        };
        let per_page = match q.per_page.as_deref().map(str::parse::<i64>) {
            None => 10,
            Some(Ok(n)) if (1..=100).contains(&n) => n,
            _ => {
                return invalid_param(
                    "per_page",
                    "per_page must be between 1 (inclusive) and 100 (inclusive)",
                );
            }
        };
        let page = match q.page.as_deref().map(str::parse::<i64>) {
            None => 1,
            Some(Ok(n)) if n >= 1 => n,
            _ => return invalid_param("page", "page must be greater than or equal to 1"),
        };
        let edit = q.context.as_deref() == Some("edit");
        if edit && !authed {
            return wp_error(
                StatusCode::UNAUTHORIZED,
                "rest_forbidden_context",
                "Sorry, you are not allowed to edit posts in this post type.",
            );
        }
        let statuses: Vec<String> = q
            .status
            .as_deref()
            .unwrap_or("publish")
            .split(',')
            .map(|s| s.trim().to_string())
            .collect();
        for s in &statuses {
            if !STATUSES.contains(&s.as_str()) && s != "trash" && s != "any" {
                return invalid_param(
                    "status",
                    "status is not one of publish, future, draft, pending, private, trash, any.",
                );
            }
            if s != "publish" && !authed {
                return invalid_param("status", "Status is forbidden.");
            }
        }
        let slugs: Option<Vec<String>> = q
            .slug
            .as_deref()
            .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
        let site = app.site();
        let mut matching: Vec<&Post> = site
            .posts
            .values()
            .filter(|p| {
                statuses
                    .iter()
                    .any(|s| (s == "any" && p.status != "trash") || *s == p.status)
            })
            .filter(|p| slugs.as_ref().is_none_or(|ss| ss.contains(&p.slug)))
            .collect();
        matching.reverse(); // newest first, like orderby=date
        let total = matching.len() as i64;
        let pages = (total + per_page - 1) / per_page;
        if page > 1 && page > pages {
            return invalid_param(
                "page",
                "The page number requested is larger than the number of pages available.",
            );
        }
        let items: Vec<Value> = matching
            .into_iter()
            .skip(((page - 1) * per_page) as usize)
            .take(per_page as usize)
            .map(|p| post_json(p, edit))
            .collect();
        let mut r = Json(items).into_response();
        let h = r.headers_mut();
        h.insert("x-wp-total", HeaderValue::from(total));
        h.insert("x-wp-totalpages", HeaderValue::from(pages));
        if page < pages {
            let next = format!(
                "<http://{}/wp-json/wp/v2/posts?page={}>; rel=\"next\"",
                host(&headers),
                page + 1
            );
            if let Ok(v) = HeaderValue::from_str(&next) {
                h.insert(header::LINK, v);
            }
        }
        r
    })
    .await
}

async fn get_post(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let sim = app.sim.clone();
    sim.run(reject, async move {
        let authed = match authenticate(&app, &headers) {
            Ok(a) => a,
            Err(r) => return r,
        };
        let site = app.site();
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
struct DeleteQuery {
    force: Option<String>,
}

async fn delete_post(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<DeleteQuery>,
) -> Response {
    let sim = app.sim.clone();
    sim.run(reject, async move {
        let anonymous = wp_error(
            StatusCode::UNAUTHORIZED,
            "rest_cannot_delete",
            "Sorry, you are not allowed to delete this post.",
        );
        if let Err(r) = require_user(&app, &headers, anonymous) {
            return r;
        }
        let force = matches!(q.force.as_deref(), Some("true" | "1"));
        let mut site = app.site();
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

async fn upload_media(
    State(app): State<App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let sim = app.sim.clone();
    sim.run(reject, async move {
        let anonymous = wp_error(
            StatusCode::UNAUTHORIZED,
            "rest_cannot_create",
            "Sorry, you are not allowed to upload media as this user.",
        );
        if let Err(r) = require_user(&app, &headers, anonymous) {
            return r;
        }
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
        let mut site = app.site();
        let id = site.next();
        let source_url = format!(
            "http://{}/wp-content/uploads/2025/05/{}",
            host(&headers),
            file_name
        );
        site.media.insert(
            id,
            Media {
                source_url: source_url.clone(),
                mime: mime.clone(),
                alt_text: String::new(),
                bytes: body.len(),
            },
        );
        (
            StatusCode::CREATED,
            Json(json!({
                "id": id, "source_url": source_url, "media_type": "image",
                "mime_type": mime, "alt_text": "",
                "media_details": {"filesize": body.len()},
            })),
        )
            .into_response()
    })
    .await
}

async fn update_media(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let sim = app.sim.clone();
    sim.run(reject, async move {
        if let Err(r) = require_user(&app, &headers, not_logged_in()) {
            return r;
        }
        let update: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let mut site = app.site();
        let Some(id) = id.parse::<i64>().ok() else {
            return not_found_post();
        };
        let Some(m) = site.media.get_mut(&id) else {
            return not_found_post();
        };
        if let Some(alt) = update["alt_text"].as_str() {
            m.alt_text = alt.to_string();
        }
        Json(media_json(id, m)).into_response()
    })
    .await
}

fn media_json(id: i64, m: &Media) -> Value {
    json!({
        "id": id, "source_url": m.source_url, "media_type": "image",
        "mime_type": m.mime, "alt_text": m.alt_text,
        "media_details": {"filesize": m.bytes},
    })
}

async fn get_media(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let sim = app.sim.clone();
    sim.run(reject, async move {
        if let Err(r) = authenticate(&app, &headers) {
            return r;
        }
        let site = app.site();
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

#[derive(Deserialize)]
struct CommentsQuery {
    post: Option<String>,
    per_page: Option<String>,
}

async fn list_comments(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<CommentsQuery>,
) -> Response {
    let sim = app.sim.clone();
    sim.run(reject, async move {
        if let Err(r) = authenticate(&app, &headers) {
            return r;
        }
        let per_page = match q.per_page.as_deref().map(str::parse::<i64>) {
            None => 10,
            Some(Ok(n)) if (1..=100).contains(&n) => n,
            _ => {
                return invalid_param(
                    "per_page",
                    "per_page must be between 1 (inclusive) and 100 (inclusive)",
                );
            }
        };
        let site = app.site();
        let posts: Vec<&Post> = match q.post.as_deref() {
            Some(p) => match p.parse::<i64>() {
                Ok(id) => site.posts.get(&id).into_iter().collect(),
                Err(_) => return invalid_param("post[0]", "post[0] is not of type integer."),
            },
            None => site.posts.values().collect(),
        };
        let total: i64 = posts.iter().map(|p| p.comments).sum();
        let items: Vec<Value> = posts
            .iter()
            .flat_map(|p| (1..=p.comments).map(move |n| (p.id, n)))
            .take(per_page as usize)
            .map(|(post, n)| {
                json!({"id": post * 1000 + n, "post": post, "status": "approved",
                       "content": {"rendered": "<p>Cảm ơn phường!</p>"}})
            })
            .collect();
        let pages = (total + per_page - 1) / per_page;
        let mut r = Json(items).into_response();
        r.headers_mut()
            .insert("x-wp-total", HeaderValue::from(total));
        r.headers_mut()
            .insert("x-wp-totalpages", HeaderValue::from(pages));
        r
    })
    .await
}

#[derive(Deserialize)]
struct Engagement {
    post: i64,
    comments: i64,
}

async fn set_engagement(State(app): State<App>, Json(e): Json<Engagement>) -> Response {
    match app.site().posts.get_mut(&e.post) {
        Some(p) => {
            p.comments = e.comments.max(0);
            Json(json!({"ok": true})).into_response()
        }
        None => not_found_post(),
    }
}
