//! Zalo OA simulator (channel-apis.md §B): Open API and OAuth v4 on one port.
//!
//! - Every answer is HTTP 200 with `{"error":0,"message":"Success","data":…}` or a non-zero
//!   `error`; only the injected server error and commit-then-fail faults use HTTP 500 / 504.
//! - The token is checked in the `access_token` header: unknown → `-216`, past its lifetime
//!   (`Options::token_lifetime`) → `-220`.
//! - `POST /v4/oa/access_token` (form, `secret_key` header) exchanges a refresh token for a
//!   new pair; refresh tokens are single-use (a reuse → `-14014`), and `expires_in` is a
//!   string. Earlier access tokens stay valid until they expire.
//! - `article/create` validates like Zalo (title 1–149 characters, author ≤ 50, description
//!   ≤ 300, a cover `photo_url` that is an http(s) URL without spaces or non-ASCII, a
//!   non-empty body) and answers a token. `article/verify` answers `-214` until
//!   `Options::processing` has passed, then the article id. A cover URL containing
//!   `fail-cover` stands for an image Zalo cannot fetch: verify answers `-200 Upload media
//!   failed` and no article is created.
//! - Created articles are listed by `getslice` at once, processing or not, newest first, at
//!   most 10 per call (`limit > 10` → `-201 maximum limit is 10`). Items carry `total_view`
//!   (the number of `getdetail` reads so far) and `total_share` (0).
//! - Content calls (create, verify, getslice, getdetail, remove) take injected faults;
//!   `getoa` and OAuth do not. The duplicate identity is the article title.
//! - `POST /_sim/zalo/expire` expires every access token now.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{Fault, Running, Sim};
use crate::connectors::Kind;

pub const APP_ID: &str = "sandbox-zalo-app";
pub const SECRET_KEY: &str = "sandbox-zalo-secret";
pub const OA_NAME: &str = "UBND Phường Sandbox";
const PAGE_MAX: usize = 10;

#[derive(Clone, Debug)]
pub struct Options {
    /// How long an access token works (Zalo: about 25 h).
    pub token_lifetime: Duration,
    /// How long verify answers `-214` after create.
    pub processing: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            token_lifetime: Duration::from_secs(25 * 3600),
            processing: Duration::from_millis(600),
        }
    }
}

#[derive(Clone)]
struct App {
    sim: Sim,
    options: Options,
    state: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    access: HashMap<String, Instant>,
    refresh: HashSet<String>,
    pending: HashMap<String, Pending>,
    /// Oldest first.
    articles: Vec<Article>,
}

struct Pending {
    article_id: Option<String>,
    ready_at: Instant,
}

struct Article {
    id: String,
    title: String,
    description: String,
    cover: String,
    views: i64,
}

impl Inner {
    fn mint(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}-{}-{}", self.next, uuid::Uuid::new_v4().simple())
    }
}

/// Starts the Zalo simulator on `addr` (port 0: any free port) with default options.
pub async fn spawn(addr: SocketAddr) -> anyhow::Result<Running> {
    spawn_with(addr, Options::default()).await
}

/// Starts the Zalo simulator; `account` holds `Credentials::Zalo` as JSON (`kind` included).
pub async fn spawn_with(addr: SocketAddr, options: Options) -> anyhow::Result<Running> {
    let sim = Sim::default();
    let mut inner = Inner::default();
    let access = inner.mint("zalo-access");
    let refresh = inner.mint("zalo-refresh");
    inner
        .access
        .insert(access.clone(), Instant::now() + options.token_lifetime);
    inner.refresh.insert(refresh.clone());
    let expires_at = crate::clock::now_ms() + options.token_lifetime.as_millis() as i64;
    let app = App {
        sim: sim.clone(),
        options,
        state: Arc::new(Mutex::new(inner)),
    };
    let router = Router::new()
        .route("/v4/oa/access_token", post(oauth))
        .route("/v2.0/oa/getoa", get(getoa))
        .route("/v2.0/article/create", post(create))
        .route("/v2.0/article/verify", post(verify))
        .route("/v2.0/article/getslice", get(getslice))
        .route("/v2.0/article/getdetail", get(getdetail))
        .route("/v2.0/article/remove", post(remove))
        .route("/_sim/zalo/expire", post(expire))
        .with_state(app)
        .merge(sim.control_routes());
    let account = json!({
        "kind": "zalo",
        "app_id": APP_ID,
        "secret_key": SECRET_KEY,
        "access_token": access,
        "refresh_token": refresh,
        "expires_at": expires_at,
    });
    let mut running = super::serve(Kind::Zalo, addr, router, sim, account).await?;
    let base = running.base_url();
    running.account["api_base"] = json!(base);
    running.account["oauth_base"] = json!(base);
    Ok(running)
}

