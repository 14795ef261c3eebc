//! Telegram Bot API simulator (channel-apis.md §D.1).
//!
//! - `/bot{token}/{method}`: a wrong token → 401 `Unauthorized`, an unknown method → 404.
//!   Parameters come as JSON, a form, multipart or the query string, like the real API.
//! - `sendMessage` and `sendPhoto` (photo as a multipart file, a file id or a URL) post to the
//!   one channel of the sandbox account (another chat → 400 `chat not found`). The visible
//!   text (after HTML entity parsing, in UTF-16 units) must be 1–4096 long, a caption at most
//!   1024; HTML with a tag Telegram does not support (`<p>`, `<br>`…) → 400 `can't parse
//!   entities`.
//! - At most one message per `Options::per_chat_interval` per chat (Bot FAQ: about 1 msg/s):
//!   a faster send → 429 with `parameters.retry_after`.
//! - `deleteMessage`; `getMe` (no faults). Errors are `{"ok":false,"error_code",
//!   "description"}` with the HTTP status equal to the code.
//! - The duplicate identity is the message text or the photo caption.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};

use super::{Fault, Running, Sim};
use crate::connectors::Kind;

pub const BOT_TOKEN: &str = "7000000001:AAsandbox-loa-telegram-bot-token";
pub const BOT_USERNAME: &str = "loa_sandbox_bot";
pub const CHAT: &str = "@ubnd_sandbox";
const CHAT_NUMERIC: i64 = -1_001_000_000_001;
const TEXT_MAX: usize = 4096;
const CAPTION_MAX: usize = 1024;
const BODY_LIMIT: usize = 20 << 20;
/// Tags Telegram's HTML parse mode accepts.
const TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "tg-emoji",
    "blockquote",
];

#[derive(Clone, Debug)]
pub struct Options {
    /// Minimum time between two messages to one chat.
    pub per_chat_interval: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            per_chat_interval: Duration::from_secs(1),
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
    next_id: i64,
    /// Message ids still present in the channel.
    messages: HashMap<i64, String>,
    last_send: HashMap<String, Instant>,
}

/// Starts the Telegram simulator on `addr` (port 0: any free port) with default options.
pub async fn spawn(addr: SocketAddr) -> anyhow::Result<Running> {
    spawn_with(addr, Options::default()).await
}

/// Starts the Telegram simulator; `account` holds `Credentials::Telegram` as JSON.
pub async fn spawn_with(addr: SocketAddr, options: Options) -> anyhow::Result<Running> {
    let sim = Sim::default();
    let app = App {
        sim: sim.clone(),
        options,
        state: Arc::new(Mutex::new(Inner::default())),
    };
    let router = Router::new()
        .route("/{bot}/{method}", any(method))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
        .merge(sim.control_routes());
    let account = json!({"kind": "telegram", "bot_token": BOT_TOKEN, "chat_id": CHAT});
    let mut running = super::serve(Kind::Telegram, addr, router, sim, account).await?;
    running.account["base_url"] = json!(running.base_url());
    Ok(running)
}

fn fail(code: u16, description: &str) -> Response {
    fail_with(code, description, None)
}

fn fail_with(code: u16, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(parameters) = parameters {
        body["parameters"] = parameters;
    }
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(body)).into_response()
}

fn ok(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

/// The request's parameters, from wherever the client put them.
#[derive(Default)]
struct Params {
    fields: HashMap<String, String>,
    photo_file: Option<Vec<u8>>,
}

async fn params(request: Request) -> Result<Params, Response> {
    let mut params = Params::default();
    if let Some(query) = request.uri().query() {
        params
            .fields
            .extend(form_urlencoded::parse(query.as_bytes()).into_owned());
    }
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bad = |e: &dyn std::fmt::Display| fail(400, &format!("Bad Request: {e}"));
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| bad(&e))?;
        while let Some(field) = multipart.next_field().await.map_err(|e| bad(&e))? {
            let name = field.name().unwrap_or_default().to_string();
            if field.file_name().is_some() {
                let bytes = field.bytes().await.map_err(|e| bad(&e))?;
                if name == "photo" {
                    params.photo_file = Some(bytes.to_vec());
                }
            } else {
                let text = field.text().await.map_err(|e| bad(&e))?;
                params.fields.insert(name, text);
            }
        }
        return Ok(params);
    }
    let body = axum::body::to_bytes(request.into_body(), BODY_LIMIT)
        .await
        .map_err(|e| bad(&e))?;
    if content_type.starts_with("application/json") {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) else {
            return Err(fail(400, "Bad Request: can't parse JSON object"));
        };
        for (key, value) in map {
            let text = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            params.fields.insert(key, text);
        }
    } else if !body.is_empty() {
        params
            .fields
            .extend(form_urlencoded::parse(&body).into_owned());
    }
    Ok(params)
}

