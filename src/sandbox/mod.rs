//! Simulators of the channels' APIs, following `channel-apis.md`: request validation, response
//! and error shapes, token expiry, rate limits. They serve the tests and `loa sandbox`, so Loa
//! can be tried end to end without real accounts.
//!
//! Every simulator shares the machinery here: fault injection and a control API under `/_sim/`:
//! - `POST /_sim/faults` `{"rate":0.2,"kinds":["server_error","rate_limited",…],"seed":7}`:
//!   inject faults into that share of calls that create, update or read content;
//! - `POST /_sim/next` `{"fault":"commit_then_fail"}`: force a fault on the next such call
//!   (`"after":N` lets N calls pass first, to hit the second step of a two-step publish);
//! - `POST /_sim/latency` `{"ms":50}`: delay every answer;
//! - `POST /_sim/slow` `{"ms":30000}`: how long `slow` holds a request before doing its work
//!   (2 s by default) and `commit_then_hang` holds the answer after it (`"hang_ms"`, 30 s);
//! - `POST /_sim/lag` `{"ms":5000}`: what a call creates shows in the channel's listings only
//!   that long after (search indexes and caches that lag behind the write);
//! - `GET /_sim/stats`: `{"created":N,"duplicates":N,"calls":N,"faults":N}`; a duplicate is a
//!   second creation of the same content identity (slug, message, title, idempotency key…);
//! - `POST /_sim/reset`.
//!
//! Like PHP or Rails behind a proxy, a simulator finishes a request whose client has gone: every
//! handler runs detached from its connection, so a `slow` call saves after a client that timed
//! out has given up. That is the case that makes duplicates on real servers.

pub mod accounts;
pub mod all;
pub mod facebook;
pub mod mastodon;
pub mod smtp;
pub mod telegram;
pub mod webhook;
pub mod wordpress;
pub mod zalo;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::connectors::Kind;

/// A fault a simulator can inject. Each simulator renders it in its channel's own shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// 500/503 before doing anything.
    ServerError,
    /// The channel's rate-limit answer (429, FB code 4/32, Zalo -32…), before doing anything.
    RateLimited,
    /// The channel's expired-token answer, before doing anything.
    ExpiredToken,
    /// Do the work, then answer 504: the client cannot know it happened.
    CommitThenFail,
    /// Do the work, then hold the answer past any sane client timeout (`hang_ms`).
    CommitThenHang,
    /// Do the work, then answer 200 with half of its JSON body (a connection cut mid-answer).
    CommitThenTruncate,
    /// Hold the request `slow_ms` before doing the work, which is done even if the client
    /// gave up meanwhile (slow before saving).
    Slow,
    /// A proxy's HTML error page (502) before any work: the channel never saw the request.
    HtmlError,
    /// 200 with an HTML page (a maintenance or login page) before any work.
    HtmlOk,
}

impl Fault {
    pub const ALL: [Fault; 9] = [
        Fault::ServerError,
        Fault::RateLimited,
        Fault::ExpiredToken,
        Fault::CommitThenFail,
        Fault::CommitThenHang,
        Fault::CommitThenTruncate,
        Fault::Slow,
        Fault::HtmlError,
        Fault::HtmlOk,
    ];
}

#[derive(Default)]
struct FaultPlan {
    rate: f64,
    kinds: Vec<Fault>,
    /// Forced outcomes of the next calls, in order: `None` lets one call pass untouched.
    forced: VecDeque<Option<Fault>>,
    rng: Option<rand::rngs::StdRng>,
    latency_ms: u64,
    /// How long `Slow` holds a request before its work (default 2 s).
    slow_ms: Option<u64>,
    /// How long `CommitThenHang` holds the answer after the work (default 30 s).
    hang_ms: Option<u64>,
    /// How long after its creation an item shows in listings.
    lag_ms: u64,
}

const SLOW_MS: u64 = 2_000;
const HANG_MS: u64 = 30_000;