impl App {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `-216` for a missing or unknown token, `-220` for an expired one.
    fn check_token(&self, headers: &HeaderMap) -> Result<(), (i64, &'static str)> {
        let token = headers
            .get("access_token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match self.lock().access.get(token) {
            Some(expires) if *expires > Instant::now() => Ok(()),
            Some(_) => Err((-220, "Access token has expired")),
            None => Err((-216, "Access token is invalid")),
        }
    }

    /// Delay, injected fault (the early kinds answer here), token check. On success, the
    /// fault left for [`finish`].
    async fn begin(&self, headers: &HeaderMap) -> Result<Option<Fault>, Response> {
        self.sim.delay().await;
        let fault = self.sim.fault();
        match fault {
            Some(Fault::ServerError) => {
                return Err(
                    (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
                );
            }
            Some(Fault::RateLimited) => {
                return Err(error(
                    -32,
                    "The application has reached the rate limit of API calls per minute",
                ));
            }
            Some(Fault::ExpiredToken) => return Err(error(-216, "Access token is invalid")),
            Some(Fault::Slow) => tokio::time::sleep(Duration::from_secs(2)).await,
            _ => {}
        }
        self.check_token(headers)
            .map_err(|(code, message)| error(code, message))?;
        Ok(fault)
    }
}

/// The answer after the work is done: 504 or a 30 s hang for the commit-then faults.
async fn finish(fault: Option<Fault>, response: Response) -> Response {
    match fault {
        Some(Fault::CommitThenFail) => {
            (StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout").into_response()
        }
        Some(Fault::CommitThenHang) => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            response
        }
        _ => response,
    }
}

fn ok(data: Value) -> Response {
    axum::Json(json!({"error": 0, "message": "Success", "data": data})).into_response()
}

fn error(code: i64, message: &str) -> Response {
    axum::Json(json!({"error": code, "message": message})).into_response()
}

/// The JSON object of a request, or Zalo's answer to anything else.
fn json_body(body: &Bytes) -> Result<Value, Box<Response>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) if value.is_object() => Ok(value),
        _ => Err(Box::new(error(-201, "body is not valid JSON"))),
    }
}

async fn oauth(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    app.sim.delay().await;
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let secret = headers
        .get("secret_key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let oauth_error = |code: i64, name: &str, description: &str| {
        axum::Json(json!({
            "error": code,
            "error_name": name,
            "error_reason": description,
            "error_description": description,
        }))
        .into_response()
    };
    if secret != SECRET_KEY || form.get("app_id").map(String::as_str) != Some(APP_ID) {
        return oauth_error(
            -14003,
            "Invalid parameter",
            "app_id or secret_key is invalid",
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return oauth_error(
            -14003,
            "Invalid parameter",
            "the sandbox supports grant_type=refresh_token only",
        );
    }
    let presented = form.get("refresh_token").cloned().unwrap_or_default();
    let mut inner = app.lock();
    if !inner.refresh.remove(&presented) {
        return oauth_error(
            -14014,
            "Invalid refresh token",
            "Refresh token is invalid or has been used",
        );
    }
    let access = inner.mint("zalo-access");
    let refresh = inner.mint("zalo-refresh");
    inner
        .access
        .insert(access.clone(), Instant::now() + app.options.token_lifetime);
    inner.refresh.insert(refresh.clone());
    let seconds = app.options.token_lifetime.as_secs().max(1);
    axum::Json(json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": seconds.to_string(),
    }))
    .into_response()
}

async fn getoa(State(app): State<App>, headers: HeaderMap) -> Response {
    app.sim.delay().await;
    if let Err((code, message)) = app.check_token(&headers) {
        return error(code, message);
    }
    ok(json!({
        "oa_id": "1000000000000000001",
        "name": OA_NAME,
        "description": "Trang Zalo OA thử nghiệm của Loa",
        "is_verified": true,
    }))
}

