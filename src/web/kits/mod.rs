//! District share kits, the city's side: make a kit from an approved city post, follow every
//! target unit in the cascade view (managers read it, change nothing), remind late units,
//! withdraw a kit, and choose the units trusted to publish adapted kits without review.
//! The units' side (open, adapt, share, decline) is in `share`; their local fields in `units`.

mod share;

mod units;

use axum::extract::{Path, RawForm, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::access::{Access, PLANNERS};
use super::form::pairs;
use super::session::Visitor;
use super::{AppState, Route};
use crate::app::Once;
use crate::app::kit_offer::{self, KitInput, Offered};
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::store::Post;

/// The city's readers of kits: planners, and managers who read everything.
pub const CITY_READERS: Access = Access::Roles(&[Role::Admin, Role::Officer, Role::Manager]);
/// Staff bound to a unit: they adapt, share or decline their unit's kits.
pub const UNIT_STAFF: Access = Access::Roles(&[Role::District]);

pub fn routes() -> Vec<Route> {
    let mut r = vec![
        Route::new(Method::GET, "/kits", CITY_READERS, get(list)),
        Route::new(Method::POST, "/kits/trusted", PLANNERS, post(save_trusted)),
        Route::new(Method::GET, "/posts/{id}/kit", PLANNERS, get(new_form)),
        Route::new(Method::POST, "/posts/{id}/kit", PLANNERS, post(create)),
        Route::new(Method::GET, "/kits/{id}", CITY_READERS, get(cascade)),
        Route::new(
            Method::POST,
            "/kits/{id}/withdraw",
            PLANNERS,
            post(withdraw),
        ),
        Route::new(Method::POST, "/kits/{id}/remind", PLANNERS, post(remind)),
    ];
    r.extend(share::routes());
    r.extend(units::routes());
    r
}

async fn list(State(state): State<AppState>, v: Visitor) -> AppResult<Response> {
    let kits = state.store.list_kits().await?;
    let now = crate::clock::now_ms();
    let mut rows = Vec::new();
    for kit in &kits {
        let targets = state.store.kit_targets(kit.kit_id).await?;
        let mut counts = std::collections::BTreeMap::<&str, i64>::new();
        let mut shared = 0;
        for t in &targets {
            let st = crate::kits::unit_state(kit, t, now);
            shared += i64::from(crate::states::KitUnitState::SHARED.contains(&st));
            *counts.entry(st.as_str()).or_default() += 1;
        }
        rows.push(
            serde_json::json!({"kit": kit, "targets": targets.len(), "counts": counts,
            "shared": shared}),
        );
    }
    let snapshot = state.store.active_snapshot().await?;
    let level = state.store.reporting_level(&snapshot).await?;
    let units = state
        .store
        .list_areas(
            &snapshot,
            &crate::store::Scope::City,
            &crate::store::AreaFilter {
                level: Some(level.to_string()),
                ..Default::default()
            },
            500,
            0,
        )
        .await?
        .0;
    let mut ctx = state.context(&v);
    ctx.insert("rows", &rows);
    ctx.insert("units", &units);
    ctx.insert("trusted", &state.store.trusted_units().await?);
    Ok(state.page("kits/list.html", &ctx)?.into_response())
}

async fn save_trusted(
    State(state): State<AppState>,
    v: Visitor,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?;
    let mut ids: Vec<i64> = pairs(&body)
        .into_iter()
        .filter(|(k, _)| k == "unit")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let detail = format!("{ids:?}");
    let audit = crate::store::Effects::audited(Some(user.user_id), "kits.trusted", "kits", &detail);
    state.store.set_trusted_units(&ids, &audit).await?;
    Ok(Redirect::to("/kits?notice=settings_saved").into_response())
}

/// The city post a kit is made from: approved or further, and the city's own.
async fn source_post(state: &AppState, id: i64) -> AppResult<Post> {
    kit_offer::source_post(&state.store, id).await
}

async fn kit_form(
    state: &AppState,
    v: &Visitor,
    post: &Post,
    form: &serde_json::Value,
    errors: &[FieldError],
) -> AppResult<tera::Context> {
    let mut ctx = state.context(v);
    ctx.insert("post", post);
    ctx.insert(
        "targets",
        &state.store.campaign_targets(post.campaign_id).await?,
    );
    ctx.insert("form", form);
    ctx.insert("eligible", &kit_offer::KIT_SOURCES.contains(&post.status));
    ctx.insert("fields", &crate::kits::ALIASES);
    ctx.insert("errors", &state.form_errors(v, errors));
    Ok(ctx)
}

async fn new_form(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let post = source_post(&state, id).await?;
    let targets = state.store.campaign_targets(post.campaign_id).await?;
    // No deadline is suggested: the officer must choose one, so a form sent as it opened
    // creates nothing.
    let form = serde_json::json!({
        "deadline": "", "hints": "", "allow_title": true, "allow_body": true, "max_length": "",
        "targets": targets.iter().map(|t| t.area_id).collect::<Vec<_>>(),
    });
    let ctx = kit_form(&state, &v, &post, &form, &[]).await?;
    Ok(state.page("kits/new.html", &ctx)?.into_response())
}

/// Offers the post to its units (`app::kit_offer::create`), or shows the form's problems.
async fn create(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?;
    let pairs = pairs(&body);
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let input = KitInput {
        deadline: field("deadline"),
        hints: field("hints"),
        allow_title: field("allow_title") == "1",
        allow_body: field("allow_body") == "1",
        max_length: field("max_length"),
        targets: pairs
            .iter()
            .filter(|(k, _)| k == "target")
            .map(|(_, v)| v.clone())
            .collect(),
        once: Once::from_field(&field("once")),
    };
    let errors = match kit_offer::create(&state, user, id, &input).await {
        Ok(Offered::Created { kit_id }) => {
            let to = format!("/kits/{kit_id}?notice=kit_created");
            return Ok(Redirect::to(&to).into_response());
        }
        Ok(Offered::Repeat { location }) => return Ok(Redirect::to(&location).into_response()),
        Err(refused) => refused.into_errors()?,
    };
    let post = source_post(&state, id).await?;
    let targets: Vec<i64> = input
        .targets
        .iter()
        .filter_map(|t| t.parse().ok())
        .collect();
    let form = serde_json::json!({
        "deadline": input.deadline, "hints": input.hints, "allow_title": input.allow_title,
        "allow_body": input.allow_body, "max_length": input.max_length, "targets": targets,
    });
    let ctx = kit_form(&state, &v, &post, &form, &errors).await?;
    state.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, "kits/new.html", &ctx)
}

