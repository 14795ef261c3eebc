//! Browsing Hanoi's units in the active snapshot. City roles see the whole map; district staff
//! see their unit and the units under it, and nothing else: another unit's page answers 404,
//! as if it did not exist.

use axum::extract::{Path, Query, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::access::Access;
use super::form::Pagination;
use super::session::Visitor;
use super::{AppState, Route};
use crate::error::{AppError, AppResult};
use crate::store::{AreaFilter, Scope, StoreError};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/areas", Access::SignedIn, get(list)),
        Route::new(Method::GET, "/areas/{code}", Access::SignedIn, get(show)),
    ]
}

#[derive(Deserialize, Default)]
struct ListQuery {
    level: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let user = v.user()?;
    let snapshot = state.store.active_snapshot().await?;
    let scope = crate::app::scope::scope_of(&state.store, user).await?;
    let reporting_level = state.store.reporting_level(&snapshot).await?;
    let has_districts = reporting_level == "district";
    // City roles start from the level the city reports by; a district sees its own tree.
    let default_level = matches!(scope, Scope::City).then_some(reporting_level);
    let level = match q.level.as_deref() {
        Some("all") => None,
        Some(l @ ("province" | "district" | "commune")) => Some(l),
        _ => default_level,
    };
    let query =
        q.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(100).collect::<String>());
    let filter = AreaFilter {
        level: level.map(String::from),
        parent_code: None,
        query: query.clone(),
    };
    let page = Pagination::requested(q.page.as_deref());
    let (areas, total) = state
        .store
        .list_areas(
            &snapshot,
            &scope,
            &filter,
            super::form::PER_PAGE,
            Pagination::offset(page),
        )
        .await?;
    let mut ctx = state.context(&v);
    ctx.insert("snapshot", &snapshot);
    ctx.insert("areas", &areas);
    ctx.insert("level", &level.unwrap_or("all"));
    ctx.insert("has_districts", &has_districts);
    ctx.insert("q", &query.unwrap_or_default());
    ctx.insert("pagination", &Pagination::new(page, total, areas.len()));
    ctx.insert("scope_is_unit", &!matches!(scope, Scope::City));
    Ok(state.page("areas/index.html", &ctx)?.into_response())
}

async fn show(
    State(state): State<AppState>,
    v: Visitor,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let user = v.user()?;
    let snapshot = state.store.active_snapshot().await?;
    let scope = crate::app::scope::scope_of(&state.store, user).await?;
    let area = match state.store.area_by_code(&snapshot, code.trim()).await {
        Ok(a) if scope.allows(&a) => a,
        Ok(_) | Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let filter = AreaFilter {
        parent_code: Some(area.code.clone()),
        ..AreaFilter::default()
    };
    let (children, _) = state
        .store
        .list_areas(&snapshot, &scope, &filter, 1000, 0)
        .await?;
    let parent = match &area.parent_code {
        Some(p) => state
            .store
            .area_by_code(&snapshot, p)
            .await
            .ok()
            .filter(|a| scope.allows(a)),
        None => None,
    };
    let conversion = if area.level == "province" {
        Vec::new()
    } else {
        state.store.conversion_for(&area.code).await?
    };
    let mut ctx = state.context(&v);
    ctx.insert("area", &area);
    ctx.insert("parent", &parent);
    ctx.insert("children", &children);
    ctx.insert("conversion", &conversion);
    ctx.insert("snapshot", &snapshot);
    Ok(state.page("areas/show.html", &ctx)?.into_response())
}
