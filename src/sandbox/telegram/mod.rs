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

mod methods;
mod request;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::any;
use serde_json::json;

use super::Running;
use crate::connectors::Kind;

pub const BOT_TOKEN: &str = "7000000001:AAsandbox-loa-telegram-bot-token";
pub const BOT_USERNAME: &str = "loa_sandbox_bot";
pub const CHAT: &str = "@ubnd_sandbox";
pub(super) const CHAT_NUMERIC: i64 = -1_001_000_000_001;
pub(super) const TEXT_MAX: usize = 4096;
pub(super) const CAPTION_MAX: usize = 1024;
pub(super) const BODY_LIMIT: usize = 20 << 20;
/// Tags Telegram's HTML parse mode accepts.
pub(super) const TAGS: &[&str] = &[
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

/// Starts the Telegram simulator on `addr` (port 0: any free port) with default options.
pub async fn spawn(addr: SocketAddr) -> anyhow::Result<Running> {
    spawn_with(addr, Options::default()).await
}

/// Starts the Telegram simulator; `account` holds `Credentials::Telegram` as JSON.
pub async fn spawn_with(addr: SocketAddr, options: Options) -> anyhow::Result<Running> {
    let account = json!({"kind": "telegram", "bot_token": BOT_TOKEN, "chat_id": CHAT});
    let inner = methods::Inner::default();
    let mut running = super::start(Kind::Telegram, addr, options, inner, account, |app| {
        Router::new()
            .route(
                "/_sim/telegram/messages",
                axum::routing::get(methods::shown),
            )
            .route("/{bot}/{method}", any(methods::method))
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(app)
    })
    .await?;
    running.account["base_url"] = json!(running.base_url());
    Ok(running)
}
