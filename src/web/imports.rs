//! Bulk import of a campaign's posts from a CSV file: all rows or none, every problem listed
//! with its line and column. The page uploads with a progress bar (large files on slow links).

use std::collections::HashMap;

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{Method, StatusCode};
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

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/campaigns/{id}/import", PLANNERS, get(form)),
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
        }]),
        None => Err(vec![RowError {
            line: 0,
            column: String::new(),
            error: FieldError::new("file", "err_required"),
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
            ctx.insert("row_errors", &Vec::<serde_json::Value>::new());
            Ok(state.page("campaigns/import.html", &ctx)?.into_response())
        }
        Err(errors) => {
            let rows: Vec<serde_json::Value> = errors
                .iter()
                .map(|e| {
                    serde_json::json!({"line": e.line, "column": e.column,
                        "message": state.i18n.field_error(v.lang, &e.error)})
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
