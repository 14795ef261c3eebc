//! The media library: upload an image (checked from its bytes, stripped of metadata), give it
//! alt text and a focal point, and get its channel variants. District staff see and use their
//! unit's images and the city's.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, RawForm, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::access::{AUTHORS, Access};
use super::form::NoticeQuery;
use super::form::pairs;
use super::form::{FormErrors, Pagination};
use super::media_save::{discard, render_and_store, save_upload};
use super::session::Visitor;
use super::{AppState, Route};
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::media::{Focal, MediaLimits, VariantKind};
use crate::store::{MediaItem, NewMedia, User};

/// The multipart body may exceed the image limit by the form's other fields.
const UPLOAD_BODY_LIMIT: usize = 21 * 1024 * 1024;
const PER_PAGE: i64 = 48;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/media", Access::SignedIn, get(list)),
        Route::new(
            Method::POST,
            "/media",
            AUTHORS,
            post(upload).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        ),
        Route::new(Method::GET, "/media/{id}", Access::SignedIn, get(show)),
        Route::new(Method::POST, "/media/{id}", AUTHORS, post(update)),
        Route::new(
            Method::GET,
            "/media/{id}/file/{kind}",
            Access::SignedIn,
            get(file),
        ),
        // Channels that fetch images themselves (a Zalo cover) need a URL without a session.
        // The key is the SHA-256 of the bytes: it cannot be guessed without having the image.
        Route::new(Method::GET, "/m/{file}", Access::Public, get(public_blob)),
    ]
}

fn unit_filter(user: &User) -> Option<i64> {
    (user.role == Role::District).then(|| user.unit_id.unwrap_or(-1))
}

async fn visible(state: &AppState, user: &User, id: i64) -> AppResult<MediaItem> {
    let m = state.store.media(id).await?;
    match unit_filter(user) {
        Some(unit) if m.unit_id.is_some() && m.unit_id != Some(unit) => Err(AppError::NotFound),
        _ => Ok(m),
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    page: Option<String>,
    notice: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let ctx = list_context(&state, &v, q.page.as_deref(), &FormErrors::default(), "").await?;
    let mut ctx = ctx;
    if let Some(key) = (NoticeQuery { notice: q.notice }).key() {
        ctx.insert("notice", state.i18n.text(v.lang, key));
    }
    Ok(state.page("media/list.html", &ctx)?.into_response())
}

async fn list_context(
    state: &AppState,
    v: &Visitor,
    page: Option<&str>,
    errors: &FormErrors,
    alt_text: &str,
) -> AppResult<tera::Context> {
    let user = v.user()?;
    let page = Pagination::requested(page);
    let (items, total) = state
        .store
        .list_media(unit_filter(user), PER_PAGE, (page - 1) * PER_PAGE)
        .await?;
    let mut ctx = state.context(v);
    ctx.insert("items", &items);
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    ctx.insert(
        "pagination",
        &serde_json::json!({"page": page, "pages": pages, "total": total,
        "prev": (page > 1).then_some(page - 1), "next": (page < pages).then_some(page + 1)}),
    );
    ctx.insert("errors", errors);
    ctx.insert("alt_text", alt_text);
    ctx.insert(
        "max_mb",
        &(MediaLimits::default().max_bytes / (1024 * 1024)),
    );
    Ok(ctx)
}

async fn upload(
    State(state): State<AppState>,
    v: Visitor,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let mut file: Option<(String, Bytes)> = None;
    let (mut alt, mut fx, mut fy) = (String::new(), String::from("0.5"), String::from("0.5"));
    let mut errors: Vec<FieldError> = Vec::new();
    let mut once = String::new();
    // Set when the rest of the body is left unread; the connection then cannot carry another
    // request, and the answer says so.
    let mut unread = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // Past the body limit or a broken form: say so rather than fail the page.
            Err(_) => {
                let max = MediaLimits::default().max_bytes / (1024 * 1024);
                errors.push(FieldError::new("file", "err_media_too_large").arg("max_mb", max));
                unread = true;
                break;
            }
        };
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                let filename = field.file_name().unwrap_or("").chars().take(200).collect();
                match field.bytes().await {
                    Ok(b) => file = Some((filename, b)),
                    Err(_) => {
                        let max = MediaLimits::default().max_bytes / (1024 * 1024);
                        errors.push(
                            FieldError::new("file", "err_media_too_large").arg("max_mb", max),
                        );
                        unread = true;
                        break;
                    }
                }
            }
            "alt_text" => alt = super::input::text_field(field).await?,
            "once" => once = super::input::text_field(field).await?,
            "focal_x" => fx = super::input::text_field(field).await?,
            "focal_y" => fy = super::input::text_field(field).await?,
            _ => {}
        }
    }
    let alt = alt.trim().to_string();
    if alt.chars().count() > 500 {
        errors.push(
            FieldError::new("alt_text", "err_too_long")
                .arg("max", 500)
                .arg("len", alt.chars().count()),
        );
    }
    let focal = Focal::parse(&fx, &fy).map_err(|e| errors.push(e)).ok();
    let ingested = match file {
        Some((_, ref b)) if b.is_empty() => {
            errors.push(FieldError::new("file", "err_required"));
            None
        }
        Some((_, ref bytes)) if errors.is_empty() => {
            let bytes = bytes.clone();
            let r = tokio::task::spawn_blocking(move || {
                crate::media::ingest(&bytes, &MediaLimits::default())
            })
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
            r.map_err(|e| errors.push(e)).ok()
        }
        // Only when nothing else was said about the file: a body cut off at the size limit
        // has no file either, and "required" next to "larger than 20 MB" is wrong.
        None if !errors.iter().any(|e| e.field == "file") => {
            errors.push(FieldError::new("file", "err_required"));
            None
        }
        _ => None,
    };
    let (Some(ing), Some(focal), true) = (ingested, focal, errors.is_empty()) else {
        let form_errors = state.form_errors(&v, &errors);
        let ctx = list_context(&state, &v, None, &form_errors, &alt).await?;
        let mut page = state
            .page_with_status(StatusCode::UNPROCESSABLE_ENTITY, "media/list.html", &ctx)?
            .into_response();
        if unread {
            // Without this a client may send its next request on a connection the server is
            // closing, and see it fail (measured as a flaky upload test).
            page.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        return Ok(page);
    };
    let (name, _) = file.unwrap_or_default();
    let new = NewMedia {
        sha256: &ing.sha256,
        unit_id: if user.role == Role::District {
            user.unit_id
        } else {
            None
        },
        uploaded_by: user.user_id,
        original_name: &name,
        format: ing.format.as_str(),
        width: ing.width as i64,
        height: ing.height as i64,
        byte_size: ing.bytes.len() as i64,
        alt_text: &alt,
        focal: (focal.x as f64, focal.y as f64),
    };
    let once = crate::app::Once::from_field(&once);
    match save_upload(&state, new, &ing.bytes, focal, once.0.as_deref()).await? {
        Ok(id) => Ok(Redirect::to(&format!("/media/{id}?notice=media_saved")).into_response()),
        // The same form again (a double click): where the first upload led.
        Err(location) => Ok(Redirect::to(&location).into_response()),
    }
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    notice: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let user = v.user()?;
    let item = visible(&state, user, id).await?;
    let mut ctx = state.context(&v);
    ctx.insert("item", &item);
    ctx.insert("variants", &state.store.media_variants(id).await?);
    ctx.insert("errors", &FormErrors::default());
    ctx.insert(
        "can_edit",
        &(!user.role.is_read_only()
            && (user.role != Role::District || item.unit_id == user.unit_id)),
    );
    if let Some(key) = (NoticeQuery { notice: q.notice }).key() {
        ctx.insert("notice", state.i18n.text(v.lang, key));
    }
    Ok(state.page("media/show.html", &ctx)?.into_response())
}

