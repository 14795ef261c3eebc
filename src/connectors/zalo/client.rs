//! Open API calls: the account's endpoint and token, Zalo's answer (HTTP 200 with `error`)
//! and the class of each error code.

use std::time::Duration;

use serde_json::Value;

use super::{PAGE, Zalo};
use crate::connectors::transport::{self, Answer};
use crate::connectors::{Credentials, Failure, Outcome};

/// The Zalo fields of the credentials.
pub(super) struct Account<'a> {
    pub(super) api_base: &'a str,
    pub(super) oauth_base: &'a str,
    pub(super) app_id: &'a str,
    pub(super) secret_key: &'a str,
    pub(super) access_token: &'a str,
    pub(super) refresh_token: &'a str,
}

impl Zalo {
    pub(super) fn account(&self) -> Outcome<Account<'_>> {
        match &self.creds {
            Credentials::Zalo {
                api_base,
                oauth_base,
                app_id,
                secret_key,
                access_token,
                refresh_token,
                ..
            } => Ok(Account {
                api_base: transport::base(api_base),
                oauth_base: transport::base(oauth_base),
                app_id,
                secret_key,
                access_token,
                refresh_token,
            }),
            other => Err(Failure::Permanent {
                reason: format!("Zalo connector given {:?}", other.kind()),
            }),
        }
    }

    /// One Open API call. The outer result is the transport or HTTP outcome; the inner one is
    /// Zalo's business answer: `data` on `error: 0`, else the code and message.
    pub(super) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        mutating: bool,
    ) -> Outcome<Result<Value, (i64, String)>> {
        let account = self.account()?;
        let what = format!("Zalo {path}");
        let mut request = self
            .http
            .request(method, format!("{}{path}", account.api_base))
            .header("access_token", account.access_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = transport::send(request, mutating, &what).await?;
        business(answer, mutating, &what)
    }

    /// `call`, with a business error classified.
    pub(super) async fn data(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        mutating: bool,
    ) -> Outcome<Value> {
        self.call(method, path, body, mutating)
            .await?
            .map_err(|(code, message)| classify(code, &message))
    }
    /// One page of `getslice`: the items, newest first.
    pub(super) async fn slice(&self, offset: usize) -> Outcome<Vec<Value>> {
        let path = format!("/v2.0/article/getslice?offset={offset}&limit={PAGE}&type=normal");
        let data = self.data(reqwest::Method::GET, &path, None, false).await?;
        let items = data
            .get("medias")
            .or_else(|| data.get("articles"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(items)
    }
}
/// Zalo's answer: HTTP errors first (Zalo itself answers 200; anything else is a proxy or an
/// outage), then the `error` field.
pub(super) fn business(
    answer: Answer,
    mutating: bool,
    what: &str,
) -> Outcome<Result<Value, (i64, String)>> {
    let status = answer.status;
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(Failure::Retryable {
            reason: format!("{what}: HTTP 429"),
            after: None,
        });
    }
    if !status.is_success() {
        let reason = format!("{what}: HTTP {}", status.as_u16());
        return Err(if status.is_server_error() && mutating {
            Failure::Ambiguous { reason }
        } else if status.is_server_error() {
            Failure::Retryable {
                reason,
                after: None,
            }
        } else {
            Failure::Permanent { reason }
        });
    }
    let Some(code) = transport::lenient_i64(&answer.json["error"]) else {
        let reason = format!("{what}: the answer is not Zalo's JSON");
        return Err(if mutating {
            Failure::Ambiguous { reason }
        } else {
            Failure::Retryable {
                reason,
                after: None,
            }
        });
    };
    if code == 0 {
        return Ok(Ok(answer.json["data"].clone()));
    }
    let message = answer.json["message"]
        .as_str()
        .unwrap_or("no message")
        .to_string();
    Ok(Err((code, message)))
}

/// The class of an Open API error code (see the module documentation).
pub(super) fn classify(code: i64, message: &str) -> Failure {
    let reason = format!("Zalo error {code}: {message}");
    match code {
        -32 => Failure::Retryable {
            reason,
            after: Some(Duration::from_secs(60)),
        },
        -211 => Failure::Retryable {
            reason,
            after: None,
        },
        -216 | -220 => Failure::TokenExpired { reason },
        -219 | -223 => Failure::NeedsReauth { reason },
        _ => Failure::Permanent { reason },
    }
}

pub(super) fn is_processing(message: &str) -> bool {
    message.to_lowercase().contains("being processed")
}