/// The text a reader sees once Telegram has parsed `text` as HTML, or why it cannot.
fn parse_html(text: &str) -> Result<String, String> {
    let mut visible = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        visible.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            return Err(format!(
                "can't parse entities: Unclosed start tag at byte offset {}",
                text.len() - rest.len() + start
            ));
        };
        let name: String = after[..end]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if !TAGS.contains(&name.as_str()) {
            return Err(format!(
                "can't parse entities: Unsupported start tag \"{name}\" at byte offset {}",
                text.len() - rest.len() + start
            ));
        }
        rest = &after[end + 1..];
    }
    visible.push_str(rest);
    Ok(visible
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&"))
}

/// The visible text and its length in UTF-16 units, with `parse_mode` applied.
fn visible(text: &str, parse_mode: Option<&str>) -> Result<(String, usize), String> {
    let seen = match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        Some("html") => parse_html(text)?,
        _ => text.to_string(),
    };
    let n = seen.encode_utf16().count();
    Ok((seen, n))
}

impl App {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn chat(&self, params: &Params) -> Result<String, Box<Response>> {
        let chat = params
            .fields
            .get("chat_id")
            .map(|c| c.trim().to_string())
            .unwrap_or_default();
        if chat.is_empty() {
            return Err(Box::new(fail(400, "Bad Request: chat_id is empty")));
        }
        if !chat.eq_ignore_ascii_case(CHAT) && chat != CHAT_NUMERIC.to_string() {
            return Err(Box::new(fail(400, "Bad Request: chat not found")));
        }
        Ok(CHAT.to_string())
    }

    /// The per-chat pace: a 429 with the seconds left when the chat was posted to too soon.
    fn pace(&self, chat: &str) -> Result<(), Box<Response>> {
        let inner = self.lock();
        if let Some(last) = inner.last_send.get(chat) {
            let since = last.elapsed();
            if since < self.options.per_chat_interval {
                let left = (self.options.per_chat_interval - since)
                    .as_secs_f64()
                    .ceil() as u64;
                let left = left.max(1);
                return Err(Box::new(fail_with(
                    429,
                    &format!("Too Many Requests: retry after {left}"),
                    Some(json!({"retry_after": left})),
                )));
            }
        }
        Ok(())
    }

    /// Stores a sent message and answers Telegram's Message object.
    fn record(&self, chat: &str, identity: &str, mut message: Value) -> Value {
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        inner.messages.insert(id, identity.to_string());
        inner.last_send.insert(chat.to_string(), Instant::now());
        drop(inner);
        self.sim.created(identity);
        let date = crate::clock::now_ms() / 1000;
        let chat = json!({
            "id": CHAT_NUMERIC,
            "title": "UBND Phường Sandbox",
            "username": CHAT.trim_start_matches('@'),
            "type": "channel",
        });
        message["message_id"] = json!(id);
        message["date"] = json!(date);
        message["sender_chat"] = chat.clone();
        message["chat"] = chat;
        message
    }
}

