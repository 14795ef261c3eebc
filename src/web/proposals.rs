//! Local content from below: district staff propose posts for the city's channels; officers see
//! the queue and adopt one into a city campaign (a city draft credited to the unit) or decline
//! it with a reason. Staff see only their own unit's proposals.

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::access::{Access, PLANNERS};
use super::form::NoticeQuery;
use super::form::pairs;
use super::kits::UNIT_STAFF;
use super::session::Visitor;
use super::{AppState, Route};
use crate::app::Once;
use crate::app::proposals::{self, ProposalInput, Proposed};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::store::CampaignFilter;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/proposals", Access::SignedIn, get(list)),
        Route::new(Method::GET, "/proposals/new", UNIT_STAFF, get(new_form)),
        Route::new(Method::POST, "/proposals/new", UNIT_STAFF, post(create)),
        Route::new(Method::POST, "/proposals/{id}/adopt", PLANNERS, post(adopt)),
        Route::new(
            Method::POST,
            "/proposals/{id}/decline",
            PLANNERS,
            post(decline),
        ),
    ]
}

fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.replace("\r\n", "\n").trim().to_string())
        .unwrap_or_default()
}

async fn list(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let user = v.user()?;
    let unit = match user.role {
        Role::District => Some(user.unit_id.unwrap_or(-1)),
        _ => None,
    };
    let mut ctx = state.context(&v);
    ctx.insert("proposals", &state.store.proposals(unit).await?);
    if matches!(user.role, Role::Admin | Role::Officer) {
        let filter = CampaignFilter::default();
        let (campaigns, _) = state.store.list_campaigns(&filter, None, 200, 0).await?;
        ctx.insert("campaigns", &campaigns);
    }
    if let Some(key) = q.key() {
        ctx.insert("notice", state.i18n.text(v.lang, key));
    }
    Ok(state.page("proposals/list.html", &ctx)?.into_response())
}

async fn new_form(State(state): State<AppState>, v: Visitor) -> AppResult<Response> {
    let mut ctx = state.context(&v);
    ctx.insert(
        "form",
        &serde_json::json!({"title": "", "body": "", "link": ""}),
    );
    ctx.insert("errors", &state.form_errors(&v, &[]));
    Ok(state.page("proposals/new.html", &ctx)?.into_response())
}

/// Sends a unit's proposal (`app::proposals::create`).
async fn create(
    State(state): State<AppState>,
    v: Visitor,
    RawForm(raw): RawForm,
) -> AppResult<Response> {
    let user = v.user()?;
    let pairs = pairs(&raw);
    let input = ProposalInput {
        title: field(&pairs, "title"),
        body: field(&pairs, "body"),
        link: field(&pairs, "link"),
        once: Once::from_field(&field(&pairs, "once")),
    };
    let errors = match proposals::create(&state, user, &input).await {
        Ok(Proposed::Created { .. }) => {
            return Ok(Redirect::to("/proposals?notice=proposal_sent").into_response());
        }
        Ok(Proposed::Repeat { location }) => return Ok(Redirect::to(&location).into_response()),
        Err(refused) => refused.into_errors()?,
    };
    let mut ctx = state.context(&v);
    ctx.insert(
        "form",
        &serde_json::json!({"title": input.title, "body": input.body, "link": input.link}),
    );
    ctx.insert("errors", &state.form_errors(&v, &errors));
    state.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, "proposals/new.html", &ctx)
}

/// Adopts a pending proposal as a city draft in the chosen campaign, credited to its unit.
async fn adopt(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> AppResult<Response> {
    let user = v.user()?;
    let campaign_id: i64 = field(&pairs(&raw), "campaign_id")
        .parse()
        .map_err(|_| AppError::BadRequest("err_bad_request"))?;
    match proposals::adopt(&state, user, id, campaign_id).await {
        Ok(post_id) => {
            Ok(Redirect::to(&format!("/posts/{post_id}?notice=proposal_adopted")).into_response())
        }
        Err(refused) => Err(refused_as_error(refused)),
    }
}

async fn decline(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> AppResult<Response> {
    let user = v.user()?;
    let reason = field(&pairs(&raw), "reason");
    match proposals::decline(&state, user, id, &reason).await {
        Ok(()) => Ok(Redirect::to("/proposals?notice=proposal_declined").into_response()),
        Err(refused) => Err(refused_as_error(refused)),
    }
}

/// These forms are buttons on the list: a refusal is shown as an error page.
fn refused_as_error(refused: crate::app::Refused) -> AppError {
    match refused.into_errors() {
        Ok(_) => AppError::BadRequest("err_bad_request"),
        Err(e) => e,
    }
}
