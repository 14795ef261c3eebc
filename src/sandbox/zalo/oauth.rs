//! OAuth v4 (channel-apis.md B.1): the token endpoint, and the sim-only expiry switch.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::state::App;
use super::{APP_ID, SECRET_KEY};

pub(super) async fn access_token(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    app.sim.delay().await;
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let secret = headers
        .get("secret_key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let oauth_error = |code: i64, name: &str, description: &str| {
        axum::Json(json!({
            "error": code,
            "error_name": name,
            "error_reason": description,
            "error_description": description,
        }))
        .into_response()
    };
    if secret != SECRET_KEY || form.get("app_id").map(String::as_str) != Some(APP_ID) {
        return oauth_error(
            -14003,
            "Invalid parameter",
            "app_id or secret_key is invalid",
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return oauth_error(
            -14003,
            "Invalid parameter",
            "the sandbox supports grant_type=refresh_token only",
        );
    }
    let presented = form.get("refresh_token").cloned().unwrap_or_default();
    let mut inner = app.lock();
    if !inner.refresh.remove(&presented) {
        return oauth_error(
            -14014,
            "Invalid refresh token",
            "Refresh token is invalid or has been used",
        );
    }
    let access = inner.mint("zalo-access");
    let refresh = inner.mint("zalo-refresh");
    inner
        .access
        .insert(access.clone(), Instant::now() + app.opts.token_lifetime);
    inner.refresh.insert(refresh.clone());
    let seconds = app.opts.token_lifetime.as_secs().max(1);
    axum::Json(json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": seconds.to_string(),
    }))
    .into_response()
}

pub(super) async fn expire(State(app): State<App>) -> Response {
    let now = Instant::now();
    for expires in app.lock().access.values_mut() {
        *expires = now;
    }
    axum::Json(json!({"ok": true})).into_response()
}