/// Every target unit with its state, its local version, what it published and how that did.
async fn cascade(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<super::form::NoticeQuery>,
) -> AppResult<Response> {
    let kit = state.store.kit(id).await?;
    let now = crate::clock::now_ms();
    let engagement = state.store.kit_engagement(id).await?;
    let mut rows = Vec::new();
    for t in state.store.kit_targets(id).await? {
        let published: Vec<serde_json::Value> = match t.local_post_id {
            Some(p) => state
                .store
                .deliveries_of_post(p)
                .await?
                .into_iter()
                .filter(|d| d.state == crate::states::DeliveryState::Published)
                .map(|d| serde_json::json!({"url": d.remote_url, "at": d.published_at}))
                .collect(),
            None => Vec::new(),
        };
        let eng = engagement
            .iter()
            .find(|e| Some(e.post_id) == t.local_post_id);
        rows.push(serde_json::json!({
            "t": t, "state": crate::kits::unit_state(&kit, &t, now),
            "published": published, "engagement": eng,
        }));
    }
    let shared = rows
        .iter()
        .filter(|r| {
            crate::states::KitUnitState::parse(r["state"].as_str().unwrap_or_default())
                .is_some_and(|s| crate::states::KitUnitState::SHARED.contains(&s))
        })
        .count();
    let mut ctx = state.context(&v);
    ctx.insert("kit", &kit);
    ctx.insert("shared", &shared);
    ctx.insert("rows", &rows);
    ctx.insert("overdue", &(now > kit.deadline_at));
    if let Some(key) = q.key() {
        ctx.insert("notice", state.i18n.text(v.lang, key));
    }
    Ok(state.page("kits/cascade.html", &ctx)?.into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let user = v.user()?;
    let withdrawn = kit_offer::withdraw(&state, user, id).await.map_err(|r| {
        r.into_errors()
            .err()
            .unwrap_or(AppError::BadRequest("err_bad_request"))
    })?;
    if !withdrawn {
        return Ok(Redirect::to(&format!("/kits/{id}")).into_response());
    }
    Ok(Redirect::to(&format!("/kits/{id}?notice=kit_withdrawn")).into_response())
}

/// Reminds now every unit that is late or has not shared yet (an officer's nudge, on top of
/// the worker's one reminder after the deadline).
async fn remind(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let user = v.user()?;
    let reminded = kit_offer::remind(&state, &state.i18n, user, id)
        .await
        .map_err(|r| {
            r.into_errors()
                .err()
                .unwrap_or(AppError::BadRequest("err_bad_request"))
        })?;
    if reminded.is_none() {
        return Ok(Redirect::to(&format!("/kits/{id}")).into_response());
    }
    Ok(Redirect::to(&format!("/kits/{id}?notice=kit_reminded")).into_response())
}
