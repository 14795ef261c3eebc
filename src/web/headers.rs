//! Security headers on every answer (ASVS 14.4). Pages run no inline script or style (every
//! script is a file under `assets/`), so the content security policy allows only this origin;
//! no page may be framed (one-click actions such as approve or revoke would otherwise be open
//! to clickjacking). Answers that do not choose their own caching are not stored anywhere: a
//! signed-in page must not come back from a shared or back-button cache. Versioned assets, public
//! images and media files set their own `Cache-Control` and keep it.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// `form-action` is left out on purpose: "Connect with Zalo" posts a form whose answer
/// redirects to Zalo's permission page, which `form-action 'self'` would block.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; \
     frame-ancestors 'none'";

pub async fn secure(mut response: Response) -> Response {
    let h = response.headers_mut();
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
    ];
    for (name, value) in fixed {
        h.insert(name, value);
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
