//! Bulk import of a campaign's posts from a CSV file: all rows or none, every problem listed
//! with its line and column. The page uploads with a progress bar (large files on slow links).

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use super::access::PLANNERS;
use super::session::Visitor;
use super::{AppState, Route};
use crate::app::Once;
use crate::app::imports::{ImportInput, ImportRefused, Imported, Upload};
use crate::error::{AppError, AppResult};
use crate::posts::import::RowError;

/// 10,000 rows of long Vietnamese posts fit in well under this.
const CSV_LIMIT: usize = 16 * 1024 * 1024;

/// Imported posts listed after a good import (the campaign page has them all).
const SHOWN: usize = 100;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/campaigns/{id}/import", PLANNERS, get(form)),
        Route::new(
            Method::GET,
            "/campaigns/{id}/import/mau-nhap-bai.csv",
            PLANNERS,
            get(sample),
        ),
        Route::new(
            Method::GET,
            "/campaigns/{id}/imports/{import_id}",
            PLANNERS,
            get(result),
        ),
        Route::new(
            Method::POST,
            "/campaigns/{id}/import",
            PLANNERS,
            axum::routing::post(import).layer(DefaultBodyLimit::max(CSV_LIMIT + 64 * 1024)),
        ),
    ]
}

async fn form(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let campaign = state.store.campaign(id).await?;
    let mut ctx = state.context(&v);
    ctx.insert("campaign", &campaign);
    ctx.insert("row_errors", &Vec::<serde_json::Value>::new());
    Ok(state.page("campaigns/import.html", &ctx)?.into_response())
}

/// A sample file to start from: UTF-8 with a byte-order mark (so Excel reads Vietnamese
/// right), Vietnamese headers, two rows valid for this campaign (its first target unit, times
/// inside its days).
async fn sample(State(state): State<AppState>, Path(id): Path<i64>) -> AppResult<Response> {
    let campaign = state.store.campaign(id).await?;
    let unit = state
        .store
        .campaign_targets(id)
        .await?
        .first()
        .map(|t| t.code.clone())
        .unwrap_or_default();
    let day = crate::posts::import::sample_day(&campaign, crate::clock::now_ms());
    let mut out = vec![0xEF, 0xBB, 0xBF];
    out.extend_from_slice(
        format!(
            "tieu_de,noi_dung,kenh,link,hashtags,lich,don_vi,anh\r\n\
             \"Công khai dự toán ngân sách phường\",\"Dự toán năm nay được niêm yết tại trụ sở UBND phường.\n\
             Người dân góp ý qua đường dây nóng.\",facebook;portal,https://hanoi.gov.vn/papi,#PAPI #MinhBach,{day} 08:00,{unit},\r\n\
             \"Lịch tiếp công dân tháng này\",\"Chủ tịch UBND tiếp công dân sáng thứ Năm hằng tuần.\",facebook;telegram,,#PAPI,,,\r\n"
        )
        .as_bytes(),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"mau-nhap-bai.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

/// Parses the upload, imports (`app::imports::run`) and redirects to the result (a repeat of
/// the same form lands on the first result), or lists every problem.
async fn import(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let mut upload = Upload::Missing;
    let mut schedule = false;
    let mut once = Once::default();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("file") => match field.bytes().await {
                    Ok(b) => upload = Upload::File(b.to_vec()),
                    Err(_) => {
                        upload = Upload::TooLarge {
                            max_bytes: CSV_LIMIT,
                        }
                    }
                },
                Some("schedule") => schedule = field.text().await.is_ok_and(|t| t == "1"),
                Some("once") => once = Once::from_field(&field.text().await.unwrap_or_default()),
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                upload = Upload::TooLarge {
                    max_bytes: CSV_LIMIT,
                };
                break;
            }
        }
    }
    let input = ImportInput {
        campaign_id: id,
        upload,
        schedule,
        once,
    };
    let errors = match crate::app::imports::run(&state, &user, &input).await {
        Ok(Imported::Created { import_id, .. }) => {
            let to = crate::app::imports::location(id, import_id);
            return Ok(Redirect::to(&to).into_response());
        }
        Ok(Imported::Repeat { location }) => return Ok(Redirect::to(&location).into_response()),
        Err(ImportRefused::Rows(errors)) => errors,
        Err(ImportRefused::Other(refused)) => {
            let errors = refused.into_errors()?;
            errors
                .into_iter()
                .map(|error| RowError {
                    line: 0,
                    column: String::new(),
                    error,
                    channel: None,
                })
                .collect()
        }
    };
    let campaign = state.store.campaign(id).await?;
    let mut ctx = state.context(&v);
    ctx.insert("campaign", &campaign);
    let rows: Vec<serde_json::Value> = errors
        .iter()
        .map(|e| {
            let mut message = state.i18n.field_error(v.lang, &e.error);
            if let Some(ch) = &e.channel {
                let key = format!("channel_{ch}");
                message = format!("{}: {message}", state.i18n.text(v.lang, &key));
            }
            serde_json::json!({"line": e.line, "column": e.column, "message": message})
        })
        .collect();
    ctx.insert("row_errors", &rows);
    Ok(state
        .page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "campaigns/import.html",
            &ctx,
        )?
        .into_response())
}

/// An import's result: how many posts, as what, the first of them listed with their links.
async fn result(
    State(state): State<AppState>,
    v: Visitor,
    Path((id, import_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let done = state.store.post_import(import_id).await?;
    if done.campaign_id != id {
        return Err(AppError::NotFound);
    }
    let campaign = state.store.campaign(id).await?;
    let ids: Vec<i64> = serde_json::from_str(&done.post_ids)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("import {import_id}: {e}")))?;
    let mut list = Vec::new();
    for post_id in ids.iter().take(SHOWN) {
        let p = state.store.post(*post_id).await?;
        list.push(
            serde_json::json!({"post_id": p.post_id, "title": p.title, "at": p.scheduled_at}),
        );
    }
    let mut ctx = state.context(&v);
    ctx.insert("campaign", &campaign);
    ctx.insert("imported", &ids.len());
    ctx.insert("imported_posts", &list);
    ctx.insert("imported_status", &done.status);
    ctx.insert("row_errors", &Vec::<serde_json::Value>::new());
    Ok(state.page("campaigns/import.html", &ctx)?.into_response())
}