/// Shared state of one simulator: fault plan, counters, and the identities of what was
/// created (to count duplicates).
#[derive(Clone, Default)]
pub struct Sim {
    plan: Arc<Mutex<FaultPlan>>,
    stats: Arc<Mutex<Stats>>,
    seen: Arc<Mutex<HashMap<String, u32>>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    pub calls: u64,
    pub created: u64,
    pub duplicates: u64,
    pub faults: u64,
}

impl Sim {
    /// Called at the start of every content call: the fault to inject, if any.
    pub fn fault(&self) -> Option<Fault> {
        let mut plan = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        self.stats.lock().unwrap_or_else(|p| p.into_inner()).calls += 1;
        let fault = plan.forced.pop_front().unwrap_or_else(|| {
            if plan.rate <= 0.0 || plan.kinds.is_empty() {
                return None;
            }
            let (rate, n) = (plan.rate, plan.kinds.len());
            let rng = plan
                .rng
                .get_or_insert_with(|| rand::rngs::StdRng::seed_from_u64(1));
            if rng.gen_bool(rate.min(1.0)) {
                let i = rng.gen_range(0..n);
                Some(plan.kinds[i])
            } else {
                None
            }
        });
        if fault.is_some() {
            self.stats.lock().unwrap_or_else(|p| p.into_inner()).faults += 1;
        }
        fault
    }

    /// The configured answer delay.
    pub async fn delay(&self) {
        let ms = self
            .plan
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .latency_ms;
        if ms > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
    }

