//! The account's statuses, media, idempotency keys and rate-limit windows; the steps every
//! call goes through (delay, fault, token, rate limit) and Mastodon's error shape.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

use super::{ACCESS_TOKEN, Options};
use crate::sandbox::Fault;

#[derive(Default)]
pub(super) struct Inner {
    pub(super) next: u64,
    pub(super) statuses: BTreeMap<u64, Status>,
    pub(super) media: HashMap<String, Value>,
    /// (account, key) → (status id, stored at).
    pub(super) keys: HashMap<(String, String), (u64, Instant)>,
    /// token → (window number, requests in it).
    pub(super) windows: HashMap<String, (u64, u32)>,
}

pub(super) struct Status {
    pub(super) id: u64,
    pub(super) text: String,
    pub(super) created_at: OffsetDateTime,
    pub(super) visibility: String,
    pub(super) language: Option<String>,
    pub(super) media: Vec<Value>,
    /// When it was saved: listings show it only after the simulator's lag.
    pub(super) saved: Instant,
}

impl Inner {
    pub(super) fn next_id(&mut self) -> u64 {
        self.next += 1;
        110_000_000_000_000_000 + self.next
    }
}

/// What every handler gets: the simulator machinery, the options and the account's state.
pub(super) type App = crate::sandbox::Shared<Options, Inner>;

pub(super) fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// `2025-11-25T10:05:00.000000Z`, as Rack::Attack writes `X-RateLimit-Reset`.
pub(super) fn iso_micros(at: OffsetDateTime) -> String {
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    ))
    .unwrap_or_default()
}

/// The rate-limit headers of one answer.
#[derive(Clone, Copy)]
pub(super) struct Limit {
    pub(super) limit: u32,
    pub(super) remaining: u32,
    pub(super) reset: OffsetDateTime,
}

impl Limit {
    pub(super) fn apply(&self, mut response: Response) -> Response {
        let headers = response.headers_mut();
        let mut set = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        };
        set("x-ratelimit-limit", self.limit.to_string());
        set("x-ratelimit-remaining", self.remaining.to_string());
        set("x-ratelimit-reset", iso_micros(self.reset));
        response
    }

    pub(super) fn too_many(&self) -> Response {
        Limit {
            remaining: 0,
            ..*self
        }
        .apply(error(StatusCode::TOO_MANY_REQUESTS, "Too many requests"))
    }
}

impl App {
    /// Counts the request in its token's fixed window (aligned to the epoch, like
    /// Rack::Attack).
    pub(super) fn count(&self, token: &str) -> (Limit, bool) {
        let period = self.opts.rate_period.as_secs().max(1);
        let now = OffsetDateTime::now_utc();
        let window = now.unix_timestamp().max(0) as u64 / period;
        let reset =
            OffsetDateTime::from_unix_timestamp(((window + 1) * period) as i64).unwrap_or(now);
        let mut inner = self.lock();
        let entry = inner
            .windows
            .entry(token.to_string())
            .or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        let over = entry.1 > self.opts.rate_limit;
        let limit = Limit {
            limit: self.opts.rate_limit,
            remaining: self.opts.rate_limit.saturating_sub(entry.1),
            reset,
        };
        (limit, over)
    }

    /// Delay, injected fault (content calls), token and rate limit. On success, the fault left
    /// for [`finish`] and the rate-limit headers.
    pub(super) async fn begin(
        &self,
        headers: &HeaderMap,
        content: bool,
    ) -> Result<(Option<Fault>, Limit), Response> {
        self.sim.delay().await;
        let fault = if content { self.sim.fault() } else { None };
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .trim()
            .to_string();
        let invalid = || error(StatusCode::UNAUTHORIZED, "The access token is invalid");
        match fault {
            Some(Fault::ServerError) => {
                return Err(error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service Unavailable",
                ));
            }
            Some(Fault::ExpiredToken) => return Err(invalid()),
            _ => {}
        }
        if token != ACCESS_TOKEN {
            return Err(invalid());
        }
        let (limit, over) = self.count(&token);
        if over || fault == Some(Fault::RateLimited) {
            return Err(limit.too_many());
        }
        if let Some(early) = self.sim.prelude(fault).await {
            return Err(early);
        }
        Ok((fault, limit))
    }
}

pub(super) async fn finish(
    app: &App,
    fault: Option<Fault>,
    limit: Limit,
    response: Response,
) -> Response {
    let answer = limit.apply(response);
    app.sim
        .spoil(fault, answer, || {
            error(StatusCode::GATEWAY_TIMEOUT, "Gateway Timeout")
        })
        .await
}

/// A call that only reads or removes: the shared steps, then `work`, then the headers.
pub(super) async fn answer(
    app: &App,
    headers: &HeaderMap,
    content: bool,
    work: impl FnOnce(&mut Inner) -> Response,
) -> Response {
    let (fault, limit) = match app.begin(headers, content).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let response = work(&mut app.lock());
    finish(app, fault, limit, response).await
}
