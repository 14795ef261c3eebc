//! Channel account input: the fields each kind needs, validated into `connectors::Credentials`.
//! Shared by the accounts pages, `loa sandbox` and the tests.

use std::collections::HashMap;

use crate::connectors::{Credentials, Kind};
use crate::domain::FieldError;

/// (form field, catalog label key, is a secret). Secrets are never shown back: an empty
/// secret field on a reconnect form keeps the stored value.
pub fn fields(kind: Kind) -> &'static [(&'static str, &'static str, bool)] {
    match kind {
        Kind::Wordpress => &[
            ("base_url", "acc_site_url", false),
            ("username", "acc_username", false),
            ("app_password", "acc_app_password", true),
        ],
        Kind::Facebook => &[
            ("base_url", "acc_graph_url", false),
            ("page_id", "acc_page_id", false),
            ("page_token", "acc_page_token", true),
            ("app_secret", "acc_app_secret", true),
        ],
        Kind::Zalo => &[
            ("api_base", "acc_api_url", false),
            ("oauth_base", "acc_oauth_url", false),
            ("app_id", "acc_app_id", false),
            ("secret_key", "acc_secret_key", true),
            ("access_token", "acc_access_token", true),
            ("refresh_token", "acc_refresh_token", true),
        ],
        Kind::Telegram => &[
            ("base_url", "acc_api_url", false),
            ("bot_token", "acc_bot_token", true),
            ("chat_id", "acc_chat_id", false),
        ],
        Kind::Mastodon => &[
            ("base_url", "acc_instance_url", false),
            ("access_token", "acc_access_token", true),
        ],
        Kind::Webhook => &[
            ("url", "acc_webhook_url", false),
            ("secret", "acc_webhook_secret", true),
        ],
    }
}

/// Setting where `loa demo` keeps its simulators' account values by kind, so the "connect an
/// account" form can offer them for a sandbox account.
pub const SANDBOX_VALUES: &str = "sandbox_account_values";

/// Default base URLs: the real services. Every one can be changed per account.
pub fn default_value(kind: Kind, field: &str) -> &'static str {
    match (kind, field) {
        (Kind::Facebook, "base_url") => "https://graph.facebook.com/v25.0",
        (Kind::Zalo, "api_base") => "https://openapi.zalo.me",
        (Kind::Zalo, "oauth_base") => "https://oauth.zaloapp.com",
        (Kind::Telegram, "base_url") => "https://api.telegram.org",
        _ => "",
    }
}

fn url(field: &str, v: &str, errors: &mut Vec<FieldError>) -> String {
    let v = v.trim().trim_end_matches('/').to_string();
    let ok = (v.starts_with("https://") || v.starts_with("http://"))
        && v.len() > 8
        && !v.contains(char::is_whitespace);
    if !ok {
        errors.push(FieldError::new(field, "err_url_invalid").arg("value", &v));
    }
    v
}

/// Validates the submitted fields into credentials. `previous` supplies secrets left empty.
pub fn credentials(
    kind: Kind,
    form: &HashMap<String, String>,
    previous: Option<&Credentials>,
) -> Result<Credentials, Vec<FieldError>> {
    let mut errors = Vec::new();
    let old = previous.map(|p| serde_json::to_value(p).unwrap_or_default());
    let mut get = |name: &str, secret: bool, required: bool| -> String {
        let v = form
            .get(name)
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let v = if v.is_empty() && secret {
            old.as_ref()
                .and_then(|o| o.get(name))
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string()
        } else {
            v
        };
        if required && v.is_empty() {
            errors.push(FieldError::new(name, "err_required"));
        }
        v
    };
    let creds = match kind {
        Kind::Wordpress => Credentials::Wordpress {
            base_url: get("base_url", false, true),
            username: get("username", false, true),
            app_password: get("app_password", true, true),
        },
        Kind::Facebook => Credentials::Facebook {
            base_url: get("base_url", false, true),
            page_id: get("page_id", false, true),
            page_token: get("page_token", true, true),
            app_secret: Some(get("app_secret", true, false)).filter(|s| !s.is_empty()),
        },
        Kind::Zalo => Credentials::Zalo {
            api_base: get("api_base", false, true),
            oauth_base: get("oauth_base", false, true),
            app_id: get("app_id", false, true),
            secret_key: get("secret_key", true, true),
            access_token: get("access_token", true, true),
            refresh_token: get("refresh_token", true, true),
            // Unknown until the first refresh; the API answers -216/-220 when it lapses.
            expires_at: 0,
        },
        Kind::Telegram => Credentials::Telegram {
            base_url: get("base_url", false, true),
            bot_token: get("bot_token", true, true),
            chat_id: get("chat_id", false, true),
        },
        Kind::Mastodon => Credentials::Mastodon {
            base_url: get("base_url", false, true),
            access_token: get("access_token", true, true),
        },
        Kind::Webhook => Credentials::Webhook {
            url: get("url", false, true),
            secret: get("secret", true, true),
        },
    };
    // URLs are checked after presence so an empty one is reported once.
    for (name, _, _) in fields(kind) {
        if (name.ends_with("url") || name.ends_with("base"))
            && form.get(*name).is_some_and(|v| !v.trim().is_empty())
        {
            url(name, &form[*name], &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(normalise(creds))
    } else {
        Err(errors)
    }
}

/// Trailing slashes off base URLs, so paths join cleanly.
fn normalise(c: Credentials) -> Credentials {
    let t = |s: String| s.trim_end_matches('/').to_string();
    match c {
        Credentials::Wordpress {
            base_url,
            username,
            app_password,
        } => Credentials::Wordpress {
            base_url: t(base_url),
            username,
            app_password,
        },
        Credentials::Facebook {
            base_url,
            page_id,
            page_token,
            app_secret,
        } => Credentials::Facebook {
            base_url: t(base_url),
            page_id,
            page_token,
            app_secret,
        },
        Credentials::Zalo {
            api_base,
            oauth_base,
            app_id,
            secret_key,
            access_token,
            refresh_token,
            expires_at,
        } => Credentials::Zalo {
            api_base: t(api_base),
            oauth_base: t(oauth_base),
            app_id,
            secret_key,
            access_token,
            refresh_token,
            expires_at,
        },
        Credentials::Telegram {
            base_url,
            bot_token,
            chat_id,
        } => Credentials::Telegram {
            base_url: t(base_url),
            bot_token,
            chat_id,
        },
        Credentials::Mastodon {
            base_url,
            access_token,
        } => Credentials::Mastodon {
            base_url: t(base_url),
            access_token,
        },
        other @ Credentials::Webhook { .. } => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_bad_fields_are_named_and_empty_secrets_keep_the_old_ones() {
        let mut form = HashMap::new();
        form.insert("base_url".to_string(), "ftp://x".to_string());
        let errs = credentials(Kind::Mastodon, &form, None).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| (e.field.as_str(), e.key)).collect();
        assert!(fields.contains(&("access_token", "err_required")));
        assert!(fields.contains(&("base_url", "err_url_invalid")));

        let old = Credentials::Mastodon {
            base_url: "https://m.vn".into(),
            access_token: "tok".into(),
        };
        form.insert(
            "base_url".to_string(),
            "https://social.hanoi.gov.vn/".to_string(),
        );
        let c = credentials(Kind::Mastodon, &form, Some(&old)).unwrap();
        assert_eq!(
            c,
            Credentials::Mastodon {
                base_url: "https://social.hanoi.gov.vn".into(),
                access_token: "tok".into()
            }
        );
    }
}