async fn method(
    State(app): State<App>,
    Path((bot, method)): Path<(String, String)>,
    request: Request,
) -> Response {
    app.sim.delay().await;
    let Some(token) = bot.strip_prefix("bot") else {
        return fail(404, "Not Found");
    };
    let content = matches!(
        method.as_str(),
        "sendMessage" | "sendPhoto" | "deleteMessage"
    );
    let fault = if content { app.sim.fault() } else { None };
    match fault {
        Some(Fault::ServerError) => return fail(500, "Internal Server Error"),
        Some(Fault::RateLimited) => {
            return fail_with(
                429,
                "Too Many Requests: retry after 3",
                Some(json!({"retry_after": 3})),
            );
        }
        Some(Fault::ExpiredToken) => return fail(401, "Unauthorized"),
        Some(Fault::Slow) => tokio::time::sleep(Duration::from_secs(2)).await,
        _ => {}
    }
    if token != BOT_TOKEN {
        return fail(401, "Unauthorized");
    }
    let params = match params(request).await {
        Ok(params) => params,
        Err(response) => return response,
    };
    let response = match method.as_str() {
        "getMe" => ok(json!({
            "id": 7_000_000_001_i64,
            "is_bot": true,
            "first_name": "Loa Sandbox",
            "username": BOT_USERNAME,
        })),
        "sendMessage" => send_message(&app, &params),
        "sendPhoto" => send_photo(&app, &params),
        "deleteMessage" => delete_message(&app, &params),
        _ => fail(404, "Not Found"),
    };
    match fault {
        Some(Fault::CommitThenFail) => fail(504, "Gateway Timeout"),
        Some(Fault::CommitThenHang) => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            response
        }
        _ => response,
    }
}

fn send_message(app: &App, params: &Params) -> Response {
    let chat = match app.chat(params) {
        Ok(chat) => chat,
        Err(response) => return *response,
    };
    let text = params.fields.get("text").cloned().unwrap_or_default();
    let parse_mode = params.fields.get("parse_mode").map(String::as_str);
    let (seen, n) = match visible(&text, parse_mode) {
        Ok(v) => v,
        Err(e) => return fail(400, &format!("Bad Request: {e}")),
    };
    if seen.trim().is_empty() {
        return fail(400, "Bad Request: message text is empty");
    }
    if n > TEXT_MAX {
        return fail(400, "Bad Request: message is too long");
    }
    if let Err(response) = app.pace(&chat) {
        return *response;
    }
    ok(app.record(&chat, &text, json!({ "text": seen })))
}

fn send_photo(app: &App, params: &Params) -> Response {
    let chat = match app.chat(params) {
        Ok(chat) => chat,
        Err(response) => return *response,
    };
    let has_photo = params.photo_file.as_ref().is_some_and(|b| !b.is_empty())
        || params
            .fields
            .get("photo")
            .is_some_and(|p| !p.trim().is_empty());
    if !has_photo {
        return fail(400, "Bad Request: there is no photo in the request");
    }
    let caption = params.fields.get("caption").cloned().unwrap_or_default();
    let parse_mode = params.fields.get("parse_mode").map(String::as_str);
    let (seen, n) = match visible(&caption, parse_mode) {
        Ok(v) => v,
        Err(e) => return fail(400, &format!("Bad Request: {e}")),
    };
    if n > CAPTION_MAX {
        return fail(400, "Bad Request: message caption is too long");
    }
    if let Err(response) = app.pace(&chat) {
        return *response;
    }
    let size = params.photo_file.as_ref().map_or(0, Vec::len);
    let photo = json!([{
        "file_id": format!("AgACAgsandbox{}", uuid::Uuid::new_v4().simple()),
        "file_unique_id": uuid::Uuid::new_v4().simple().to_string(),
        "file_size": size,
        "width": 1280,
        "height": 720,
    }]);
    let identity = format!("photo:{caption}");
    ok(app.record(&chat, &identity, json!({ "photo": photo, "caption": seen })))
}

fn delete_message(app: &App, params: &Params) -> Response {
    if let Err(response) = app.chat(params) {
        return *response;
    }
    let id = params
        .fields
        .get("message_id")
        .and_then(|m| m.trim().parse::<i64>().ok());
    let Some(id) = id else {
        return fail(400, "Bad Request: message identifier is not specified");
    };
    if app.lock().messages.remove(&id).is_some() {
        ok(json!(true))
    } else {
        fail(400, "Bad Request: message to delete not found")
    }
}
