//! WordPress's error answers: `{"code","message","data":{"status"}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::sandbox::Fault;

pub(super) fn wp_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"code": code, "message": message, "data": {"status": status.as_u16()}})),
    )
        .into_response()
}

pub(super) fn invalid_param(param: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({
            "code": "rest_invalid_param",
            "message": format!("Invalid parameter(s): {param}"),
            "data": {"status": 400, "params": {param: message}, "details": {}},
        })),
    )
        .into_response()
}

pub(super) fn not_found_post() -> Response {
    wp_error(
        StatusCode::NOT_FOUND,
        "rest_post_invalid_id",
        "Invalid post ID.",
    )
}

/// The answer for an injected fault that happens before anything is done.
pub(super) fn reject(fault: Fault) -> Response {
    match fault {
        Fault::RateLimited => {
            let mut r = wp_error(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "Too many requests. Please try again later.",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Fault::ExpiredToken => wp_error(
            StatusCode::UNAUTHORIZED,
            "incorrect_password",
            "The provided password is an invalid application password.",
        ),
        _ => wp_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_server_error",
            "<p>There has been a critical error on this website.</p>",
        ),
    }
}

pub(super) fn not_logged_in() -> Response {
    wp_error(
        StatusCode::UNAUTHORIZED,
        "rest_not_logged_in",
        "You are not currently logged in.",
    )
}

/// `rest_cannot_{action}`: WordPress's refusal of something the caller may not do (401 for an
/// anonymous caller, 403 for a user without the capability).
pub(super) fn cannot(status: StatusCode, action: &str, what: &str) -> Response {
    wp_error(
        status,
        &format!("rest_cannot_{action}"),
        &format!("Sorry, you are not allowed to {what}."),
    )
}

/// `per_page` as every collection route checks it: 1–100, 10 when absent.
pub(super) fn per_page(value: Option<&str>) -> Result<i64, Response> {
    match value.map(str::parse::<i64>) {
        None => Ok(10),
        Some(Ok(n)) if (1..=100).contains(&n) => Ok(n),
        _ => Err(invalid_param(
            "per_page",
            "per_page must be between 1 (inclusive) and 100 (inclusive)",
        )),
    }
}
