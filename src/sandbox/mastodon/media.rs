//! Media uploads: 200 for an image, 202 for anything else (processed by the next read).

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::render::base;
use super::state::{App, answer, error, finish};

pub(super) async fn upload(
    State(app): State<App>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let (fault, limit) = match app.begin(&headers, true).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let unprocessable = |m: &str| limit.apply(error(StatusCode::UNPROCESSABLE_ENTITY, m));
    let Ok(mut multipart) = Multipart::from_request(request, &()).await else {
        return unprocessable("Validation failed: File can't be blank");
    };
    let mut file: Option<(String, usize)> = None;
    let mut description = String::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name().unwrap_or_default() {
            "file" => {
                let mime = field.content_type().unwrap_or_default().to_string();
                let size = field.bytes().await.map(|b| b.len()).unwrap_or(0);
                file = Some((mime, size));
            }
            "description" => description = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    let Some((mime, size)) = file.filter(|(_, size)| *size > 0) else {
        return unprocessable("Validation failed: File can't be blank");
    };
    if description.chars().count() > 1500 {
        return unprocessable("Validation failed: Description is too long (maximum is 1500)");
    }
    let base = base(&headers);
    let image = mime.starts_with("image/");
    let response = {
        let mut inner = app.lock();
        let id = inner.next_id().to_string();
        let url = format!("{base}/system/media_attachments/{id}/original");
        let attachment = json!({
            "id": id,
            "type": if image { "image" } else { "unknown" },
            "url": url,
            "preview_url": url,
            "description": description,
            "meta": {"original": {"size": size}},
        });
        inner.media.insert(id, attachment.clone());
        let mut answer = attachment;
        if image {
            axum::Json(answer).into_response()
        } else {
            answer["url"] = Value::Null;
            (StatusCode::ACCEPTED, axum::Json(answer)).into_response()
        }
    };
    finish(&app, fault, limit, response).await
}

pub(super) async fn get_media(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    answer(&app, &headers, false, |inner| match inner.media.get(&id) {
        Some(media) => axum::Json(media.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "Record not found"),
    })
    .await
}
