//! Channel connectors: one module per channel behind one interface, each calling the channel's
//! documented HTTP API with reqwest (contracts: `channel-apis.md`). Every base URL comes from the
//! account, so the same code talks to the real service, to `loa sandbox`, or to a test simulator.
//!
//! A connector never decides whether to retry. It reports what happened, classified by the
//! channel's own error codes, and the dispatcher decides:
//! - `Retryable`: provably did not take effect (rate limit, connection refused before sending);
//! - `NeedsReauth`: the token is expired or revoked (`TokenExpired` when a refresh may fix it);
//! - `Permanent`: validation or permission; retrying cannot help;
//! - `Ambiguous`: the request may have taken effect (timeout or reset after sending). The
//!   dispatcher reconciles by reading back (`find`) before anything else.

pub mod classify;
pub mod facebook;
pub mod mastodon;
pub mod telegram;
pub mod webhook;
pub mod wordpress;
pub mod zalo;

mod transport;

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// The kinds of account Loa can publish through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Wordpress,
    Facebook,
    Zalo,
    Telegram,
    Mastodon,
    Webhook,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Wordpress,
        Kind::Facebook,
        Kind::Zalo,
        Kind::Telegram,
        Kind::Mastodon,
        Kind::Webhook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Wordpress => "wordpress",
            Kind::Facebook => "facebook",
            Kind::Zalo => "zalo",
            Kind::Telegram => "telegram",
            Kind::Mastodon => "mastodon",
            Kind::Webhook => "webhook",
        }
    }

    pub fn parse(value: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == value.trim())
    }

    /// What the channel can tell Loa after an answer was lost (README, "Exactly once").
    pub fn lookup(self) -> Lookup {
        match self {
            Kind::Telegram => Lookup::Nothing,
            Kind::Webhook => Lookup::ReceiverDedupes,
            Kind::Wordpress | Kind::Facebook | Kind::Zalo | Kind::Mastodon => Lookup::Listing,
        }
    }

    /// The content channel (`content::Channel`) whose variant this kind of account sends.
    pub fn channel(self) -> crate::content::Channel {
        use crate::content::Channel;
        match self {
            Kind::Wordpress => Channel::Portal,
            Kind::Facebook => Channel::Facebook,
            Kind::Zalo => Channel::Zalo,
            Kind::Telegram => Channel::Telegram,
            Kind::Mastodon => Channel::Mastodon,
            Kind::Webhook => Channel::Webhook,
        }
    }
}

/// How a channel lets Loa settle an ambiguous outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The channel cannot be asked what it received (Telegram's Bot API): a person checks.
    Nothing,
    /// The receiver drops a repeat of a delivery it already has: resending is safe.
    ReceiverDedupes,
    /// The channel's listings can be searched for what the delivery created (`find`).
    Listing,
}

/// An account's secrets and endpoints. Stored sealed (`secrets::SecretKey`), never shown back.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Credentials {
    /// `base_url` is the site's address; requests go to the API root the site names there
    /// (`…/wp-json/` or `…/?rest_route=/`, `wordpress/api.rs`).
    Wordpress {
        base_url: String,
        username: String,
        app_password: String,
    },
    /// `base_url` includes the pinned version, e.g. `https://graph.facebook.com/v25.0`.
    Facebook {
        base_url: String,
        page_id: String,
        page_token: String,
        app_secret: Option<String>,
    },
    /// `api_base` e.g. `https://openapi.zalo.me`, `oauth_base` e.g. `https://oauth.zaloapp.com`.
    Zalo {
        api_base: String,
        oauth_base: String,
        app_id: String,
        secret_key: String,
        access_token: String,
        refresh_token: String,
        /// UTC ms when the access token expires.
        expires_at: i64,
    },
    /// `base_url` e.g. `https://api.telegram.org`; `chat_id` e.g. `@phuongdienbien`.
    Telegram {
        base_url: String,
        bot_token: String,
        chat_id: String,
    },
    Mastodon {
        base_url: String,
        access_token: String,
    },
    /// Receives JSON signed with HMAC-SHA256 of the body in `X-Loa-Signature: sha256=<hex>`.
    Webhook { url: String, secret: String },
}

impl std::fmt::Debug for Credentials {
    /// Secrets never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials::{}(<redacted>)", self.kind().as_str())
    }
}

impl Credentials {
    pub fn kind(&self) -> Kind {
        match self {
            Credentials::Wordpress { .. } => Kind::Wordpress,
            Credentials::Facebook { .. } => Kind::Facebook,
            Credentials::Zalo { .. } => Kind::Zalo,
            Credentials::Telegram { .. } => Kind::Telegram,
            Credentials::Mastodon { .. } => Kind::Mastodon,
            Credentials::Webhook { .. } => Kind::Webhook,
        }
    }
}

