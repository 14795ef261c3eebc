//! Refuses control characters at the edge. No text in Loa contains NUL or the other C0
//! controls (tab, line feed and carriage return aside), PostgreSQL cannot store NUL at all, and
//! SQLite would store it silently; so they are refused here, once, for every query string,
//! url-encoded form, JSON body and (through `text_field`) multipart text field, before a
//! handler or the store sees them; CSV imports check their cells the same way. The answer is
//! a 422 naming the field.
//!
//! Two exceptions: the login form checks its own fields (a NUL there is just a wrong password,
//! and says nothing more), and `next` is never stored, only reduced to a local path by
//! `form::safe_next`, which answers `/` for anything unusual.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::extract::multipart::Field;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::AppError;

/// The same bound the CSRF layer puts on a form body.
const FORM_LIMIT: usize = super::csrf::FORM_LIMIT;

pub use crate::domain::{allowed_char as allowed, has_control};

/// The first field of an url-encoded string (a query or a form body) whose name or value holds
/// a refused character.
fn offending(encoded: &[u8]) -> Option<String> {
    form_urlencoded::parse(encoded)
        .find(|(k, v)| k != "next" && (has_control(k) || has_control(v)))
        .map(|(k, _)| k.chars().filter(|c| allowed(*c)).collect())
}

pub async fn refuse_controls(req: Request, next: Next) -> Result<Response, AppError> {
    // A path with a control character names nothing Loa has.
    if path_has_control(req.uri().path()) {
        return Err(AppError::NotFound);
    }
    if let Some(field) = req.uri().query().and_then(|q| offending(q.as_bytes())) {
        return Err(AppError::BadInput { field });
    }
    let kind = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|t| t.trim_start().to_ascii_lowercase())
        .unwrap_or_default();
    let is_form = kind.starts_with("application/x-www-form-urlencoded");
    let is_json = kind.starts_with("application/json");
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !(is_form || is_json) || safe || req.uri().path() == "/login" {
        return Ok(next.run(req).await);
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| AppError::BadRequest("err_body_too_large"))?;
    let found = if is_json {
        // Malformed JSON is left to the handler; here only the text inside matters.
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| json_offending(&v, ""))
    } else {
        offending(&bytes)
    };
    if let Some(field) = found {
        return Err(AppError::BadInput { field });
    }
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}

/// The path (`a.b.0`) of the first JSON key or string holding a refused character. `\u0000`
/// in JSON is valid escaping, so the parsed text is what is looked at.
fn json_offending(value: &serde_json::Value, at: &str) -> Option<String> {
    let join = |key: &str| {
        let key: String = key.chars().filter(|c| allowed(*c)).collect();
        if at.is_empty() {
            key
        } else {
            format!("{at}.{key}")
        }
    };
    match value {
        serde_json::Value::String(s) if has_control(s) => Some(at.to_string()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| json_offending(v, &join(&i.to_string()))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if has_control(k) {
                Some(join(k))
            } else {
                json_offending(v, &join(k))
            }
        }),
        _ => None,
    }
}

/// Whether a percent-encoded control character (`%00`–`%1F`, `%7F`) is in the path; raw ones
/// never get past the HTTP parser.
fn path_has_control(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && std::str::from_utf8(&w[1..])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .is_some_and(|b| b < 0x20 || b == 0x7f)
    })
}

/// The text of a multipart field, refused like a form field when it holds a control character.
pub async fn text_field(field: Field<'_>) -> Result<String, AppError> {
    let name = field.name().unwrap_or("").to_string();
    let text = field.text().await.unwrap_or_default();
    if has_control(&text) || has_control(&name) {
        return Err(AppError::BadInput {
            field: name.chars().filter(|c| allowed(*c)).collect(),
        });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_and_other_c0_controls_are_found_but_line_breaks_are_text() {
        assert!(has_control("a\0b"));
        assert!(has_control("\u{1b}[31m"));
        assert!(has_control("\u{7f}"));
        assert!(!has_control("dòng 1\r\ndòng 2\tcột"));
        assert_eq!(offending(b"title=ok&body=a%00b"), Some("body".into()));
        assert_eq!(offending(b"ti%00tle=ok"), Some("title".into()));
        assert_eq!(offending(b"next=%00&title=ok"), None);
        let json: serde_json::Value =
            serde_json::from_str(r#"{"ok":"x","items":[{"title":"a\u0000b"}]}"#).unwrap();
        assert_eq!(json_offending(&json, ""), Some("items.0.title".into()));
        assert_eq!(
            json_offending(&serde_json::json!({"a": "dòng\n"}), ""),
            None
        );
        assert!(path_has_control("/areas/%00x"));
        assert!(path_has_control("/areas/%7f"));
        assert!(!path_has_control("/areas/H%C3%A0ng%20B%E1%BA%A1c"));
    }
}
