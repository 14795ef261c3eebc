//! Facebook simulator: the Graph API for one Page (channel-apis.md, section A).
//!
//! - `access_token` and `appsecret_proof` from the query string, a form body, a JSON body or a
//!   multipart body; code 104 without a token, 190 with a wrong one (plus `WWW-Authenticate`),
//!   190/463 for an expired one, code 100 for a missing (when required) or wrong proof;
//! - `POST /{v}/{page}/feed` (`message`, `link`, read-after-write `fields=`), code 506 for a
//!   message identical to the Page's latest post; `POST /{v}/{page}/photos` (multipart `source`
//!   or `url=`, `caption`, `published`) answering `{id, post_id}`, or `{id}` for an unpublished
//!   photo that a feed post then attaches with `attached_media` (multi-photo, see `attached`);
//! - `GET /{v}/{page}` (`fields=id,name`), `GET /{v}/{page}/published_posts?since=&until=&limit=`;
//! - `GET /{v}/{post}?fields=…` with `shares` omitted when 0 and reaction/comment summaries;
//!   `GET /{v}/{post}/insights?metric=…` failing whole (code 100) on any invalid metric and with
//!   code 3001 without one; `DELETE /{v}/{post}` → `{"success":true}`;
//! - `X-Business-Use-Case-Usage` once enough calls have been made, and on throttling (code 32).
//!
//! - `GET /{v}/me`: the token's owner (the Page for a Page token, a person for a user token);
//!   publishing with a user token is refused with code 200 (permission).
//!
//! Sim-only: `POST /_sim/engagement` `{"post_id":…,"shares":N,"reactions":N,"comments":N,
//! "views":N}`; `POST /_sim/block` `{"posts":N}`: the next N posts are refused with code 368
//! (temporarily blocked). Duplicates are counted by message text (`message:{text}`).

// Helpers return the channel's error answer as `Err(Response)` so handlers can `?`-style
// bail out; a simulator does not care about the size of that variant.
#![allow(clippy::result_large_err)]

mod attached;
mod errors;
mod insights;
mod posts;
mod request;
mod routes;
mod state;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, post};
use serde_json::json;

use super::Running;
use crate::connectors::Kind;

/// The Page and app the sandbox account belongs to.
#[derive(Clone, Debug)]
pub struct Options {
    pub page_id: String,
    pub page_name: String,
    pub page_token: String,
    /// A token of a person who administers the Page: it reads, but publishing with it is
    /// refused (code 200), as Graph does for a user token without `pages_manage_posts`.
    pub user_token: String,
    pub app_secret: String,
    /// The app's "Require App Secret" setting. A proof that is sent is always checked.
    pub require_appsecret_proof: bool,
    /// Graph refuses a message identical to the Page's latest post (code 506).
    pub reject_duplicate_message: bool,
    /// Metrics this app sees rejected although others report them valid (channel-apis.md
    /// A.6 notes projects disagree on `post_media_view`).
    pub invalid_metrics: Vec<String>,
    /// With a seed, every post gathers a plausible audience that grows with its age (most of
    /// it in the first hours), the same for the same seed and post; numbers set through
    /// `/_sim/engagement` come on top. Without one, posts have only what was set.
    pub audience_seed: Option<u64>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            page_id: "1000001".into(),
            page_name: "UBND Phường Điện Biên".into(),
            page_token: "EAAGsandboxPageToken1000001".into(),
            user_token: "EAAGsandboxUserToken4200001".into(),
            app_secret: "sandbox-app-secret".into(),
            require_appsecret_proof: true,
            reject_duplicate_message: true,
            invalid_metrics: Vec::new(),
            audience_seed: None,
        }
    }
}

/// Starts the Facebook simulator on `addr` (port 0: any free port).
pub async fn spawn(addr: SocketAddr) -> anyhow::Result<Running> {
    spawn_with(addr, Options::default()).await
}

/// Starts the simulator with a given Page and app settings.
pub async fn spawn_with(addr: SocketAddr, opts: Options) -> anyhow::Result<Running> {
    let account = json!({
        "page_id": opts.page_id,
        "page_token": opts.page_token,
        "app_secret": opts.app_secret,
        "require_appsecret_proof": opts.require_appsecret_proof,
    });
    let state = state::PageState::new();
    let mut running = super::start(Kind::Facebook, addr, opts, state, account, |app| {
        Router::new()
            .route("/_sim/engagement", post(insights::set_engagement))
            .route("/_sim/block", post(routes::block))
            .route("/{version}/{node}", any(routes::graph))
            .route("/{version}/{node}/{edge}", any(routes::graph))
            .with_state(app)
            .layer(DefaultBodyLimit::max(16 * 1024 * 1024))
    })
    .await?;
    running.account["base_url"] = json!(format!("{}/v25.0", running.base_url()));
    Ok(running)
}
