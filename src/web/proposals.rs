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
use crate::content::Master;
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::store::{Audience, CampaignFilter, Effects, Notice, StoreError};

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

async fn create(
    State(state): State<AppState>,
    v: Visitor,
    RawForm(raw): RawForm,
) -> AppResult<Response> {
    let user = v.user()?;
    let unit = user.unit_id.ok_or(AppError::Forbidden)?;
    let pairs = pairs(&raw);
    let (title, body, link) = (
        field(&pairs, "title"),
        field(&pairs, "body"),
        field(&pairs, "link"),
    );
    match Master::parse(&title, &body, &link, "") {
        Ok(m) => {
            let unit_name = user.unit_name.clone().unwrap_or_default();
            let author = user.user_id;
            state
                .store
                .create_proposal(unit, author, (&m.title, &m.body, m.link.as_deref()), |id| {
                    Effects::audited(
                        Some(author),
                        "proposal.create",
                        &format!("proposal:{id}"),
                        "",
                    )
                    .notify(Notice::new(
                        Audience::Officers,
                        "proposal_new",
                        "notice_proposal_new",
                        serde_json::json!({"unit": unit_name, "title": m.title}),
                        "/proposals",
                    ))
                })
                .await?;
            Ok(Redirect::to("/proposals?notice=proposal_sent").into_response())
        }
        Err(errors) => {
            // The master's rules name their fields `master_*`; this form's fields are bare.
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|mut e| {
                    e.field = e.field.trim_start_matches("master_").to_string();
                    e
                })
                .collect();
            let mut ctx = state.context(&v);
            ctx.insert(
                "form",
                &serde_json::json!({"title": title, "body": body, "link": link}),
            );
            ctx.insert("errors", &state.form_errors(&v, &errors));
            state.page_with_status(StatusCode::UNPROCESSABLE_ENTITY, "proposals/new.html", &ctx)
        }
    }
}

/// Adopts a pending proposal as a city draft in the chosen campaign, credited to its unit.
async fn adopt(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> AppResult<Response> {
    let user = v.user()?;
    let proposal = state.store.proposal(id).await?;
    let pairs = pairs(&raw);
    let campaign_id: i64 = field(&pairs, "campaign_id")
        .parse()
        .map_err(|_| AppError::BadRequest("err_bad_request"))?;
    let campaign = match state.store.campaign(campaign_id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(AppError::BadRequest("err_bad_request")),
        Err(e) => return Err(e.into()),
    };
    if proposal.status != "pending" {
        return Err(AppError::Conflict("err_proposal_decided"));
    }
    let input = crate::posts::PostInput {
        title: proposal.title.clone(),
        body: proposal.body.clone(),
        link: proposal.link.clone().unwrap_or_default(),
        channels: vec!["facebook".into(), "portal".into()],
        ..Default::default()
    };
    let rec = crate::posts::build(&input, None)
        .map_err(|_: Vec<FieldError>| AppError::BadRequest("err_bad_request"))?;
    // The draft, the decision, the audit line and the unit's notice are one transaction: an
    // adoption that fails half-way leaves no orphan draft.
    let mut tx = state.store.begin().await?;
    let post_id = tx
        .create_posts(
            campaign.campaign_id,
            user.user_id,
            crate::content::PostStatus::Draft,
            &[rec],
        )
        .await?[0];
    let args = serde_json::json!({"title": proposal.title, "campaign": campaign.title});
    let effects = Effects::audited(
        Some(user.user_id),
        "proposal.adopt",
        &format!("proposal:{id}"),
        &format!("post:{post_id}"),
    )
    .notify(Notice::new(
        Audience::Unit(proposal.unit_id),
        "proposal_adopted",
        "notice_proposal_adopted",
        args,
        "/proposals",
    ));
    if !tx
        .decide_proposal(id, ("adopted", ""), Some(post_id), user.user_id)
        .await?
    {
        return Err(AppError::Conflict("err_proposal_decided"));
    }
    tx.write_effects(&effects).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/posts/{post_id}?notice=proposal_adopted")).into_response())
}

async fn decline(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> AppResult<Response> {
    let user = v.user()?;
    let proposal = state.store.proposal(id).await?;
    let reason = field(&pairs(&raw), "reason");
    if reason.is_empty() {
        return Err(AppError::BadRequest("err_proposal_reason"));
    }
    let args = serde_json::json!({"title": proposal.title, "reason": reason});
    let effects = Effects::audited(
        Some(user.user_id),
        "proposal.decline",
        &format!("proposal:{id}"),
        &reason,
    )
    .notify(Notice::new(
        Audience::Unit(proposal.unit_id),
        "proposal_declined",
        "notice_proposal_declined",
        args,
        "/proposals",
    ));
    if !state
        .store
        .decide_proposal(id, ("declined", &reason), None, user.user_id, &effects)
        .await?
    {
        return Err(AppError::Conflict("err_proposal_decided"));
    }
    Ok(Redirect::to("/proposals?notice=proposal_declined").into_response())
}
