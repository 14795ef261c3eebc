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

mod media;
mod render;
mod state;
mod statuses;

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use serde_json::json;

use super::Running;
use crate::connectors::Kind;

pub const ACCESS_TOKEN: &str = "sandbox-mastodon-token";
pub const USERNAME: &str = "ubnd_sandbox";
pub(super) const ACCOUNT_ID: &str = "109000000000000001";
pub(super) const BODY_LIMIT: usize = 20 << 20;
pub(super) const URL_WEIGHT: usize = 23;

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

/// Starts the Mastodon simulator on `addr` (port 0: any free port) with default options.
pub async fn spawn(addr: SocketAddr) -> anyhow::Result<Running> {
    spawn_with(addr, Options::default()).await
}

/// Starts the Mastodon simulator; `account` holds `Credentials::Mastodon` as JSON.
pub async fn spawn_with(addr: SocketAddr, options: Options) -> anyhow::Result<Running> {
    let account = json!({"kind": "mastodon", "access_token": ACCESS_TOKEN});
    let inner = state::Inner::default();
    let mut running = super::start(Kind::Mastodon, addr, options, inner, account, |app| {
        Router::new()
            .route("/api/v1/statuses", post(statuses::create_status))
            .route(
                "/api/v1/statuses/{id}",
                get(statuses::get_status).delete(statuses::delete_status),
            )
            .route(
                "/api/v1/accounts/verify_credentials",
                get(statuses::verify_credentials),
            )
            .route(
                "/api/v1/accounts/{id}/statuses",
                get(statuses::account_statuses),
            )
            .route("/api/v2/media", post(media::upload))
            .route("/api/v1/media/{id}", get(media::get_media))
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(app)
    })
    .await?;
    running.account["base_url"] = json!(running.base_url());
    Ok(running)
}
