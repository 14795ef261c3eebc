//! Telegram's answer shape, reading parameters from wherever the client put them, and the
//! text a reader sees once HTML is parsed.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{BODY_LIMIT, TAGS};

pub(super) fn fail(code: u16, description: &str) -> Response {
    fail_with(code, description, None)
}

pub(super) fn fail_with(code: u16, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(parameters) = parameters {
        body["parameters"] = parameters;
    }
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(body)).into_response()
}

pub(super) fn ok(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

/// The request's parameters, from wherever the client put them.
#[derive(Default)]
pub(super) struct Params {
    pub(super) fields: HashMap<String, String>,
    pub(super) photo_file: Option<Vec<u8>>,
}

pub(super) async fn params(request: Request) -> Result<Params, Response> {
    let mut params = Params::default();
    if let Some(query) = request.uri().query() {
        params
            .fields
            .extend(form_urlencoded::parse(query.as_bytes()).into_owned());
    }
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bad = |e: &dyn std::fmt::Display| fail(400, &format!("Bad Request: {e}"));
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| bad(&e))?;
        while let Some(field) = multipart.next_field().await.map_err(|e| bad(&e))? {
            let name = field.name().unwrap_or_default().to_string();
            if field.file_name().is_some() {
                let bytes = field.bytes().await.map_err(|e| bad(&e))?;
                if name == "photo" {
                    params.photo_file = Some(bytes.to_vec());
                }
            } else {
                let text = field.text().await.map_err(|e| bad(&e))?;
                params.fields.insert(name, text);
            }
        }
        return Ok(params);
    }
    let body = axum::body::to_bytes(request.into_body(), BODY_LIMIT)
        .await
        .map_err(|e| bad(&e))?;
    if content_type.starts_with("application/json") {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&body) else {
            return Err(fail(400, "Bad Request: can't parse JSON object"));
        };
        for (key, value) in map {
            let text = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            params.fields.insert(key, text);
        }
    } else if !body.is_empty() {
        params
            .fields
            .extend(form_urlencoded::parse(&body).into_owned());
    }
    Ok(params)
}

/// The text a reader sees once Telegram has parsed `text` as HTML, or why it cannot.
pub(super) fn parse_html(text: &str) -> Result<String, String> {
    let mut visible = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        visible.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            return Err(format!(
                "can't parse entities: Unclosed start tag at byte offset {}",
                text.len() - rest.len() + start
            ));
        };
        let name: String = after[..end]
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if !TAGS.contains(&name.as_str()) {
            return Err(format!(
                "can't parse entities: Unsupported start tag \"{name}\" at byte offset {}",
                text.len() - rest.len() + start
            ));
        }
        rest = &after[end + 1..];
    }
    visible.push_str(rest);
    Ok(visible
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&"))
}

/// The visible text and its length in UTF-16 units, with `parse_mode` applied.
pub(super) fn visible(text: &str, parse_mode: Option<&str>) -> Result<(String, usize), String> {
    let seen = match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        Some("html") => parse_html(text)?,
        _ => text.to_string(),
    };
    let n = seen.encode_utf16().count();
    Ok((seen, n))
}
