//! Telegram Bot API connector (channel-apis.md §D.1): `sendMessage` for text, `sendPhoto`
//! (multipart upload) with a caption when the post has an image, both in `parse_mode: HTML`.
//!
//! Errors are `{"ok":false,"error_code",…}` with the HTTP status equal to the code:
//! 429 → `Retryable` after `parameters.retry_after`; 401 (and 404, which Telegram answers for
//! a malformed token) → `NeedsReauth`; 400/403 → `Permanent`; 5xx → `Ambiguous` for a send.
//!
//! Telegram has no idempotency key and no way to look a message up, so `find` always answers
//! `None`: an ambiguous send cannot be reconciled, and the dispatcher must never retry one
//! automatically (a person decides). A 429 is safe to retry: Telegram did not process it.

use std::time::Duration;

use serde_json::{Value, json};

use super::transport::{self, Answer};
use super::{BoxFuture, Connector, Credentials, Failure, Metrics, Outcome, Outgoing, Published};

pub struct Telegram {
    http: reqwest::Client,
    creds: Credentials,
}

struct Account<'a> {
    base_url: &'a str,
    bot_token: &'a str,
    chat_id: &'a str,
}

impl Telegram {
    pub fn new(http: reqwest::Client, creds: Credentials) -> Telegram {
        Telegram { http, creds }
    }

    fn account(&self) -> Outcome<Account<'_>> {
        match &self.creds {
            Credentials::Telegram {
                base_url,
                bot_token,
                chat_id,
            } => Ok(Account {
                base_url: transport::base(base_url),
                bot_token,
                chat_id: chat_id.trim(),
            }),
            other => Err(Failure::Permanent {
                reason: format!("Telegram connector given {:?}", other.kind()),
            }),
        }
    }

    fn url(&self, account: &Account<'_>, method: &str) -> String {
        format!("{}/bot{}/{method}", account.base_url, account.bot_token)
    }

    /// Sends one Bot API request and returns `result`, or the classified failure.
    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        method: &str,
        mutating: bool,
    ) -> Outcome<Value> {
        let what = format!("Telegram {method}");
        let answer = transport::send(request, mutating, &what).await?;
        if answer.status.is_success() && answer.json["ok"] == Value::Bool(true) {
            return Ok(answer.json["result"].clone());
        }
        Err(classify(&answer, mutating, &what))
    }

    fn published(&self, account: &Account<'_>, result: &Value) -> Outcome<Published> {
        let id = transport::id_string(&result["message_id"]).ok_or_else(|| Failure::Ambiguous {
            reason: "Telegram answered ok without a message_id".into(),
        })?;
        // Public channels have t.me links; private chats (numeric ids) have none.
        let url = account
            .chat_id
            .strip_prefix('@')
            .filter(|name| !name.is_empty())
            .map(|name| format!("https://t.me/{name}/{id}"));
        Ok(Published {
            remote_id: id,
            url,
            media: None,
        })
    }
}

fn classify(answer: &Answer, mutating: bool, what: &str) -> Failure {
    let code = transport::lenient_i64(&answer.json["error_code"])
        .unwrap_or(i64::from(answer.status.as_u16()));
    let description = answer.json["description"]
        .as_str()
        .unwrap_or("no description");
    let reason = format!("{what}: {code} {description}");
    match code {
        429 => Failure::Retryable {
            reason,
            after: transport::lenient_i64(&answer.json["parameters"]["retry_after"])
                .map(|s| Duration::from_secs(s.max(0) as u64)),
        },
        401 | 404 => Failure::NeedsReauth { reason },
        500..=599 if mutating => Failure::Ambiguous { reason },
        500..=599 => Failure::Retryable {
            reason,
            after: None,
        },
        // A 200 that is not `ok: true` is not an answer we can read.
        200..=299 if mutating => Failure::Ambiguous { reason },
        _ => Failure::Permanent { reason },
    }
}

impl Connector for Telegram {
    fn test_connection(&self) -> BoxFuture<'_, Outcome<String>> {
        Box::pin(async move {
            let account = self.account()?;
            let request = self.http.post(self.url(&account, "getMe"));
            let me = self.call(request, "getMe", false).await?;
            me["username"]
                .as_str()
                .map(|u| format!("@{u}"))
                .ok_or_else(|| Failure::Permanent {
                    reason: "Telegram getMe answered without a username".into(),
                })
        })
    }

    fn publish<'a>(&'a self, out: &'a Outgoing) -> BoxFuture<'a, Outcome<Published>> {
        Box::pin(async move {
            let account = self.account()?;
            let text = crate::content::telegram_html(&out.body);
            let result = match &out.image {
                None => {
                    let request = self.http.post(self.url(&account, "sendMessage")).json(
                        &json!({ "chat_id": account.chat_id, "text": text, "parse_mode": "HTML" }),
                    );
                    self.call(request, "sendMessage", true).await?
                }
                Some(image) => {
                    let photo = reqwest::multipart::Part::bytes(image.bytes.clone())
                        .file_name(image.file_name.clone())
                        .mime_str(&image.mime)
                        .map_err(|e| Failure::Permanent {
                            reason: format!("Telegram photo type {:?}: {e}", image.mime),
                        })?;
                    let form = reqwest::multipart::Form::new()
                        .text("chat_id", account.chat_id.to_string())
                        .text("caption", text)
                        .text("parse_mode", "HTML")
                        .part("photo", photo);
                    let request = self
                        .http
                        .post(self.url(&account, "sendPhoto"))
                        .multipart(form);
                    self.call(request, "sendPhoto", true).await?
                }
            };
            self.published(&account, &result)
        })
    }

    /// Always `None`: the Bot API cannot list a channel's messages. The dispatcher must treat
    /// an ambiguous Telegram send as unconfirmed and never retry it on its own.
    fn find<'a>(
        &'a self,
        _out: &'a Outgoing,
        _since_ms: i64,
    ) -> BoxFuture<'a, Outcome<Vec<Published>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Deletes the message; one that is already gone counts as deleted.
    fn delete<'a>(&'a self, remote_id: &'a str) -> BoxFuture<'a, Outcome<()>> {
        Box::pin(async move {
            let account = self.account()?;
            let message_id: i64 = remote_id.trim().parse().map_err(|_| Failure::Permanent {
                reason: format!("not a Telegram message id: {remote_id:?}"),
            })?;
            let request = self
                .http
                .post(self.url(&account, "deleteMessage"))
                .json(&json!({ "chat_id": account.chat_id, "message_id": message_id }));
            match self.call(request, "deleteMessage", true).await {
                Ok(_) => Ok(()),
                Err(Failure::Permanent { reason })
                    if reason.contains("message to delete not found") =>
                {
                    Ok(())
                }
                Err(other) => Err(other),
            }
        })
    }

    fn metrics<'a>(&'a self, _remote_id: &'a str) -> BoxFuture<'a, Outcome<Metrics>> {
        Box::pin(async {
            Err(Failure::Permanent {
                reason: "Telegram metrics are not available: the Bot API reports no views \
                         or reactions for channel posts"
                    .into(),
            })
        })
    }
}

#[cfg(test)]
#[path = "telegram_tests.rs"]
mod tests;
