//! Webhook receiver simulator: what a well-behaved receiver of Loa's webhooks does.
//!
//! `POST /hook` verifies `X-Loa-Signature` over `<X-Loa-Timestamp>.<X-Loa-Delivery>.<body>`
//! and refuses (401) a missing or wrong signature and one whose timestamp is more than 5
//! minutes away from now (a replay); it answers a signed `{"ping":true}` with 200, requires
//! `X-Loa-Delivery` on deliveries (equal to the body's `id`), and dedupes on it: a repeat is
//! answered 200 (`"duplicate":true`) and counted as a duplicate in the stats, but stored once.
//! `GET /_sim/received` lists what was stored.
//!
//! The check is written here from the recipe in README, not with the connector's own code, so
//! a change to what Loa signs shows up as refused deliveries.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{Fault, Running, Sim};
use crate::connectors::Kind;
use crate::connectors::webhook::{
    DELIVERY_HEADER, MAX_AGE_SECONDS, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};

pub const DEFAULT_SECRET: &str = "sandbox-webhook-secret";

#[derive(Default)]
struct Received {
    deliveries: Vec<Value>,
    repeats: u64,
}

#[derive(Clone)]
struct App {
    sim: Sim,
    secret: Arc<String>,
    received: Arc<Mutex<Received>>,
}

/// Starts the receiver on `addr` (port 0: any free port) with the default secret.
pub async fn spawn(addr: SocketAddr) -> anyhow::Result<Running> {
    spawn_with(addr, DEFAULT_SECRET).await
}

/// Starts the receiver with a given shared secret.
pub async fn spawn_with(addr: SocketAddr, secret: &str) -> anyhow::Result<Running> {
    let sim = Sim::default();
    let app = App {
        sim: sim.clone(),
        secret: Arc::new(secret.to_string()),
        received: Arc::new(Mutex::new(Received::default())),
    };
    let router = Router::new()
        .route("/hook", post(receive))
        .route("/_sim/received", get(received))
        .with_state(app)
        .merge(sim.control_routes())
        .layer(DefaultBodyLimit::max(4 * 1024 * 1024));
    let account = json!({"secret": secret, "path": "/hook"});
    let mut running = super::serve(Kind::Webhook, addr, router, sim, account).await?;
    running.account["url"] = json!(format!("{}/hook", running.base_url()));
    Ok(running)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

fn reject(fault: Fault) -> Response {
    match fault {
        Fault::RateLimited => {
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "slow down");
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Fault::ExpiredToken => error(StatusCode::UNAUTHORIZED, "signing key revoked"),
        _ => error(StatusCode::INTERNAL_SERVER_ERROR, "receiver failed"),
    }
}

async fn receive(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let sim = app.sim.clone();
    sim.run(reject, async move {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let (signature, delivery) = (header(SIGNATURE_HEADER), header(DELIVERY_HEADER));
        if let Err(why) = check_signature(
            &app.secret,
            &header(TIMESTAMP_HEADER),
            &delivery,
            &body,
            &signature,
        ) {
            return error(StatusCode::UNAUTHORIZED, why);
        }
        let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
            return error(StatusCode::BAD_REQUEST, "body is not JSON");
        };
        if payload.get("ping") == Some(&Value::Bool(true)) {
            return Json(json!({"ok": true, "ping": true})).into_response();
        }
        if delivery.trim().is_empty() {
            return error(StatusCode::BAD_REQUEST, "missing X-Loa-Delivery");
        }
        if payload["id"].as_str() != Some(delivery.as_str()) {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "payload id differs from X-Loa-Delivery",
            );
        }
        app.sim.created(&format!("delivery:{delivery}"));
        let mut received = app.received.lock().unwrap_or_else(|p| p.into_inner());
        let duplicate = received
            .deliveries
            .iter()
            .any(|d| d["delivery"].as_str() == Some(delivery.as_str()));
        if duplicate {
            received.repeats += 1;
        } else {
            received.deliveries.push(json!({
                "delivery": delivery,
                "signature": signature,
                "body": payload,
            }));
        }
        Json(json!({"ok": true, "duplicate": duplicate})).into_response()
    })
    .await
}

/// The receiver's check: a fresh timestamp, and HMAC-SHA256 of
/// `<timestamp>.<delivery>.<body>` under the shared secret, compared in constant time.
fn check_signature(
    secret: &str,
    timestamp: &str,
    delivery: &str,
    body: &[u8],
    signature: &str,
) -> Result<(), &'static str> {
    use hmac::{Hmac, Mac};
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| "missing or bad X-Loa-Timestamp")?;
    let now = crate::clock::now_ms() / 1000;
    if (now - ts).abs() > MAX_AGE_SECONDS {
        return Err("signature too old (or from the future): replay refused");
    }
    let given = signature
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or("invalid signature")?;
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .map_err(|_| "invalid signature")?;
    mac.update(format!("{}.{delivery}.", timestamp.trim()).as_bytes());
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| "invalid signature")
}

async fn received(State(app): State<App>) -> Response {
    let received = app.received.lock().unwrap_or_else(|p| p.into_inner());
    Json(json!({
        "deliveries": received.deliveries,
        "repeats": received.repeats,
    }))
    .into_response()
}
