//! OAuth v4 (channel-apis.md B.1): the permission page, the token endpoint and the sim-only
//! expiry switch.
//!
//! - `GET /v4/oa/permission?app_id&redirect_uri&code_challenge&state` stands for the OA
//!   admin's consent: it approves at once and redirects to `redirect_uri` with `code`,
//!   `oa_id` and `state`. The code is good for 10 minutes and once, bound to the S256
//!   challenge (`base64url(sha256(verifier))`).
//! - `POST /v4/oa/access_token` (form, `secret_key` header): `grant_type=authorization_code`
//!   with `code` and `code_verifier` (a presented code is spent, whatever the outcome), or
//!   `grant_type=refresh_token` with a single-use refresh token (a reuse → `-14014`). Errors
//!   are `{"error","error_name","error_reason","error_description"}` with HTTP 200; a bad,
//!   expired, reused or unverified code answers `-14003` (the reference documents no code of
//!   its own for it).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::state::{App, Grant, Inner};
use super::{APP_ID, OA_ID, SECRET_KEY};
use crate::connectors::zalo::code_challenge;

/// How long an authorization code can be exchanged.
const CODE_LIFETIME: Duration = Duration::from_secs(600);

fn oauth_error(code: i64, name: &str, description: &str) -> Response {
    axum::Json(json!({
        "error": code,
        "error_name": name,
        "error_reason": description,
        "error_description": description,
    }))
    .into_response()
}

fn invalid(description: &str) -> Response {
    oauth_error(-14003, "Invalid parameter", description)
}

pub(super) async fn permission(
    State(app): State<App>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    app.sim.delay().await;
    let get = |k: &str| query.get(k).map(String::as_str).unwrap_or_default();
    let (redirect_uri, challenge, state) =
        (get("redirect_uri"), get("code_challenge"), get("state"));
    // Zalo shows its own error page rather than redirecting anywhere it cannot trust.
    let refuse = |why: &str| (StatusCode::BAD_REQUEST, invalid(why)).into_response();
    if get("app_id") != APP_ID {
        return refuse("app_id is invalid");
    }
    if !(redirect_uri.starts_with("http://") || redirect_uri.starts_with("https://")) {
        return refuse("redirect_uri is invalid");
    }
    // An S256 challenge is 43 base64url characters.
    let challenge_ok = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !challenge_ok {
        return refuse("code_challenge is invalid");
    }
    let code = {
        let mut inner = app.lock();
        let code = inner.mint("zalo-code");
        inner.codes.insert(
            code.clone(),
            Grant {
                challenge: challenge.to_string(),
                expires: Instant::now() + CODE_LIFETIME,
            },
        );
        code
    };
    let back: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", &code)
        .append_pair("oa_id", OA_ID)
        .append_pair("state", state)
        .finish();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{redirect_uri}{separator}{back}")).into_response()
}

pub(super) async fn access_token(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    app.sim.delay().await;
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let secret = headers
        .get("secret_key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if secret != SECRET_KEY || get("app_id") != APP_ID {
        return invalid("app_id or secret_key is invalid");
    }
    let mut inner = app.lock();
    match get("grant_type") {
        "authorization_code" => {
            // Spent on presentation, so a code cannot be tried twice.
            let Some(grant) = inner.codes.remove(get("code")) else {
                return invalid("code is invalid or has been used");
            };
            if grant.expires < Instant::now() {
                return invalid("code has expired");
            }
            if code_challenge(get("code_verifier")) != grant.challenge {
                return invalid("code_verifier does not match code_challenge");
            }
        }
        "refresh_token" => {
            if !inner.refresh.remove(get("refresh_token")) {
                return oauth_error(
                    -14014,
                    "Invalid refresh token",
                    "Refresh token is invalid or has been used",
                );
            }
        }
        _ => return invalid("grant_type is invalid"),
    }
    issue(&mut inner, app.opts.token_lifetime)
}

/// A new access and refresh token pair, `expires_in` as a string like Zalo's.
fn issue(inner: &mut Inner, lifetime: Duration) -> Response {
    let access = inner.mint("zalo-access");
    let refresh = inner.mint("zalo-refresh");
    inner
        .access
        .insert(access.clone(), Instant::now() + lifetime);
    inner.refresh.insert(refresh.clone());
    axum::Json(json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": lifetime.as_secs().max(1).to_string(),
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