/// An image as a connector needs it: bytes to upload where the API takes uploads, and a public
/// URL where the API fetches images itself (Zalo cover, Facebook `url=`).
#[derive(Clone, Debug)]
pub struct Image {
    /// Stable identity of the image's bytes (its blob key): names the upload on channels that
    /// keep a media library, so a lost answer can be looked up and a copy reused.
    pub key: String,
    /// The channel's id for this image on this account, when an earlier post uploaded it.
    pub remote_id: Option<String>,
    pub bytes: Vec<u8>,
    pub mime: String,
    pub file_name: String,
    pub public_url: Option<String>,
    pub alt: String,
}

/// One delivery's content, already in this channel's variant.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// Stable for the delivery across attempts and restarts: the Mastodon Idempotency-Key, the
    /// suffix of the WordPress slug, and what reconciliation matches on.
    pub nonce: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub link: Option<String>,
    pub hashtags: Vec<String>,
    pub image: Option<Image>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub remote_id: String,
    pub url: Option<String>,
    /// The channel's id for the image this publish uploaded (WordPress media), remembered per
    /// (image, account) so the next post reuses it instead of uploading a copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<String>,
}

/// Engagement counts a channel reports; `None` where it does not report that measure.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    pub views: Option<i64>,
    /// Unique people reached (Facebook `post_total_media_view_unique`).
    pub reach: Option<i64>,
    pub reactions: Option<i64>,
    /// Reactions by type where the channel gives them (`like`, `love`, …), largest first.
    pub reactions_by_type: Vec<(String, i64)>,
    pub comments: Option<i64>,
    pub shares: Option<i64>,
    pub clicks: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Did not take effect; try again after `after` (the channel's own hint) or backoff.
    Retryable {
        reason: String,
        after: Option<Duration>,
    },
    /// The access token expired; a refresh (Zalo) may fix it without a person.
    TokenExpired { reason: String },
    /// The account must be connected again by a person.
    NeedsReauth { reason: String },
    /// Retrying cannot help (validation, permission, policy).
    Permanent { reason: String },
    /// The request may have taken effect: reconcile before any retry.
    Ambiguous { reason: String },
}

impl Failure {
    pub fn reason(&self) -> &str {
        match self {
            Failure::Retryable { reason, .. }
            | Failure::TokenExpired { reason }
            | Failure::NeedsReauth { reason }
            | Failure::Permanent { reason }
            | Failure::Ambiguous { reason } => reason,
        }
    }
}

pub type Outcome<T> = Result<T, Failure>;

/// New tokens after a refresh (Zalo): stored atomically before they are used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refreshed {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: i64,
}

/// What every channel can do. Implementations hold a `reqwest::Client` and the credentials.
pub trait Connector: Send + Sync {
    /// A cheap authenticated call: the account's display name on success.
    fn test_connection(&self) -> BoxFuture<'_, Outcome<String>>;
    /// Publishes now. Uploads the image first where the API needs it.
    fn publish<'a>(&'a self, out: &'a Outgoing) -> BoxFuture<'a, Outcome<Published>>;
    /// After an ambiguous outcome: everything on the channel that an earlier attempt of this
    /// delivery may have created since `since_ms` (by slug, message, title…), oldest first.
    /// The dispatcher adopts the first one no other delivery owns; an empty list means
    /// nothing was found (yet).
    fn find<'a>(
        &'a self,
        out: &'a Outgoing,
        since_ms: i64,
    ) -> BoxFuture<'a, Outcome<Vec<Published>>>;
    fn delete<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<()>>;
    fn metrics<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<Metrics>>;
    /// Exchanges the refresh token (Zalo); other channels answer `Permanent`.
    fn refresh(&self) -> BoxFuture<'_, Outcome<Refreshed>> {
        Box::pin(async {
            Err(Failure::Permanent {
                reason: "this channel has no token refresh".into(),
            })
        })
    }
}

/// The connector for an account's credentials, sharing one HTTP client (connection pool).
pub fn connector(http: &reqwest::Client, creds: &Credentials) -> Box<dyn Connector> {
    match creds.clone() {
        c @ Credentials::Wordpress { .. } => Box::new(wordpress::WordPress::new(http.clone(), c)),
        c @ Credentials::Facebook { .. } => Box::new(facebook::Facebook::new(http.clone(), c)),
        c @ Credentials::Zalo { .. } => Box::new(zalo::Zalo::new(http.clone(), c)),
        c @ Credentials::Telegram { .. } => Box::new(telegram::Telegram::new(http.clone(), c)),
        c @ Credentials::Mastodon { .. } => Box::new(mastodon::Mastodon::new(http.clone(), c)),
        c @ Credentials::Webhook { .. } => Box::new(webhook::Webhook::new(http.clone(), c)),
    }
}

/// The HTTP client connectors share: bounded time per call so a hung channel becomes an
/// ambiguous outcome instead of a stuck worker.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("Loa/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

#[cfg(test)]
#[path = "escaping_tests.rs"]
mod escaping_tests;

#[cfg(test)]
#[path = "html_answers_tests.rs"]
mod html_answers_tests;
