//! Posting, reading, deleting and listing statuses; `verify_credentials`.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::ACCOUNT_ID;
use super::render::{account_json, base, status_json, weight};
use super::state::{App, Status, answer, error, finish};

/// The fields of a status request and its `media_ids`.
pub(super) type StatusRequest = (HashMap<String, String>, Vec<String>);

/// The fields of a status request: form (with repeated `media_ids[]`) or JSON.
pub(super) fn status_fields(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<StatusRequest, Box<Response>> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mut fields = HashMap::new();
    let mut media = Vec::new();
    if content_type.starts_with("application/json") {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return Err(Box::new(error(StatusCode::BAD_REQUEST, "Invalid JSON")));
        };
        for (key, value) in map {
            match (key.as_str(), value) {
                ("media_ids", Value::Array(ids)) => {
                    media.extend(ids.iter().filter_map(|v| v.as_str().map(str::to_string)));
                }
                (_, Value::String(s)) => {
                    fields.insert(key, s);
                }
                (_, other) => {
                    fields.insert(key, other.to_string());
                }
            }
        }
    } else {
        for (key, value) in form_urlencoded::parse(body) {
            if key == "media_ids[]" || key == "media_ids" {
                media.push(value.into_owned());
            } else {
                fields.insert(key.into_owned(), value.into_owned());
            }
        }
    }
    Ok((fields, media))
}

pub(super) async fn create_status(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (fault, limit) = match app.begin(&headers, true).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let base = base(&headers);
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| (ACCOUNT_ID.to_string(), k.to_string()));
    let (fields, media_ids) = match status_fields(&headers, &body) {
        Ok(v) => v,
        Err(response) => return *response,
    };
    let unprocessable = |m: &str| limit.apply(error(StatusCode::UNPROCESSABLE_ENTITY, m));
    let response = {
        let mut inner = app.lock();
        let ttl = app.opts.idempotency_ttl;
        inner.keys.retain(|_, (_, at)| at.elapsed() < ttl);
        let original = key
            .as_ref()
            .and_then(|k| inner.keys.get(k))
            .and_then(|(id, _)| inner.statuses.get(id));
        if let Some(original) = original {
            // The original status, not a new one: the key did its job.
            axum::Json(status_json(original, &base)).into_response()
        } else {
            let text = fields.get("status").cloned().unwrap_or_default();
            let visibility = fields
                .get("visibility")
                .cloned()
                .unwrap_or_else(|| "public".into());
            let mut media = Vec::new();
            for id in &media_ids {
                match inner.media.get(id) {
                    Some(m) => media.push(m.clone()),
                    None => return unprocessable("Validation failed: Media ids are invalid"),
                }
            }
            if text.trim().is_empty() && media.is_empty() {
                return unprocessable("Validation failed: Text can't be blank");
            }
            if weight(&text) > app.opts.max_chars {
                return unprocessable(&format!(
                    "Validation failed: Text character limit of {} exceeded",
                    app.opts.max_chars
                ));
            }
            if !["public", "unlisted", "private", "direct"].contains(&visibility.as_str()) {
                return unprocessable("Validation failed: Visibility is invalid");
            }
            let id = inner.next_id();
            let status = Status {
                id,
                text: text.clone(),
                created_at: OffsetDateTime::now_utc(),
                visibility,
                language: fields.get("language").cloned(),
                media,
                saved: Instant::now(),
            };
            let json = status_json(&status, &base);
            inner.statuses.insert(id, status);
            if let Some(key) = key {
                inner.keys.insert(key, (id, Instant::now()));
            }
            drop(inner);
            app.sim.created(&text);
            axum::Json(json).into_response()
        }
    };
    finish(&app, fault, limit, response).await
}

pub(super) async fn get_status(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    answer(&app, &headers, true, |inner| {
        match id.parse().ok().and_then(|id: u64| inner.statuses.get(&id)) {
            Some(status) => axum::Json(status_json(status, &base(&headers))).into_response(),
            None => error(StatusCode::NOT_FOUND, "Record not found"),
        }
    })
    .await
}

pub(super) async fn delete_status(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    answer(&app, &headers, true, |inner| {
        match id
            .parse()
            .ok()
            .and_then(|id: u64| inner.statuses.remove(&id))
        {
            // Mastodon answers the deleted status with its source text.
            Some(status) => {
                let mut json = status_json(&status, &base(&headers));
                json["text"] = json!(status.text);
                axum::Json(json).into_response()
            }
            None => error(StatusCode::NOT_FOUND, "Record not found"),
        }
    })
    .await
}

pub(super) async fn verify_credentials(State(app): State<App>, headers: HeaderMap) -> Response {
    answer(&app, &headers, false, |inner| {
        let mut account = account_json(&base(&headers));
        account["statuses_count"] = json!(inner.statuses.len());
        axum::Json(account).into_response()
    })
    .await
}

pub(super) async fn account_statuses(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let (fault, limit) = match app.begin(&headers, true).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    if id != ACCOUNT_ID {
        return limit.apply(error(StatusCode::NOT_FOUND, "Record not found"));
    }
    let page = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 40);
    let max_id = query
        .get("max_id")
        .and_then(|m| m.parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    let base = base(&headers);
    let statuses: Vec<Value> = app
        .lock()
        .statuses
        .range(..max_id)
        .rev()
        .filter(|(_, s)| app.sim.listed(s.saved))
        .take(page)
        .map(|(_, s)| status_json(s, &base))
        .collect();
    finish(&app, fault, limit, axum::Json(statuses).into_response()).await
}
