//! Media uploads (raw bytes with `Content-Disposition`) and alt text.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{cannot, not_found_post, not_logged_in, wp_error};
use super::state::{App, Media, media_json};
use crate::sandbox::host;

pub(super) async fn upload_media(
    State(app): State<App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let anonymous = cannot(
        StatusCode::UNAUTHORIZED,
        "create",
        "upload media as this user",
    );
    app.for_user(&headers, anonymous, async {
        if body.is_empty() {
            return wp_error(
                StatusCode::BAD_REQUEST,
                "rest_upload_no_data",
                "No data supplied.",
            );
        }
        let disposition = headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let Some(file_name) = disposition
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("filename="))
            .map(|f| f.trim_matches('"').to_string())
            .find(|f| !f.is_empty())
        else {
            return wp_error(
                StatusCode::BAD_REQUEST,
                "rest_upload_no_content_disposition",
                "No Content-Disposition supplied.",
            );
        };
        let mime = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !mime.starts_with("image/") {
            return wp_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "rest_upload_sideload_error",
                "Sorry, you are not allowed to upload this file type.",
            );
        }
        let mut site = app.lock();
        let id = site.next();
        let source_url = format!(
            "http://{}/wp-content/uploads/2025/05/{}",
            host(&headers),
            file_name
        );
        site.media.insert(
            id,
            Media {
                source_url: source_url.clone(),
                mime: mime.clone(),
                alt_text: String::new(),
                bytes: body.len(),
            },
        );
        (
            StatusCode::CREATED,
            Json(json!({
                "id": id, "source_url": source_url, "media_type": "image",
                "mime_type": mime, "alt_text": "",
                "media_details": {"filesize": body.len()},
            })),
        )
            .into_response()
    })
    .await
}

pub(super) async fn update_media(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    app.for_user(&headers, not_logged_in(), async {
        let update: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let mut site = app.lock();
        let Some(id) = id.parse::<i64>().ok() else {
            return not_found_post();
        };
        let Some(m) = site.media.get_mut(&id) else {
            return not_found_post();
        };
        if let Some(alt) = update["alt_text"].as_str() {
            m.alt_text = alt.to_string();
        }
        Json(media_json(id, m)).into_response()
    })
    .await
}

pub(super) async fn get_media(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    app.for_anyone(&headers, async |_| {
        let site = app.lock();
        match id
            .parse::<i64>()
            .ok()
            .and_then(|id| Some((id, site.media.get(&id)?)))
        {
            Some((id, m)) => Json(media_json(id, m)).into_response(),
            None => not_found_post(),
        }
    })
    .await
}
