//! Refused requests are security events: every CSRF refusal and every access denial (403) is
//! logged as a warning, and written to the audit log that `/admin/audit` shows — at most once
//! per person, kind and `AUDIT_EVERY_MS`, so a script (or a stale tab retrying) cannot flood the
//! log admins read; the application log keeps every one. Refusals of anonymous visitors (a
//! forged login form) are only logged: anyone on the network can produce them.
//!
//! Failed logins and lockouts are recorded by `login` itself, where the outcome is known.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::session::Visitor;
use crate::error::ErrorPage;

/// One audit entry per person and kind of refusal in this window.
pub const AUDIT_EVERY_MS: i64 = 10 * 60_000;

pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let user = req
        .extensions()
        .get::<Visitor>()
        .and_then(|v| v.session.as_ref())
        .map(|s| (s.user.user_id, s.user.username.clone()));
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let what = format!("{} {}", req.method(), req.uri().path());
    let headers = req.headers().clone();
    let response = next.run(req).await;
    let Some(page) = response.extensions().get::<ErrorPage>() else {
        return response;
    };
    let action = match page.message {
        "err_csrf_missing" | "err_csrf_mismatch" => "csrf.refused",
        "err_forbidden" => "access.denied",
        _ => return response,
    };
    let client = peer
        .map(|p| super::login::client_key(&state, p, &headers))
        .unwrap_or_default();
    match &user {
        Some((id, name)) => {
            tracing::warn!(action, user_id = id, user = %name, request = %what, client = %client, "request refused")
        }
        None => tracing::warn!(action, request = %what, client = %client, "request refused"),
    }
    if let Some((id, _)) = user {
        let since = crate::clock::now_ms() - AUDIT_EVERY_MS;
        if let Err(e) = state
            .store
            .audit_unless_recent(id, action, &what, &format!("client {client}"), since)
            .await
        {
            tracing::error!(error = %e, "cannot audit a refused request");
        }
    }
    response
}
