//! Campaign pages: list with filters, create and edit (officers), and the campaign page with
//! its targets, KPIs, posts and schedule. District staff see only campaigns targeting their unit.

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tera::Context;

use super::access::{Access, PLANNERS};
use super::form::{FormErrors, PER_PAGE, Pagination, pairs};
use super::session::Visitor;
use super::{AppState, Route};
use crate::app::Once;
use crate::app::campaigns::Planned;
use crate::campaigns::{CampaignInput, STATUSES, kpi_value};
use crate::error::{AppError, AppResult};
use crate::store::{CampaignFilter, KPIS, PostFilter};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/campaigns", Access::SignedIn, get(list)),
        Route::new(Method::GET, "/campaigns/new", PLANNERS, get(new_form)),
        Route::new(Method::POST, "/campaigns/new", PLANNERS, post(create)),
        Route::new(Method::GET, "/campaigns/{id}", Access::SignedIn, get(show)),
        Route::new(
            Method::GET,
            "/campaigns/{id}/edit",
            PLANNERS,
            get(edit_form),
        ),
        Route::new(Method::POST, "/campaigns/{id}/edit", PLANNERS, post(update)),
    ]
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    dimension: Option<String>,
    unit: Option<String>,
    status: Option<String>,
    date: Option<String>,
    page: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(100).collect())
}

async fn list(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let user = v.user()?;
    let scope = crate::app::scope::unit_scope(&state.store, user).await?;
    let filter = CampaignFilter {
        query: non_empty(&q.q),
        dimension: non_empty(&q.dimension),
        unit_code: non_empty(&q.unit),
        status: non_empty(&q.status).filter(|s| STATUSES.contains(&s.as_str())),
        date: non_empty(&q.date).filter(|d| crate::campaigns::parse_day("date", d).is_ok()),
    };
    let page = Pagination::requested(q.page.as_deref());
    let (campaigns, total) = state
        .store
        .list_campaigns(
            &filter,
            scope.as_ref().map(|s| s.code.as_str()),
            PER_PAGE,
            Pagination::offset(page),
        )
        .await?;
    let mut ctx = state.context(&v);
    ctx.insert("campaigns", &campaigns);
    ctx.insert("pagination", &Pagination::new(page, total, campaigns.len()));
    ctx.insert(
        "f",
        &serde_json::json!({
            "q": filter.query, "dimension": filter.dimension, "unit": filter.unit_code,
            "status": filter.status, "date": filter.date,
        }),
    );
    ctx.insert("query_string", &filter_query(&filter));
    ctx.insert("statuses", &STATUSES);
    ctx.insert("dimensions", &state.store.papi_dimensions().await?);
    ctx.insert("units", &reporting_units(&state).await?);
    Ok(state.page("campaigns/list.html", &ctx)?.into_response())
}

/// The filter as a query string prefix for pager links.
fn filter_query(f: &CampaignFilter) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", &f.query),
        ("dimension", &f.dimension),
        ("unit", &f.unit_code),
        ("status", &f.status),
        ("date", &f.date),
    ] {
        if let Some(v) = v {
            s.append_pair(k, v);
        }
    }
    s.finish()
}

/// (code, name) of the units campaigns can target: the active snapshot's reporting level.
pub async fn reporting_units(state: &AppState) -> AppResult<Vec<(String, String)>> {
    let snapshot = state.store.active_snapshot().await?;
    let level = state.store.reporting_level(&snapshot).await?;
    Ok(state
        .store
        .area_codes_at_level(&snapshot, level)
        .await?
        .into_iter()
        .map(|(_, code, name)| (code, name))
        .collect())
}

async fn form_page(
    state: &AppState,
    v: &Visitor,
    input: &CampaignInput,
    errors: &FormErrors,
    campaign: Option<(i64, i64)>,
) -> AppResult<Context> {
    let mut ctx = state.context(v);
    let units = reporting_units(state).await?;
    // One row per unit, with its KPI inputs, for the targets table.
    let rows: Vec<serde_json::Value> = units
        .iter()
        .map(|(code, name)| {
            let kpis: serde_json::Map<String, serde_json::Value> = KPIS
                .iter()
                .map(|k| (k.to_string(), input.kpi(code, k).into()))
                .collect();
            serde_json::json!({
                "code": code, "name": name, "checked": input.targets.iter().any(|t| t == code),
                "kpis": kpis,
            })
        })
        .collect();
    ctx.insert(
        "form",
        &serde_json::json!({
            "title": input.title, "objective": input.objective, "owner_code": input.owner_code,
            "status": input.status, "starts_on": input.starts_on, "ends_on": input.ends_on,
            "dimensions": input.dimensions,
        }),
    );
    ctx.insert("unit_rows", &rows);
    ctx.insert("kpis", &KPIS);
    ctx.insert("errors", errors);
    ctx.insert("statuses", &STATUSES);
    ctx.insert("departments", &state.store.departments().await?);
    ctx.insert("dimensions", &state.store.papi_dimensions().await?);
    if let Some((id, version)) = campaign {
        ctx.insert("campaign_id", &id);
        ctx.insert("version", &version);
    }
    Ok(ctx)
}

