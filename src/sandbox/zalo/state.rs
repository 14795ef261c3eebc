//! The OA's tokens and articles; the steps every content call goes through (delay, fault,
//! token) and Zalo's answer shape (HTTP 200 with `error`).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Options;
use crate::sandbox::Fault;

#[derive(Default)]
pub(super) struct Inner {
    pub(super) next: u64,
    pub(super) access: HashMap<String, Instant>,
    pub(super) refresh: HashSet<String>,
    pub(super) pending: HashMap<String, Pending>,
    /// Authorization codes from the permission page, not yet exchanged.
    pub(super) codes: HashMap<String, Grant>,
    /// Oldest first.
    pub(super) articles: Vec<Article>,
}

/// What an authorization code was issued for: the PKCE challenge and its expiry.
pub(super) struct Grant {
    pub(super) challenge: String,
    pub(super) expires: Instant,
}

pub(super) struct Pending {
    pub(super) article_id: Option<String>,
    pub(super) ready_at: Instant,
}

pub(super) struct Article {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) description: String,
    pub(super) cover: String,
    /// The article's body blocks as sent (`getdetail` shows them).
    pub(super) body: Value,
    pub(super) views: i64,
    /// When it was created: listings show it only after the simulator's lag.
    pub(super) saved: Instant,
}

impl Inner {
    pub(super) fn mint(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}-{}-{}", self.next, uuid::Uuid::new_v4().simple())
    }
}

/// What every handler gets: the simulator machinery, the options and the OA's state.
pub(super) type App = crate::sandbox::Shared<Options, Inner>;

impl App {
    /// `-216` for a missing or unknown token, `-220` for an expired one.
    pub(super) fn check_token(&self, headers: &HeaderMap) -> Result<(), (i64, &'static str)> {
        let token = headers
            .get("access_token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match self.lock().access.get(token) {
            Some(expires) if *expires > Instant::now() => Ok(()),
            Some(_) => Err((-220, "Access token has expired")),
            None => Err((-216, "Access token is invalid")),
        }
    }

    /// Delay, injected fault (the early kinds answer here), token check. On success, the
    /// fault left for [`finish`].
    pub(super) async fn begin(&self, headers: &HeaderMap) -> Result<Option<Fault>, Response> {
        self.sim.delay().await;
        let fault = self.sim.fault();
        match fault {
            Some(Fault::ServerError) => {
                return Err(
                    (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
                );
            }
            Some(Fault::RateLimited) => {
                return Err(error(
                    -32,
                    "The application has reached the rate limit of API calls per minute",
                ));
            }
            Some(Fault::ExpiredToken) => return Err(error(-216, "Access token is invalid")),
            _ => {}
        }
        if let Some(early) = self.sim.prelude(fault).await {
            return Err(early);
        }
        self.check_token(headers)
            .map_err(|(code, message)| error(code, message))?;
        Ok(fault)
    }

    /// [`begin`](Self::begin), then the request's JSON object: the fault left for [`finish`]
    /// and the body, or the answer to give at once.
    pub(super) async fn begin_json(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<(Option<Fault>, Value), Response> {
        let fault = self.begin(headers).await?;
        let value = json_body(body).map_err(|r| *r)?;
        Ok((fault, value))
    }
}

impl App {
    /// The answer after the work is done, spoiled by a commit-then fault (Zalo's gateway
    /// answers a plain-text 504).
    pub(super) async fn finish(&self, fault: Option<Fault>, response: Response) -> Response {
        self.sim
            .spoil(fault, response, || {
                (StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout").into_response()
            })
            .await
    }
}

pub(super) fn ok(data: Value) -> Response {
    axum::Json(json!({"error": 0, "message": "Success", "data": data})).into_response()
}

pub(super) fn error(code: i64, message: &str) -> Response {
    axum::Json(json!({"error": code, "message": message})).into_response()
}

/// The JSON object of a request, or Zalo's answer to anything else.
pub(super) fn json_body(body: &Bytes) -> Result<Value, Box<Response>> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) if value.is_object() => Ok(value),
        _ => Err(Box::new(error(-201, "body is not valid JSON"))),
    }
}
