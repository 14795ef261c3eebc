//! Graph's error answers (channel-apis.md A.7) and usage headers (A.8).

use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Options;
use crate::sandbox::Fault;

pub(super) fn trace_id() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..23)
        .map(|_| {
            let chars = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
            chars[rng.gen_range(0..chars.len())] as char
        })
        .collect()
}

/// A Graph error answer.
pub(super) fn graph_error(
    status: StatusCode,
    code: i64,
    subcode: Option<i64>,
    kind: &str,
    message: &str,
    transient: bool,
) -> Response {
    let mut error = json!({
        "message": message,
        "type": kind,
        "code": code,
        "is_transient": transient,
        "fbtrace_id": trace_id(),
    });
    if let Some(sub) = subcode {
        error["error_subcode"] = json!(sub);
    }
    (status, Json(json!({ "error": error }))).into_response()
}

pub(super) fn invalid_token(subcode: Option<i64>, message: &str) -> Response {
    let mut r = graph_error(
        StatusCode::BAD_REQUEST,
        190,
        subcode,
        "OAuthException",
        message,
        false,
    );
    let www = format!("OAuth \"Facebook Platform\" \"invalid_token\" \"{message}\"");
    if let Ok(v) = HeaderValue::from_str(&www) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

pub(super) fn param_error(message: &str) -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        100,
        None,
        "OAuthException",
        message,
        false,
    )
}

pub(super) fn unsupported(node: &str, method: &Method) -> Response {
    let verb = if method == Method::GET {
        "get"
    } else if method == Method::DELETE {
        "delete"
    } else {
        "post"
    };
    graph_error(
        StatusCode::BAD_REQUEST,
        100,
        Some(33),
        "GraphMethodException",
        &format!(
            "Unsupported {verb} request. Object with ID '{node}' does not exist, cannot be \
             loaded due to missing permissions, or does not support this operation."
        ),
        false,
    )
}

pub(super) fn usage_header(page_id: &str, pct: u64, regain_minutes: u64) -> HeaderValue {
    let usage = json!({ page_id: [{
        "type": "pages", "call_count": pct, "total_cputime": pct / 4, "total_time": pct / 3,
        "estimated_time_to_regain_access": regain_minutes,
    }]});
    HeaderValue::from_str(&usage.to_string()).unwrap_or(HeaderValue::from_static("{}"))
}

/// The answer for an injected fault that happens before anything is done.
pub(super) fn rejecter(opts: Arc<Options>) -> impl FnOnce(Fault) -> Response {
    move |fault| match fault {
        Fault::RateLimited => {
            let mut r = graph_error(
                StatusCode::BAD_REQUEST,
                32,
                None,
                "OAuthException",
                "(#32) Page request limit reached",
                true,
            );
            r.headers_mut().insert(
                "x-business-use-case-usage",
                usage_header(&opts.page_id, 100, 1),
            );
            r
        }
        Fault::ExpiredToken => invalid_token(
            Some(463),
            "Error validating access token: Session has expired on Thursday, 01-May-25 \
             03:00:00 PDT. The current time is Thursday, 01-May-25 04:00:00 PDT.",
        ),
        _ => graph_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            2,
            None,
            "OAuthException",
            "An unexpected error has occurred. Please retry your request later.",
            true,
        ),
    }
}
