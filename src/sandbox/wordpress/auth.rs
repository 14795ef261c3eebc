//! Application Password Basic auth, as `wp_authenticate_application_password()` answers.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use super::errors::{not_logged_in, reject, wp_error};
use super::state::App;
use crate::sandbox::host;

/// Who is calling: `Ok(true)` authenticated, `Ok(false)` anonymous, `Err` bad credentials.
pub(super) fn authenticate(app: &App, headers: &HeaderMap) -> Result<bool, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(false);
    };
    let decoded = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Err(wp_error(
            StatusCode::UNAUTHORIZED,
            "rest_not_logged_in",
            "You are not currently logged in.",
        ));
    };
    if user != app.opts.username {
        return Err(wp_error(
            StatusCode::UNAUTHORIZED,
            "invalid_username",
            "Unknown username. Check again or try your email address.",
        ));
    }
    // WordPress strips everything but letters and digits from application passwords.
    let clean = |p: &str| -> String { p.chars().filter(|c| c.is_ascii_alphanumeric()).collect() };
    if clean(password) != clean(&app.opts.app_password) {
        return Err(wp_error(
            StatusCode::UNAUTHORIZED,
            "incorrect_password",
            "The provided password is an invalid application password.",
        ));
    }
    Ok(true)
}

/// Authenticated or the answer WordPress gives an anonymous caller of this route.
pub(super) fn require_user(
    app: &App,
    headers: &HeaderMap,
    anonymous: Response,
) -> Result<(), Response> {
    match authenticate(app, headers)? {
        true => Ok(()),
        false => Err(anonymous),
    }
}

pub(super) async fn users_me(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(r) = require_user(&app, &headers, not_logged_in()) {
        return r;
    }
    Json(json!({
        "id": 1,
        "name": app.opts.display_name,
        "slug": app.opts.username,
        "link": format!("http://{}/author/{}/", host(&headers), app.opts.username),
    }))
    .into_response()
}

impl App {
    /// A content call through the fault machinery for a logged-in caller: an anonymous one
    /// gets `anonymous`, bad credentials their 401, before `work` runs.
    pub(super) async fn for_user(
        &self,
        headers: &HeaderMap,
        anonymous: Response,
        work: impl Future<Output = Response>,
    ) -> Response {
        self.sim
            .run(reject, async move {
                match require_user(self, headers, anonymous) {
                    Ok(()) => work.await,
                    Err(r) => r,
                }
            })
            .await
    }

    /// A content call through the fault machinery for any caller; `work` learns whether the
    /// caller is logged in (bad credentials get their 401 first).
    pub(super) async fn for_anyone(
        &self,
        headers: &HeaderMap,
        work: impl AsyncFnOnce(bool) -> Response,
    ) -> Response {
        self.sim
            .run(reject, async move {
                match authenticate(self, headers) {
                    Ok(authed) => work(authed).await,
                    Err(r) => r,
                }
            })
            .await
    }
}
