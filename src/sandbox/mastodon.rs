//! Mastodon simulator (channel-apis.md §D.2).
//!
//! - Bearer token check (401 `The access token is invalid`).
//! - `POST /api/v1/statuses` (form or JSON): text ≤ `Options::max_chars` with every http(s)
//!   URL counted as 23 (→ 422), not blank unless it has media, `media_ids[]` from uploads,
//!   `visibility`. An `Idempotency-Key` is kept per account for `Options::idempotency_ttl`
//!   (1 h): a repeat answers the original status and is not a new creation; the same text
//!   posted again without a key (or with another key) is, and counts as a duplicate.
//! - Statuses carry `content` as Mastodon renders it (`<p>`, `<br />`, links, hashtags), the
//!   counts, `url`; `GET`/`DELETE /api/v1/statuses/:id`, `GET /api/v1/accounts/:id/statuses`
//!   (newest first, `limit` ≤ 40, `max_id`), `verify_credentials`.
//! - `POST /api/v2/media` (multipart `file`, `description` ≤ 1500): 200 for an image, 202 for
//!   anything else (processed by the time `GET /api/v1/media/:id` asks).
//! - Rate limit per token, `Options::rate_limit` requests per `Options::rate_period` window
//!   (300 / 5 min): `X-RateLimit-Limit`, `-Remaining`, `-Reset` (ISO-8601 with microseconds)
//!   on every answer; over the limit → 429 `{"error":"Too many requests"}`, no `Retry-After`.
//! - Content calls (statuses, media) take injected faults: 503, 429 with the headers, 401,
//!   commit then 504, commit then a 30 s hang, 2 s slow. The duplicate identity is the text.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use super::{Fault, Running, Sim};
use crate::connectors::Kind;

pub const ACCESS_TOKEN: &str = "sandbox-mastodon-token";
pub const USERNAME: &str = "ubnd_sandbox";
const ACCOUNT_ID: &str = "109000000000000001";
const BODY_LIMIT: usize = 20 << 20;
const URL_WEIGHT: usize = 23;

#[derive(Clone, Debug)]
pub struct Options {
    pub rate_limit: u32,
    pub rate_period: Duration,
    pub idempotency_ttl: Duration,
    pub max_chars: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            rate_limit: 300,
            rate_period: Duration::from_secs(300),
            idempotency_ttl: Duration::from_secs(3600),
            max_chars: 500,
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
    statuses: BTreeMap<u64, Status>,
    media: HashMap<String, Value>,
    /// (account, key) → (status id, stored at).
    keys: HashMap<(String, String), (u64, Instant)>,
    /// token → (window number, requests in it).
    windows: HashMap<String, (u64, u32)>,
}

struct Status {
    id: u64,
    text: String,
    created_at: OffsetDateTime,
    visibility: String,
    language: Option<String>,
    media: Vec<Value>,
}

impl Inner {
    fn next_id(&mut self) -> u64 {
        self.next += 1;
        110_000_000_000_000_000 + self.next
    }
}

/// Starts the Mastodon simulator on `addr` (port 0: any free port) with default options.
pub async fn spawn(addr: SocketAddr) -> anyhow::Result<Running> {
    spawn_with(addr, Options::default()).await
}

/// Starts the Mastodon simulator; `account` holds `Credentials::Mastodon` as JSON.
pub async fn spawn_with(addr: SocketAddr, options: Options) -> anyhow::Result<Running> {
    let sim = Sim::default();
    let app = App {
        sim: sim.clone(),
        options,
        state: Arc::new(Mutex::new(Inner::default())),
    };
    let router = Router::new()
        .route("/api/v1/statuses", post(create_status))
        .route(
            "/api/v1/statuses/{id}",
            get(get_status).delete(delete_status),
        )
        .route(
            "/api/v1/accounts/verify_credentials",
            get(verify_credentials),
        )
        .route("/api/v1/accounts/{id}/statuses", get(account_statuses))
        .route("/api/v2/media", post(upload))
        .route("/api/v1/media/{id}", get(get_media))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
        .merge(sim.control_routes());
    let account = json!({"kind": "mastodon", "access_token": ACCESS_TOKEN});
    let mut running = super::serve(Kind::Mastodon, addr, router, sim, account).await?;
    running.account["base_url"] = json!(running.base_url());
    Ok(running)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// `2025-11-25T10:05:00.000000Z`, as Rack::Attack writes `X-RateLimit-Reset`.
fn iso_micros(at: OffsetDateTime) -> String {
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    ))
    .unwrap_or_default()
}

