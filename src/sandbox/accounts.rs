//! Credentials for an account on a running simulator: what `loa sandbox` prints and what the
//! tests connect with.

use super::Running;
use crate::connectors::{Credentials, Kind};

fn s(r: &Running, key: &str) -> String {
    r.account
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// The credentials a Loa account needs to publish to this simulator.
pub fn credentials(r: &Running) -> Credentials {
    // Simulators that describe their account completely (with its `kind`) need no mapping.
    if let Ok(c) = serde_json::from_value::<Credentials>(r.account.clone()) {
        return c;
    }
    let base = r.base_url();
    match r.kind {
        Kind::Wordpress => Credentials::Wordpress {
            base_url: base,
            username: s(r, "username"),
            app_password: s(r, "app_password"),
        },
        Kind::Facebook => Credentials::Facebook {
            base_url: s(r, "base_url"),
            page_id: s(r, "page_id"),
            page_token: s(r, "page_token"),
            app_secret: Some(s(r, "app_secret")).filter(|x| !x.is_empty()),
        },
        Kind::Zalo => Credentials::Zalo {
            api_base: base.clone(),
            oauth_base: Some(s(r, "oauth_base"))
                .filter(|x| !x.is_empty())
                .unwrap_or(base),
            app_id: s(r, "app_id"),
            secret_key: s(r, "secret_key"),
            access_token: s(r, "access_token"),
            refresh_token: s(r, "refresh_token"),
            expires_at: 0,
        },
        Kind::Telegram => Credentials::Telegram {
            base_url: base,
            bot_token: s(r, "bot_token"),
            chat_id: s(r, "chat_id"),
        },
        Kind::Mastodon => Credentials::Mastodon {
            base_url: base,
            access_token: s(r, "access_token"),
        },
        Kind::Webhook => Credentials::Webhook {
            url: s(r, "url"),
            secret: s(r, "secret"),
        },
    }
}
