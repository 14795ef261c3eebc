//! The Bot API methods the sandbox serves, on the one channel of the sandbox account.

use std::collections::HashMap;
use std::time::Instant;

use axum::extract::{Path, Request, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::request::{Params, fail, fail_with, ok, params, visible};
use super::{BOT_TOKEN, BOT_USERNAME, CAPTION_MAX, CHAT, CHAT_NUMERIC, Options, TEXT_MAX};
use crate::sandbox::Fault;

#[derive(Default)]
pub(super) struct Inner {
    pub(super) next_id: i64,
    /// Message ids still present in the channel.
    pub(super) messages: HashMap<i64, String>,
    /// What readers see of each message (text or caption after Telegram's parsing), in order.
    pub(super) shown: Vec<(i64, String)>,
    pub(super) last_send: HashMap<String, Instant>,
}

/// `GET /_sim/telegram/messages`: what readers of the channel see, oldest first.
pub(super) async fn shown(
    axum::extract::State(app): axum::extract::State<App>,
) -> axum::Json<serde_json::Value> {
    let inner = app.lock();
    let list: Vec<serde_json::Value> = inner
        .shown
        .iter()
        .filter(|(id, _)| inner.messages.contains_key(id))
        .map(|(id, text)| json!({"message_id": id, "text": text}))
        .collect();
    axum::Json(json!(list))
}

/// What every handler gets: the simulator machinery, the options and the channel's state.
pub(super) type App = crate::sandbox::Shared<Options, Inner>;

impl App {
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
            if since < self.opts.per_chat_interval {
                let left = (self.opts.per_chat_interval - since).as_secs_f64().ceil() as u64;
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
        let seen = message["text"]
            .as_str()
            .or_else(|| message["caption"].as_str())
            .unwrap_or_default()
            .to_string();
        inner.shown.push((id, seen));
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

pub(super) async fn method(
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
        _ => {}
    }
    if let Some(early) = app.sim.prelude(fault).await {
        return early;
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
    app.sim
        .spoil(fault, response, || fail(504, "Gateway Timeout"))
        .await
}

pub(super) fn send_message(app: &App, params: &Params) -> Response {
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

pub(super) fn send_photo(app: &App, params: &Params) -> Response {
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

pub(super) fn delete_message(app: &App, params: &Params) -> Response {
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