/// The rate-limit headers of one answer.
#[derive(Clone, Copy)]
struct Limit {
    limit: u32,
    remaining: u32,
    reset: OffsetDateTime,
}

impl Limit {
    fn apply(&self, mut response: Response) -> Response {
        let headers = response.headers_mut();
        let mut set = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        };
        set("x-ratelimit-limit", self.limit.to_string());
        set("x-ratelimit-remaining", self.remaining.to_string());
        set("x-ratelimit-reset", iso_micros(self.reset));
        response
    }

    fn too_many(&self) -> Response {
        Limit {
            remaining: 0,
            ..*self
        }
        .apply(error(StatusCode::TOO_MANY_REQUESTS, "Too many requests"))
    }
}

impl App {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts the request in its token's fixed window (aligned to the epoch, like
    /// Rack::Attack).
    fn count(&self, token: &str) -> (Limit, bool) {
        let period = self.options.rate_period.as_secs().max(1);
        let now = OffsetDateTime::now_utc();
        let window = now.unix_timestamp().max(0) as u64 / period;
        let reset =
            OffsetDateTime::from_unix_timestamp(((window + 1) * period) as i64).unwrap_or(now);
        let mut inner = self.lock();
        let entry = inner
            .windows
            .entry(token.to_string())
            .or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        let over = entry.1 > self.options.rate_limit;
        let limit = Limit {
            limit: self.options.rate_limit,
            remaining: self.options.rate_limit.saturating_sub(entry.1),
            reset,
        };
        (limit, over)
    }

    /// Delay, injected fault (content calls), token and rate limit. On success, the fault left
    /// for [`finish`] and the rate-limit headers.
    async fn begin(
        &self,
        headers: &HeaderMap,
        content: bool,
    ) -> Result<(Option<Fault>, Limit), Response> {
        self.sim.delay().await;
        let fault = if content { self.sim.fault() } else { None };
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .trim()
            .to_string();
        let invalid = || error(StatusCode::UNAUTHORIZED, "The access token is invalid");
        match fault {
            Some(Fault::ServerError) => {
                return Err(error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service Unavailable",
                ));
            }
            Some(Fault::ExpiredToken) => return Err(invalid()),
            _ => {}
        }
        if token != ACCESS_TOKEN {
            return Err(invalid());
        }
        let (limit, over) = self.count(&token);
        if over || fault == Some(Fault::RateLimited) {
            return Err(limit.too_many());
        }
        if fault == Some(Fault::Slow) {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        Ok((fault, limit))
    }
}

async fn finish(fault: Option<Fault>, limit: Limit, response: Response) -> Response {
    match fault {
        Some(Fault::CommitThenFail) => error(StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout"),
        Some(Fault::CommitThenHang) => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            limit.apply(response)
        }
        _ => limit.apply(response),
    }
}

fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn is_url(word: &str) -> bool {
    word.starts_with("https://") || word.starts_with("http://")
}

/// Mastodon's rendering of plain text: paragraphs, `<br />`, shortened links, hashtag links.
fn render(text: &str, base: &str) -> String {
    let mut html = String::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        html.push_str("<p>");
        for (i, line) in paragraph.lines().enumerate() {
            if i > 0 {
                html.push_str("<br />");
            }
            let words: Vec<String> = line.split(' ').map(|w| render_word(w, base)).collect();
            html.push_str(&words.join(" "));
        }
        html.push_str("</p>");
    }
    html
}

fn render_word(word: &str, base: &str) -> String {
    if is_url(word) {
        let (scheme, rest) = word.split_at(word.find("://").map_or(0, |i| i + 3));
        let shown: String = rest.chars().take(30).collect();
        let hidden: String = rest.chars().skip(30).collect();
        return format!(
            "<a href=\"{}\" target=\"_blank\" rel=\"nofollow noopener noreferrer\">\
             <span class=\"invisible\">{}</span><span class=\"{}\">{}</span>\
             <span class=\"invisible\">{}</span></a>",
            escape(word),
            escape(scheme),
            if hidden.is_empty() { "" } else { "ellipsis" },
            escape(&shown),
            escape(&hidden)
        );
    }
    if let Some(tag) = word.strip_prefix('#') {
        let name: String = tag
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            let rest = &tag[name.len()..];
            return format!(
                "<a href=\"{base}/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>{}",
                escape(&name.to_lowercase()),
                escape(&name),
                escape(rest)
            );
        }
    }
    escape(word)
}