async fn new_form(State(state): State<AppState>, v: Visitor) -> AppResult<Response> {
    let input = CampaignInput {
        status: "planning".into(),
        owner_code: "vp-ubnd".into(),
        ..CampaignInput::default()
    };
    let ctx = form_page(&state, &v, &input, &FormErrors::default(), None).await?;
    Ok(state.page("campaigns/form.html", &ctx)?.into_response())
}

/// Creates a campaign (`app::campaigns::create`); a repeated form lands on the first one.
async fn create(
    State(state): State<AppState>,
    v: Visitor,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let pairs = pairs(&body);
    let input = CampaignInput::from_pairs(&pairs);
    let once = Once::from_field(
        pairs
            .iter()
            .find(|(k, _)| k == "once")
            .map_or("", |(_, v)| v.as_str()),
    );
    let list = match crate::app::campaigns::create(&state, &user, &input, &once).await {
        Ok(Planned::Created { campaign_id }) => {
            return Ok(Redirect::to(&format!("/campaigns/{campaign_id}")).into_response());
        }
        Ok(Planned::Repeat { location }) => return Ok(Redirect::to(&location).into_response()),
        Err(refused) => refused.into_errors()?,
    };
    let errors = state.form_errors(&v, &list);
    let ctx = form_page(&state, &v, &input, &errors, None).await?;
    Ok(state
        .page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "campaigns/form.html",
            &ctx,
        )?
        .into_response())
}

/// Loads a campaign the visitor may see: district staff get 404 for campaigns not targeting them.
pub async fn visible_campaign(
    state: &AppState,
    v: &Visitor,
    id: i64,
) -> AppResult<crate::store::Campaign> {
    crate::app::scope::visible_campaign(&state.store, v.user()?, id).await
}

async fn show(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let campaign = visible_campaign(&state, &v, id).await?;
    let user = v.user()?;
    let scope = crate::app::scope::unit_scope(&state.store, user).await?;
    let targets = state.store.campaign_targets(id).await?;
    let mut results = crate::reports::campaign::results(
        &state.store,
        &campaign,
        &targets,
        crate::reports::period::today(),
    )
    .await?;
    // District staff read their own unit's results; the others' targets stay visible.
    if let Some(s) = &scope {
        for r in results.iter_mut().filter(|r| r.code != s.code) {
            r.attainment = None;
            for k in &mut r.kpis {
                k.actual = None;
                k.pct = None;
            }
        }
    }
    let filter = PostFilter {
        campaign_id: Some(id),
        ..PostFilter::default()
    };
    let (posts, total_posts) = state
        .store
        .list_posts(&filter, scope.as_ref(), 200, 0)
        .await?;
    let mut ctx = state.context(&v);
    ctx.insert("campaign", &campaign);
    ctx.insert(
        "dimension_codes",
        &state.store.campaign_dimensions(id).await?,
    );
    ctx.insert("dimensions", &state.store.papi_dimensions().await?);
    ctx.insert("targets", &results);
    ctx.insert("kpis", &KPIS);
    ctx.insert("posts", &posts);
    ctx.insert("total_posts", &total_posts);
    // District staff see their own row only.
    let engagement: Vec<_> = state
        .store
        .campaign_engagement(id)
        .await?
        .into_iter()
        .filter(|e| {
            scope
                .as_ref()
                .is_none_or(|s| e.unit_code.as_deref() == Some(s.code.as_str()))
        })
        .collect();
    ctx.insert("engagement", &engagement);
    Ok(state.page("campaigns/show.html", &ctx)?.into_response())
}

async fn edit_form(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let c = state.store.campaign(id).await?;
    let targets = state.store.campaign_targets(id).await?;
    let mut input = CampaignInput {
        title: c.title,
        objective: c.objective,
        owner_code: c.owner_code,
        status: c.status,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        dimensions: state.store.campaign_dimensions(id).await?,
        targets: targets.iter().map(|t| t.code.clone()).collect(),
        ..CampaignInput::default()
    };
    for t in &targets {
        for k in KPIS {
            if let Some(n) = kpi_value(t, k) {
                input
                    .kpis
                    .insert((t.code.clone(), k.to_string()), n.to_string());
            }
        }
    }
    let ctx = form_page(
        &state,
        &v,
        &input,
        &FormErrors::default(),
        Some((id, c.version)),
    )
    .await?;
    Ok(state.page("campaigns/form.html", &ctx)?.into_response())
}

async fn update(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let pairs = pairs(&body);
    let version: i64 = pairs
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or(AppError::BadRequest("err_bad_request"))?;
    let input = CampaignInput::from_pairs(&pairs);
    let list = match crate::app::campaigns::update(&state, &user, id, version, &input).await {
        Ok(()) => return Ok(Redirect::to(&format!("/campaigns/{id}")).into_response()),
        Err(refused) => refused.into_errors()?,
    };
    let errors = state.form_errors(&v, &list);
    let ctx = form_page(&state, &v, &input, &errors, Some((id, version))).await?;
    let status = if list.iter().any(|e| e.key == "err_stale") {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(state
        .page_with_status(status, "campaigns/form.html", &ctx)?
        .into_response())
}
