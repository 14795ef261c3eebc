//! WordPress simulator: the parts of the core REST API Loa uses (channel-apis.md, section C).
//!
//! - Application Password Basic auth: `incorrect_password` / `invalid_username` /
//!   `rest_not_logged_in` (401), as `wp_authenticate_application_password()` answers;
//! - `POST /wp-json/wp/v2/posts` (201, full post, slugs made unique with `-2`, `-3`… like WP,
//!   `empty_content`, `rest_invalid_param`, `rest_cannot_create` for a user without the
//!   capability), `GET /posts` with `slug`/`status`/`per_page`/`page` and `X-WP-Total`,
//!   `GET|DELETE /posts/{id}` (`rest_post_invalid_id`);
//! - `POST /media` (raw bytes + `Content-Disposition`, `?slug=`), `GET /media?slug=`,
//!   `GET|POST /media/{id}` (alt text, `post` attaches it to a post);
//! - `DELETE /posts/{id}` moves the post to the trash (`?force=true` deletes it);
//! - `GET /comments?post=` with `X-WP-Total`; `GET /users/me`.
//! - The front page names the API root in `Link: <…>; rel="https://api.w.org/"`, and every
//!   route also answers at `?rest_route=/wp/v2/…`. With `Permalinks::Plain` the site answers
//!   `/wp-json/…` with a redirect to its HTML front page, as many plain-permalink sites do;
//!   `Permalinks::Hidden` names no root and answers HTML everywhere (a REST-blocking plugin).
//!
//! Sim-only: `POST /_sim/engagement` `{"post":ID,"comments":N}` sets a post's comment count.
//! Duplicates are counted by requested slug (`slug:{slug}`).

// Helpers return the channel's error answer as `Err(Response)` so handlers can `?`-style
// bail out; a simulator does not care about the size of that variant.
#![allow(clippy::result_large_err)]

mod auth;
mod errors;
mod lists;
mod media;
mod posts;
mod site;
mod state;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::{get, post};
use serde_json::json;

use super::Running;
use crate::connectors::Kind;

pub use site::Permalinks;

/// What the sandbox account is and may do.
#[derive(Clone, Debug)]
pub struct Options {
    pub username: String,
    pub app_password: String,
    pub display_name: String,
    /// False: the user lacks `publish_posts` (403 `rest_cannot_create`).
    pub can_publish: bool,
    /// Where the REST API answers (`site.rs`).
    pub permalinks: Permalinks,
    /// Like `wp_insert_post()` then `set_post_thumbnail()`: a created post is saved (and listed)
    /// first and gets its featured image this long after, before the answer; 0: at once.
    pub featured_after_ms: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            username: "loa".into(),
            app_password: "abcd efgh ijkl mnop qrst uvwx".into(),
            display_name: "Cổng thông tin điện tử Phường".into(),
            can_publish: true,
            permalinks: Permalinks::Pretty,
            featured_after_ms: 0,
        }
    }
}

/// Starts the WordPress simulator on `addr` (port 0: any free port).
pub async fn spawn(addr: SocketAddr) -> anyhow::Result<Running> {
    spawn_with(addr, Options::default()).await
}

/// Starts the simulator with a given account.
pub async fn spawn_with(addr: SocketAddr, opts: Options) -> anyhow::Result<Running> {
    let account = json!({
        "username": opts.username,
        "app_password": opts.app_password,
    });
    // Ids start where a real site's would, past pages and samples.
    let site = state::Site::starting_at(100);
    let mut running = super::start(Kind::Wordpress, addr, opts, site, account, |app| {
        let api = Router::new()
            .route("/wp-json", get(site::index))
            .route("/wp-json/", get(site::index))
            .route("/wp-json/wp/v2/users/me", get(auth::users_me))
            .route(
                "/wp-json/wp/v2/posts",
                post(posts::create_post).get(lists::list_posts),
            )
            .route(
                "/wp-json/wp/v2/posts/{id}",
                get(posts::get_post)
                    .post(posts::update_post)
                    .delete(posts::delete_post),
            )
            .route(
                "/wp-json/wp/v2/media",
                post(media::upload_media).get(media::list_media),
            )
            .route(
                "/wp-json/wp/v2/media/{id}",
                post(media::update_media).get(media::get_media),
            )
            .route("/wp-json/wp/v2/comments", get(lists::list_comments))
            .route("/_sim/engagement", post(lists::set_engagement))
            .with_state(app.clone());
        site::front(app, api)
    })
    .await?;
    running.account["base_url"] = json!(running.base_url());
    Ok(running)
}
