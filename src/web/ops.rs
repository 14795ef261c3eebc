//! Operations endpoints: `/healthz` for load balancers, `/metrics` for Prometheus, and the
//! middleware that counts every request.

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

/// How long the health probe waits for the database: balancers give up after 2–5 s, and an
/// answer of "down" in time is worth more than a late "ok".
const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// 200 when the database answers and the data folder takes a write, 503 otherwise: a balancer
/// stops sending traffic to an instance that has lost its database or its disk. The body says
/// which, with the free space of the data folder.
async fn healthz(State(state): State<AppState>) -> Response {
    let database = match tokio::time::timeout(PING_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(state.store.backend_name()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {PING_TIMEOUT:?}")),
    };
    let storage = super::health::storage(&state.config.data_dir).await;
    if let Err(e) = &database {
        tracing::warn!(error = %e, "health check: database unavailable");
    }
    if !storage.ok() {
        tracing::warn!(storage = storage.state, error = ?storage.error, "health check: storage trouble");
    }
    let up = database.is_ok() && storage.ok();
    let body = serde_json::json!({
        "status": if up { "ok" } else { "unavailable" },
        "database": database.as_ref().map(|b| *b).unwrap_or("down"),
        "storage": storage.state,
        "free_bytes": storage.free_bytes,
    });
    let status = if up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if given != Some(format!("Bearer {token}").as_str()) {
            return (StatusCode::UNAUTHORIZED, "metrics require a bearer token").into_response();
        }
    }
    let up = state.store.ping().await.is_ok();
    let deliveries = state.store.delivery_counts().await.unwrap_or_default();
    let mut text = state.metrics.render(up, state.store.backend_name());
    text.push_str(&state.metrics.render_publishing(&deliveries));
    text.push_str(&state.clicks.render_metrics());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

pub async fn count_requests(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let response = next.run(req).await;
    state.metrics.observe_request(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