    /// Records a creation of content with this identity; a repeat counts as a duplicate.
    pub fn created(&self, identity: &str) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let n = seen.entry(identity.to_string()).or_insert(0);
        *n += 1;
        let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        stats.created += 1;
        if *n > 1 {
            stats.duplicates += 1;
        }
    }

    pub fn stats(&self) -> Stats {
        self.stats.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_faults(&self, rate: f64, kinds: Vec<Fault>, seed: u64) {
        let mut plan = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        plan.rate = rate;
        plan.kinds = kinds;
        plan.rng = Some(rand::rngs::StdRng::seed_from_u64(seed));
    }

    pub fn force_next(&self, fault: Fault) {
        self.force_after(0, fault);
    }

    /// Lets `pass` content calls through untouched, then forces `fault` on the next one.
    pub fn force_after(&self, pass: usize, fault: Fault) {
        let mut plan = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        plan.forced.extend(std::iter::repeat_n(None, pass));
        plan.forced.push_back(Some(fault));
    }

    pub fn set_latency(&self, ms: u64) {
        self.plan
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .latency_ms = ms;
    }

    pub fn reset(&self) {
        *self.plan.lock().unwrap_or_else(|p| p.into_inner()) = FaultPlan::default();
        *self.stats.lock().unwrap_or_else(|p| p.into_inner()) = Stats::default();
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Sets how long `Slow` holds a request before its work and `CommitThenHang` the answer
    /// after it; `None` keeps the current value.
    pub fn set_slow(&self, slow_ms: Option<u64>, hang_ms: Option<u64>) {
        let mut plan = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        if slow_ms.is_some() {
            plan.slow_ms = slow_ms;
        }
        if hang_ms.is_some() {
            plan.hang_ms = hang_ms;
        }
    }

    /// Items created less than `ms` ago are left out of listings.
    pub fn set_lag(&self, ms: u64) {
        self.plan.lock().unwrap_or_else(|p| p.into_inner()).lag_ms = ms;
    }

    /// Whether an item created at `created` shows in listings yet.
    pub fn listed(&self, created: std::time::Instant) -> bool {
        let lag = self.plan.lock().unwrap_or_else(|p| p.into_inner()).lag_ms;
        created.elapsed() >= Duration::from_millis(lag)
    }

    fn slow_for(&self) -> Duration {
        let plan = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        Duration::from_millis(plan.slow_ms.unwrap_or(SLOW_MS))
    }

    fn hang_for(&self) -> Duration {
        let plan = self.plan.lock().unwrap_or_else(|p| p.into_inner());
        Duration::from_millis(plan.hang_ms.unwrap_or(HANG_MS))
    }

    /// The part of a fault that happens before any work, common to every channel: `Slow`
    /// waits (the work follows, whether or not the client is still there); the HTML faults
    /// answer here. Channel-shaped rejections (server error, rate limit, expired token) are
    /// each simulator's own.
    pub async fn prelude(&self, fault: Option<Fault>) -> Option<axum::response::Response> {
        match fault {
            Some(Fault::Slow) => {
                tokio::time::sleep(self.slow_for()).await;
                None
            }
            Some(Fault::HtmlError) => Some(html_page(
                axum::http::StatusCode::BAD_GATEWAY,
                "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad \
                 Gateway</h1></center><hr><center>nginx</center></body></html>",
            )),
            Some(Fault::HtmlOk) => Some(html_page(
                axum::http::StatusCode::OK,
                "<!DOCTYPE html><html lang=\"vi\"><head><title>Bảo trì</title></head><body>\
                 <h1>Trang đang bảo trì</h1><p>Vui lòng quay lại sau.</p></body></html>",
            )),
            _ => None,
        }
    }

    /// The part of a fault that happens after the work, common to every channel: the answer
    /// is replaced by `gateway` (the channel's 504), held `hang_ms`, or cut in half.
    pub async fn spoil(
        &self,
        fault: Option<Fault>,
        answer: axum::response::Response,
        gateway: impl FnOnce() -> axum::response::Response,
    ) -> axum::response::Response {
        match fault {
            Some(Fault::CommitThenFail) => gateway(),
            Some(Fault::CommitThenHang) => {
                tokio::time::sleep(self.hang_for()).await;
                answer
            }
            Some(Fault::CommitThenTruncate) => truncated(answer).await,
            _ => answer,
        }
    }

    /// Runs one content call the way every simulator does: draws the fault, waits the
    /// configured latency, then either answers with `reject(fault)` or an HTML page before
    /// doing anything, or waits (slow before saving) and does `work`, and then perhaps spoils
    /// the answer (commit-then-fail: 504 with an HTML body; commit-then-hang; truncated).
    pub async fn run<W>(
        &self,
        reject: impl FnOnce(Fault) -> axum::response::Response,
        work: W,
    ) -> axum::response::Response
    where
        W: std::future::Future<Output = axum::response::Response>,
    {
        let fault = self.fault();
        self.delay().await;
        if let Some(f @ (Fault::ServerError | Fault::RateLimited | Fault::ExpiredToken)) = fault {
            return reject(f);
        }
        if let Some(early) = self.prelude(fault).await {
            return early;
        }
        let answer = work.await;
        self.spoil(fault, answer, gateway_timeout).await
    }

    /// The `/_sim/…` control routes, merged into each simulator's router.
    pub fn control_routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        #[derive(Deserialize)]
        struct Faults {
            rate: f64,
            #[serde(default)]
            kinds: Vec<Fault>,
            #[serde(default)]
            seed: u64,
        }
        #[derive(Deserialize)]
        struct Next {
            fault: Fault,
            #[serde(default)]
            after: usize,
        }
        #[derive(Deserialize)]
        struct Latency {
            ms: u64,
        }
        #[derive(Deserialize)]
        struct Slow {
            ms: Option<u64>,
            hang_ms: Option<u64>,
        }
        Router::new()
            .route(
                "/_sim/faults",
                post(|State(sim): State<Sim>, Json(f): Json<Faults>| async move {
                    let kinds = if f.kinds.is_empty() {
                        Fault::ALL.to_vec()
                    } else {
                        f.kinds
                    };
                    sim.set_faults(f.rate, kinds, f.seed);
                    Json(serde_json::json!({"ok": true}))
                }),
            )
            .route(
                "/_sim/next",
                post(|State(sim): State<Sim>, Json(n): Json<Next>| async move {
                    sim.force_after(n.after, n.fault);
                    Json(serde_json::json!({"ok": true}))
                }),
            )
            .route(
                "/_sim/latency",
                post(
                    |State(sim): State<Sim>, Json(l): Json<Latency>| async move {
                        sim.set_latency(l.ms);
                        Json(serde_json::json!({"ok": true}))
                    },
                ),
            )
            .route(
                "/_sim/slow",
                post(|State(sim): State<Sim>, Json(s): Json<Slow>| async move {
                    sim.set_slow(s.ms, s.hang_ms);
                    Json(serde_json::json!({"ok": true}))
                }),
            )
            .route(
                "/_sim/lag",
                post(
                    |State(sim): State<Sim>, Json(l): Json<Latency>| async move {
                        sim.set_lag(l.ms);
                        Json(serde_json::json!({"ok": true}))
                    },
                ),
            )
            .route(
                "/_sim/stats",
                get(|State(sim): State<Sim>| async move { Json(sim.stats()) }),
            )
            .route(
                "/_sim/reset",
                post(|State(sim): State<Sim>| async move {
                    sim.reset();
                    Json(serde_json::json!({"ok": true}))
                }),
            )
            .with_state(self.clone())
    }
}