/// Characters as Mastodon counts them: every http(s) URL weighs 23.
fn weight(text: &str) -> usize {
    let long_urls: usize = text
        .split_whitespace()
        .filter(|w| is_url(w))
        .map(|w| w.chars().count().saturating_sub(URL_WEIGHT))
        .sum();
    text.chars().count() - long_urls
}

fn account_json(base: &str) -> Value {
    json!({
        "id": ACCOUNT_ID,
        "username": USERNAME,
        "acct": USERNAME,
        "display_name": "UBND Phường Sandbox",
        "url": format!("{base}/@{USERNAME}"),
        "statuses_count": 0,
    })
}

fn status_json(status: &Status, base: &str) -> Value {
    let at = status
        .created_at
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .unwrap_or_default();
    json!({
        "id": status.id.to_string(),
        "created_at": at,
        "uri": format!("{base}/users/{USERNAME}/statuses/{}", status.id),
        "url": format!("{base}/@{USERNAME}/{}", status.id),
        "content": render(&status.text, base),
        "visibility": status.visibility,
        "language": status.language,
        "sensitive": false,
        "spoiler_text": "",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "media_attachments": status.media,
        "account": account_json(base),
    })
}

/// The fields of a status request and its `media_ids`.
type StatusRequest = (HashMap<String, String>, Vec<String>);

/// The fields of a status request: form (with repeated `media_ids[]`) or JSON.
fn status_fields(headers: &HeaderMap, body: &Bytes) -> Result<StatusRequest, Box<Response>> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut fields = HashMap::new();
    let mut media = Vec::new();
    if content_type.starts_with("application/json") {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return Err(Box::new(error(StatusCode::BAD_REQUEST, "Invalid JSON")));
        };
        for (key, value) in map {
            match (key.as_str(), value) {
                ("media_ids", Value::Array(ids)) => {
                    media.extend(ids.iter().filter_map(|v| v.as_str().map(str::to_string)));
                }
                (_, Value::String(s)) => {
                    fields.insert(key, s);
                }
                (_, other) => {
                    fields.insert(key, other.to_string());
                }
            }
        }
    } else {
        for (key, value) in form_urlencoded::parse(body) {
            if key == "media_ids[]" || key == "media_ids" {
                media.push(value.into_owned());
            } else {
                fields.insert(key.into_owned(), value.into_owned());
            }
        }
    }
    Ok((fields, media))
}

async fn create_status(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let (fault, limit) = match app.begin(&headers, true).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let base = base(&headers);
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| (ACCOUNT_ID.to_string(), k.to_string()));
    let (fields, media_ids) = match status_fields(&headers, &body) {
        Ok(v) => v,
        Err(response) => return *response,
    };
    let unprocessable = |m: &str| limit.apply(error(StatusCode::UNPROCESSABLE_ENTITY, m));
    let response = {
        let mut inner = app.lock();
        let ttl = app.options.idempotency_ttl;
        inner.keys.retain(|_, (_, at)| at.elapsed() < ttl);
        let original = key
            .as_ref()
            .and_then(|k| inner.keys.get(k))
            .and_then(|(id, _)| inner.statuses.get(id));
        if let Some(original) = original {
            // The original status, not a new one: the key did its job.
            axum::Json(status_json(original, &base)).into_response()
        } else {
            let text = fields.get("status").cloned().unwrap_or_default();
            let visibility = fields
                .get("visibility")
                .cloned()
                .unwrap_or_else(|| "public".into());
            let mut media = Vec::new();
            for id in &media_ids {
                match inner.media.get(id) {
                    Some(m) => media.push(m.clone()),
                    None => return unprocessable("Validation failed: Media ids are invalid"),
                }
            }
            if text.trim().is_empty() && media.is_empty() {
                return unprocessable("Validation failed: Text can't be blank");
            }
            if weight(&text) > app.options.max_chars {
                return unprocessable(&format!(
                    "Validation failed: Text character limit of {} exceeded",
                    app.options.max_chars
                ));
            }
            if !["public", "unlisted", "private", "direct"].contains(&visibility.as_str()) {
                return unprocessable("Validation failed: Visibility is invalid");
            }
            let id = inner.next_id();
            let status = Status {
                id,
                text: text.clone(),
                created_at: OffsetDateTime::now_utc(),
                visibility,
                language: fields.get("language").cloned(),
                media,
            };
            let json = status_json(&status, &base);
            inner.statuses.insert(id, status);
            if let Some(key) = key {
                inner.keys.insert(key, (id, Instant::now()));
            }
            drop(inner);
            app.sim.created(&text);
            axum::Json(json).into_response()
        }
    };
    finish(fault, limit, response).await
}