async fn update(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let item = visible(&state, &user, id).await?;
    if user.role == Role::District && item.unit_id != user.unit_id {
        return Err(AppError::Forbidden);
    }
    let pairs = pairs(&body);
    let field = |n: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let alt = field("alt_text");
    let mut errors = Vec::new();
    if alt.chars().count() > 500 {
        errors.push(
            FieldError::new("alt_text", "err_too_long")
                .arg("max", 500)
                .arg("len", alt.chars().count()),
        );
    }
    let focal = Focal::parse(&field("focal_x"), &field("focal_y"))
        .map_err(|e| errors.push(e))
        .ok();
    if let (Some(focal), true) = (focal, errors.is_empty()) {
        let moved = (focal.x as f64 - item.focal_x).abs() > 1e-6
            || (focal.y as f64 - item.focal_y).abs() > 1e-6;
        let mut written = Vec::new();
        let saved = async {
            let variants = if moved {
                let master = state
                    .blobs
                    .get(&item.sha256)
                    .await?
                    .ok_or(AppError::NotFound)?;
                Some(render_and_store(&state, master, focal, &mut written).await?)
            } else {
                None
            };
            state
                .store
                .update_media(
                    id,
                    &alt,
                    (focal.x as f64, focal.y as f64),
                    variants.as_deref(),
                )
                .await?;
            Ok::<_, AppError>(())
        }
        .await;
        if let Err(e) = saved {
            discard(&state, &written).await;
            return Err(e);
        }
        return Ok(Redirect::to(&format!("/media/{id}?notice=media_saved")).into_response());
    }
    let form_errors = state.form_errors(&v, &errors);
    let mut ctx = state.context(&v);
    ctx.insert("item", &item);
    ctx.insert("variants", &state.store.media_variants(id).await?);
    ctx.insert("errors", &form_errors);
    ctx.insert("can_edit", &true);
    Ok(state
        .page_with_status(StatusCode::UNPROCESSABLE_ENTITY, "media/show.html", &ctx)?
        .into_response())
}

/// The bytes of the master (`original`) or one variant. Short cache: moving the focal point
/// replaces the variants behind the same URL.
async fn file(
    State(state): State<AppState>,
    v: Visitor,
    Path((id, kind)): Path<(i64, String)>,
) -> AppResult<Response> {
    let user = v.user()?;
    let item = visible(&state, user, id).await?;
    let (key, mime) = if kind == "original" {
        let mime = match item.format.as_str() {
            "png" => "image/png",
            "webp" => "image/webp",
            _ => "image/jpeg",
        };
        (item.sha256.clone(), mime)
    } else {
        VariantKind::parse(&kind).ok_or(AppError::NotFound)?;
        let rows = state.store.media_variants(id).await?;
        let row = rows
            .into_iter()
            .find(|r| r.kind == kind)
            .ok_or(AppError::NotFound)?;
        (row.blob_key, "image/jpeg")
    };
    let bytes = state.blobs.get(&key).await?.ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "private, max-age=60"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}

async fn public_blob(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> AppResult<Response> {
    let key = file.strip_suffix(".jpg").unwrap_or(&file);
    if key.len() != 64
        || !key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(AppError::NotFound);
    }
    let bytes = state.blobs.get(key).await?.ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, image_type(&bytes)),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}

/// The type of a stored image from its first bytes: masters are JPEG, PNG or WebP (ingest
/// keeps the format), variants are JPEG.
fn image_type(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else {
        "image/jpeg"
    }
}