/// What Zalo refuses in a create body, as `-201` messages.
fn validate(article: &Value) -> Result<(), String> {
    if article["type"].as_str() != Some("normal") {
        return Err("type is invalid".into());
    }
    let title = article["title"].as_str().unwrap_or_default().trim();
    let n = title.chars().count();
    if n == 0 || n >= 150 {
        return Err("title allow 1 to 150 characters".into());
    }
    if article["author"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .count()
        > 50
    {
        return Err("author allow 1 to 50 characters".into());
    }
    if article["description"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .count()
        > 300
    {
        return Err("description allow 0 to 300 characters".into());
    }
    let cover = &article["cover"];
    let url = cover["photo_url"].as_str().unwrap_or_default();
    let url_ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.bytes().all(|b| b > 0x20 && b < 0x7f);
    if cover["cover_type"].as_str() != Some("photo") || !url_ok {
        return Err("cover value is invalid".into());
    }
    let body_ok = article["body"].as_array().is_some_and(|items| {
        !items.is_empty()
            && items.iter().all(|item| match item["type"].as_str() {
                Some("text") => item["content"]
                    .as_str()
                    .is_some_and(|c| !c.trim().is_empty()),
                Some("image") => item["url"].is_string(),
                Some("video") => item["url"].is_string() || item["video_id"].is_string(),
                _ => false,
            })
    });
    if !body_ok {
        return Err("body is invalid".into());
    }
    if !matches!(
        article["status"].as_str(),
        None | Some("show") | Some("hide")
    ) {
        return Err("status is invalid".into());
    }
    Ok(())
}

async fn create(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let fault = match app.begin(&headers).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let article = match json_body(&body) {
        Ok(article) => article,
        Err(response) => return *response,
    };
    if let Err(message) = validate(&article) {
        return error(-201, &message);
    }
    let title = article["title"]
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_string();
    let cover = article["cover"]["photo_url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let token = {
        let mut inner = app.lock();
        let token = inner.mint("article-token");
        let article_id = if cover.contains("fail-cover") {
            None
        } else {
            inner.next += 1;
            let id = format!("{}", 7_000_000_000_u64 + inner.next);
            inner.articles.push(Article {
                id: id.clone(),
                title: title.clone(),
                description: article["description"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                cover,
                views: 0,
            });
            Some(id)
        };
        if article_id.is_some() {
            app.sim.created(&title);
        }
        inner.pending.insert(
            token.clone(),
            Pending {
                article_id,
                ready_at: Instant::now() + app.options.processing,
            },
        );
        token
    };
    finish(fault, ok(json!({ "token": token }))).await
}

async fn verify(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let fault = match app.begin(&headers).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let request = match json_body(&body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let token = request["token"].as_str().unwrap_or_default();
    let response = {
        let inner = app.lock();
        match inner.pending.get(token) {
            None => error(-201, "token is invalid"),
            Some(p) if p.ready_at > Instant::now() => error(-214, "Article is being processed"),
            Some(Pending {
                article_id: None, ..
            }) => error(-200, "Upload media failed"),
            Some(Pending {
                article_id: Some(id),
                ..
            }) => ok(json!({ "id": id })),
        }
    };
    finish(fault, response).await
}

fn item(article: &Article) -> Value {
    json!({
        "id": article.id,
        "title": article.title,
        "description": article.description,
        "thumb": article.cover,
        "type": "normal",
        "status": "show",
        "total_view": article.views,
        "total_share": 0,
    })
}

async fn getslice(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let fault = match app.begin(&headers).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let number = |key: &str, default: usize| {
        query
            .get(key)
            .map(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(Some(default))
    };
    let (Some(offset), Some(limit)) = (number("offset", 0), number("limit", PAGE_MAX)) else {
        return error(-201, "offset or limit is invalid");
    };
    if limit > PAGE_MAX {
        return error(-201, "maximum limit is 10");
    }
    match query.get("type").map(String::as_str) {
        Some("normal") => {}
        Some("video") => return finish(fault, ok(json!({"medias": [], "total": 0}))).await,
        _ => return error(-201, "type is invalid"),
    }
    let response = {
        let inner = app.lock();
        let medias: Vec<Value> = inner
            .articles
            .iter()
            .rev()
            .skip(offset)
            .take(limit)
            .map(item)
            .collect();
        ok(json!({ "medias": medias, "total": inner.articles.len() }))
    };
    finish(fault, response).await
}

async fn getdetail(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let fault = match app.begin(&headers).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let id = query.get("id").map(String::as_str).unwrap_or_default();
    let response = {
        let mut inner = app.lock();
        match inner.articles.iter_mut().find(|a| a.id == id) {
            Some(article) => {
                article.views += 1;
                ok(item(article))
            }
            None => error(-201, "id is invalid"),
        }
    };
    finish(fault, response).await
}

async fn remove(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let fault = match app.begin(&headers).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let request = match json_body(&body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let id = request["id"]
        .as_str()
        .map(str::to_string)
        .or_else(|| request["id"].as_u64().map(|n| n.to_string()))
        .unwrap_or_default();
    let response = {
        let mut inner = app.lock();
        let before = inner.articles.len();
        inner.articles.retain(|a| a.id != id);
        if inner.articles.len() < before {
            ok(json!({}))
        } else {
            error(-201, "id is invalid")
        }
    };
    finish(fault, response).await
}

async fn expire(State(app): State<App>) -> Response {
    let now = Instant::now();
    for expires in app.lock().access.values_mut() {
        *expires = now;
    }
    axum::Json(json!({"ok": true})).into_response()
}
