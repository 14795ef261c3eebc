//! Zalo OA simulator (channel-apis.md §B): Open API and OAuth v4 on one port.
//!
//! - Every answer is HTTP 200 with `{"error":0,"message":"Success","data":…}` or a non-zero
//!   `error`; only the injected server error and commit-then-fail faults use HTTP 500 / 504.
//! - The token is checked in the `access_token` header: unknown → `-216`, past its lifetime
//!   (`Options::token_lifetime`) → `-220`.
//! - `GET /v4/oa/permission` approves at once and redirects back with a single-use code bound
//!   to the PKCE challenge; `POST /v4/oa/access_token` (form, `secret_key` header) exchanges
//!   that code (with its verifier) or a refresh token for a new pair; refresh tokens are
//!   single-use (a reuse → `-14014`), and `expires_in` is a string. Earlier access tokens stay
//!   valid until they expire. Details in `oauth`.
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

mod articles;
mod listing;
mod oauth;
mod state;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use serde_json::json;

use super::Running;
use crate::connectors::Kind;

pub const APP_ID: &str = "sandbox-zalo-app";
pub const SECRET_KEY: &str = "sandbox-zalo-secret";
pub const OA_NAME: &str = "UBND Phường Sandbox";
pub const OA_ID: &str = "1000000000000000001";
pub(super) const PAGE_MAX: usize = 10;

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

/// Starts the Zalo simulator on `addr` (port 0: any free port) with default options.
pub async fn spawn(addr: SocketAddr) -> anyhow::Result<Running> {
    spawn_with(addr, Options::default()).await
}

/// Starts the Zalo simulator; `account` holds `Credentials::Zalo` as JSON (`kind` included).
pub async fn spawn_with(addr: SocketAddr, options: Options) -> anyhow::Result<Running> {
    let mut inner = state::Inner::default();
    let access = inner.mint("zalo-access");
    let refresh = inner.mint("zalo-refresh");
    inner
        .access
        .insert(access.clone(), Instant::now() + options.token_lifetime);
    inner.refresh.insert(refresh.clone());
    let expires_at = crate::clock::now_ms() + options.token_lifetime.as_millis() as i64;
    let account = json!({
        "kind": "zalo",
        "app_id": APP_ID,
        "secret_key": SECRET_KEY,
        "access_token": access,
        "refresh_token": refresh,
        "expires_at": expires_at,
    });
    let mut running = super::start(Kind::Zalo, addr, options, inner, account, |app| {
        Router::new()
            .route("/v4/oa/permission", get(oauth::permission))
            .route("/v4/oa/access_token", post(oauth::access_token))
            .route("/v2.0/oa/getoa", get(listing::getoa))
            .route("/v2.0/article/create", post(articles::create))
            .route("/v2.0/article/verify", post(articles::verify))
            .route("/v2.0/article/getslice", get(listing::getslice))
            .route("/v2.0/article/getdetail", get(listing::getdetail))
            .route("/v2.0/article/remove", post(listing::remove))
            .route("/_sim/zalo/expire", post(oauth::expire))
            .with_state(app)
    })
    .await?;
    let base = running.base_url();
    running.account["api_base"] = json!(base);
    running.account["oauth_base"] = json!(base);
    Ok(running)
}
