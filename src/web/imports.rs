//! Bulk import of a campaign's posts from a CSV file: all rows or none, every problem listed
//! with its line and column. The page uploads with a progress bar (large files on slow links).

use std::collections::HashMap;

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::access::PLANNERS;
use super::session::Visitor;
use super::{AppState, Route};
use crate::domain::FieldError;
use crate::error::AppResult;
use crate::posts::import::{ImportContext, RowError, parse};

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

async fn import(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let campaign = state.store.campaign(id).await?;
    let mut bytes = None;
    let mut schedule = false;
    let mut too_large = false;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("file") => match field.bytes().await {
                    Ok(b) => bytes = Some(b),
                    Err(_) => too_large = true,
                },
                Some("schedule") => schedule = field.text().await.is_ok_and(|t| t == "1"),
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                too_large = true;
                break;
            }
        }
    }
    let result = match bytes {
        _ if too_large => Err(vec![RowError {
            line: 0,
            column: String::new(),
            error: FieldError::new("file", "err_csv_too_large")
                .arg("max_mb", CSV_LIMIT / (1024 * 1024)),
            channel: None,
        }]),
        None => Err(vec![RowError {
            line: 0,
            column: String::new(),
            error: FieldError::new("file", "err_required"),
            channel: None,
        }]),
        Some(b) => {
            let units: HashMap<String, i64> = state
                .store
                .campaign_targets(id)
                .await?
                .into_iter()
                .map(|t| (t.code, t.area_id))
                .collect();
            let media = state
                .store
                .list_media(None, 10_000, 0)
                .await?
                .0
                .into_iter()
                .rev()
                .map(|m| (m.original_name.clone(), m))
                .collect();
            let ctx = ImportContext {
                campaign: &campaign,
                units,
                media,
                now: crate::clock::now_ms(),
                schedule,
            };
            parse(&b, &ctx)
        }
    };
    let mut ctx = state.context(&v);
    ctx.insert("campaign", &campaign);
    match result {
        Ok(records) => {
            let status = if schedule { "scheduled" } else { "draft" };
            let ids = state
                .store
                .create_posts(id, user.user_id, status, &records)
                .await?;
            state
                .store
                .audit(
                    Some(user.user_id),
                    "campaign.import",
                    &format!("campaign:{id}"),
                    &format!("{} posts, {status}", ids.len()),
                )
                .await?;
            ctx.insert("imported", &ids.len());
            let list: Vec<serde_json::Value> = ids
                .iter()
                .zip(&records)
                .take(SHOWN)
                .map(|(id, r)| serde_json::json!({"post_id": id, "title": r.title, "at": r.scheduled_at}))
                .collect();
            ctx.insert("imported_posts", &list);
            ctx.insert("imported_status", status);
            ctx.insert("row_errors", &Vec::<serde_json::Value>::new());
            Ok(state.page("campaigns/import.html", &ctx)?.into_response())
        }
        Err(errors) => {
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
    }
}