/// A running simulator on a loopback port.
pub struct Running {
    pub kind: Kind,
    pub addr: SocketAddr,
    pub sim: Sim,
    /// Values a sandbox account of this kind needs (tokens, page id, chat id…).
    pub account: serde_json::Value,
    handle: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// What the handlers of one simulator share: the fault machinery, the options it was started
/// with and its in-memory channel state behind one lock.
pub struct Shared<O, S> {
    pub sim: Sim,
    pub opts: Arc<O>,
    state: Arc<Mutex<S>>,
}

impl<O, S> Clone for Shared<O, S> {
    fn clone(&self) -> Self {
        Shared {
            sim: self.sim.clone(),
            opts: self.opts.clone(),
            state: self.state.clone(),
        }
    }
}

impl<O, S> Shared<O, S> {
    /// The channel state; a handler that panicked while holding it leaves it usable.
    pub fn lock(&self) -> MutexGuard<'_, S> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Starts a simulator the way all of them start: `routes` gets the shared state and answers
/// the channel's router, to which the `/_sim/` control routes are added; then it is served on
/// `addr` with `account` as the values a sandbox account needs.
pub async fn start<O, S>(
    kind: Kind,
    addr: SocketAddr,
    opts: O,
    state: S,
    account: serde_json::Value,
    routes: impl FnOnce(Shared<O, S>) -> Router,
) -> anyhow::Result<Running> {
    let sim = Sim::default();
    let shared = Shared {
        sim: sim.clone(),
        opts: Arc::new(opts),
        state: Arc::new(Mutex::new(state)),
    };
    let router = routes(shared).merge(sim.control_routes());
    serve(kind, addr, router, sim, account).await
}

/// Serves `router` on `addr` (port 0 for any free port).
pub async fn serve(
    kind: Kind,
    addr: SocketAddr,
    router: Router,
    sim: Sim,
    account: serde_json::Value,
) -> anyhow::Result<Running> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let router = router.layer(axum::middleware::from_fn(detached));
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(Running {
        kind,
        addr,
        sim,
        account,
        handle,
    })
}

/// Runs the rest of the request on its own task, so it completes even when the client hangs
/// up (hyper drops a connection's future when its client leaves; a PHP or Rails server goes on
/// and saves).
async fn detached(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        Err(_) => gateway_timeout(),
    }
}

/// An HTML answer where the client expected JSON.
fn html_page(status: axum::http::StatusCode, body: &'static str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The answer's status and headers with the first half of its body: a connection cut
/// mid-answer, after the work was done.
async fn truncated(answer: axum::response::Response) -> axum::response::Response {
    let (mut parts, body) = answer.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let half = bytes.slice(..bytes.len() / 2);
    axum::response::Response::from_parts(parts, axum::body::Body::from(half))
}

/// The `Host` a request was sent to, for the absolute URLs simulators put in their answers.
pub fn host(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost")
        .to_string()
}

/// What a proxy in front of a channel answers when the channel was too slow: 504 with HTML.
pub fn gateway_timeout() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::GATEWAY_TIMEOUT,
        [(axum::http::header::CONTENT_TYPE, "text/html")],
        "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 \
         Gateway Time-out</h1></center><hr><center>nginx</center></body></html>",
    )
        .into_response()
}