async fn get_status(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (fault, limit) = match app.begin(&headers, true).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let response = {
        let inner = app.lock();
        match id.parse().ok().and_then(|id: u64| inner.statuses.get(&id)) {
            Some(status) => axum::Json(status_json(status, &base(&headers))).into_response(),
            None => error(StatusCode::NOT_FOUND, "Record not found"),
        }
    };
    finish(fault, limit, response).await
}

async fn delete_status(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (fault, limit) = match app.begin(&headers, true).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let response = {
        let removed = id
            .parse()
            .ok()
            .and_then(|id: u64| app.lock().statuses.remove(&id));
        match removed {
            // Mastodon answers the deleted status with its source text.
            Some(status) => {
                let mut json = status_json(&status, &base(&headers));
                json["text"] = json!(status.text);
                axum::Json(json).into_response()
            }
            None => error(StatusCode::NOT_FOUND, "Record not found"),
        }
    };
    finish(fault, limit, response).await
}

async fn verify_credentials(State(app): State<App>, headers: HeaderMap) -> Response {
    let (fault, limit) = match app.begin(&headers, false).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let mut account = account_json(&base(&headers));
    account["statuses_count"] = json!(app.lock().statuses.len());
    finish(fault, limit, axum::Json(account).into_response()).await
}

async fn account_statuses(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (fault, limit) = match app.begin(&headers, true).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    if id != ACCOUNT_ID {
        return limit.apply(error(StatusCode::NOT_FOUND, "Record not found"));
    }
    let page = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 40);
    let max_id = query
        .get("max_id")
        .and_then(|m| m.parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    let base = base(&headers);
    let statuses: Vec<Value> = app
        .lock()
        .statuses
        .range(..max_id)
        .rev()
        .take(page)
        .map(|(_, s)| status_json(s, &base))
        .collect();
    finish(fault, limit, axum::Json(statuses).into_response()).await
}

async fn upload(State(app): State<App>, headers: HeaderMap, request: Request) -> Response {
    let (fault, limit) = match app.begin(&headers, true).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let unprocessable = |m: &str| limit.apply(error(StatusCode::UNPROCESSABLE_ENTITY, m));
    let Ok(mut multipart) = Multipart::from_request(request, &()).await else {
        return unprocessable("Validation failed: File can't be blank");
    };
    let mut file: Option<(String, usize)> = None;
    let mut description = String::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name().unwrap_or_default() {
            "file" => {
                let mime = field.content_type().unwrap_or_default().to_string();
                let size = field.bytes().await.map(|b| b.len()).unwrap_or(0);
                file = Some((mime, size));
            }
            "description" => description = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    let Some((mime, size)) = file.filter(|(_, size)| *size > 0) else {
        return unprocessable("Validation failed: File can't be blank");
    };
    if description.chars().count() > 1500 {
        return unprocessable("Validation failed: Description is too long (maximum is 1500)");
    }
    let base = base(&headers);
    let image = mime.starts_with("image/");
    let response = {
        let mut inner = app.lock();
        let id = inner.next_id().to_string();
        let url = format!("{base}/system/media_attachments/{id}/original");
        let attachment = json!({
            "id": id,
            "type": if image { "image" } else { "unknown" },
            "url": url,
            "preview_url": url,
            "description": description,
            "meta": {"original": {"size": size}},
        });
        inner.media.insert(id, attachment.clone());
        let mut answer = attachment;
        if image {
            axum::Json(answer).into_response()
        } else {
            answer["url"] = Value::Null;
            (StatusCode::ACCEPTED, axum::Json(answer)).into_response()
        }
    };
    finish(fault, limit, response).await
}

async fn get_media(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let (fault, limit) = match app.begin(&headers, false).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let response = match app.lock().media.get(&id) {
        Some(media) => axum::Json(media.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "Record not found"),
    };
    finish(fault, limit, response).await
}
