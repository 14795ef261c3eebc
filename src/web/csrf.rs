//! CSRF protection for every state-changing request (synchronizer token pattern). Signed-in
//! visitors echo their session's token; anonymous ones (the login form) echo a random cookie
//! (double submit). The token travels in the `x-csrf-token` header or in a `csrf` form field;
//! for url-encoded forms the body is read here and handed on unchanged; multipart uploads carry
//! it in the query string.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use super::session::Visitor;
use crate::error::AppError;

/// Forms are small; uploads come as multipart with the header token.
pub(super) const FORM_LIMIT: usize = 2 * 1024 * 1024;

pub async fn protect(
    State(_): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, AppError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.run(req).await);
    }
    let expected = req
        .extensions()
        .get::<Visitor>()
        .map(|v| v.csrf.clone())
        .unwrap_or_default();
    if let Some(given) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        check(&expected, Some(given))?;
        return Ok(next.run(req).await);
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // A browser cannot add a header to a plain multipart form, and reading a whole upload here
    // just to find one field would double its memory; the form carries the token in its
    // action URL instead. The token is bound to the session, so seeing it in a URL on this
    // same site reveals nothing an attacker could not already read from the page.
    if content_type.starts_with("multipart/form-data") {
        let given = req.uri().query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "csrf")
                .map(|(_, v)| v.into_owned())
        });
        check(&expected, given.as_deref())?;
        return Ok(next.run(req).await);
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(AppError::Csrf { missing: true });
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| AppError::BadRequest("err_body_too_large"))?;
    let given = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned());
    check(&expected, given.as_deref())?;
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}

fn check(expected: &str, given: Option<&str>) -> Result<(), AppError> {
    match given {
        None | Some("") => Err(AppError::Csrf { missing: true }),
        Some(g) if !expected.is_empty() && constant_time_eq(g.as_bytes(), expected.as_bytes()) => {
            Ok(())
        }
        Some(_) => Err(AppError::Csrf { missing: false }),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
