//! A post's page (master text, per-channel previews, history, the actions the reader may take),
//! the review queue, and the approval workflow's transitions.

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::access::{AUTHORS, Access};
use super::areas::unit_scope;
use super::form::{PER_PAGE, Pagination};
use super::home::NoticeQuery;
use super::posts::{may_edit, pairs, readable_post, status_of};
use super::session::Visitor;
use super::{AppState, Route};
use crate::content::{self, Action, Actor, Channel, PostStatus, Variant};
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::posts::{check_schedule, parse_hanoi_time, ready_to_publish};
use crate::store::{Audience, Effects, Notice, Post, PostFilter, Step, StoreError, User};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/posts", Access::SignedIn, get(list)),
        Route::new(Method::GET, "/posts/{id}", Access::SignedIn, get(show)),
        Route::new(
            Method::POST,
            "/posts/{id}/transition",
            AUTHORS,
            post(transition),
        ),
    ]
}

pub fn actor_of(user: &User) -> Option<Actor> {
    match user.role {
        Role::Admin | Role::Officer => Some(Actor::Officer),
        Role::District => Some(Actor::District),
        Role::Manager => None,
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    status: Option<String>,
    page: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let user = v.user()?;
    let scope = unit_scope(&state, user).await?;
    let status = q
        .status
        .as_deref()
        .and_then(PostStatus::parse)
        .map(|s| s.as_str().to_string());
    let filter = PostFilter {
        status: status.clone(),
        ..PostFilter::default()
    };
    let page = Pagination::requested(q.page.as_deref());
    let (posts, total) = state
        .store
        .list_posts(&filter, scope.as_ref(), PER_PAGE, Pagination::offset(page))
        .await?;
    let mut ctx = state.context(&v);
    ctx.insert("posts", &posts);
    ctx.insert("status", &status.unwrap_or_default());
    ctx.insert(
        "statuses",
        &PostStatus::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
    );
    ctx.insert("pagination", &Pagination::new(page, total, posts.len()));
    Ok(state.page("posts/list.html", &ctx)?.into_response())
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
    let post = readable_post(&state, user, id).await?;
    let mut ctx = state.context(&v);
    page_context(&state, &v, &post, &mut ctx).await?;
    super::qr::post_engagement(&state, user, &post, &mut ctx).await?;
    if let Some(key) = (NoticeQuery { notice: q.notice }).key() {
        ctx.insert("notice", state.i18n.text(v.lang, key));
    }
    Ok(state.page("posts/show.html", &ctx)?.into_response())
}

async fn page_context(
    state: &AppState,
    v: &Visitor,
    post: &Post,
    ctx: &mut tera::Context,
) -> AppResult<()> {
    let user = v.user()?;
    let variants = state.store.post_variants(post.post_id).await?;
    let media = match post.media_id {
        Some(m) => Some(state.store.media(m).await?),
        None => None,
    };
    let master = crate::posts::stored_master(
        &post.title,
        &post.body,
        post.link.as_deref(),
        &post.hashtags,
    );
    let previews: Vec<content::Preview> = variants
        .iter()
        .filter_map(|row| {
            let channel = Channel::parse("channel", &row.channel).ok()?;
            let variant = Variant {
                channel,
                title: row.title.clone(),
                summary: row.summary.clone(),
                body: row.body.clone(),
            };
            Some(content::preview(&variant, &master, media.is_some()))
        })
        .collect();
    let status = status_of(post)?;
    let actions: Vec<&str> = match actor_of(user) {
        Some(actor) if may_edit(user, post) => crate::content::workflow::available(status, actor)
            .into_iter()
            .map(|a| a.as_str())
            .collect(),
        _ => Vec::new(),
    };
    let editable = may_edit(user, post) && crate::content::workflow::edit_status(status).is_ok();
    ctx.insert(
        "deliveries",
        &super::deliveries::for_post(state, v, post.post_id).await?,
    );
    ctx.insert("post", post);
    if post.unit_id.is_none() && user.role != Role::District {
        ctx.insert("kits", &state.store.kits_of_post(post.post_id).await?);
    }
    ctx.insert("credit", &state.store.proposal_of_post(post.post_id).await?);
    ctx.insert("portal_html", &content::portal_html(&post.body));
    ctx.insert("previews", &previews);
    ctx.insert("media", &media);
    // Older local versions of kits carry the machine note `kit:N` as their first comment;
    // it means nothing to a reader (the kit is linked from the page).
    let history: Vec<_> = state
        .store
        .post_history(post.post_id)
        .await?
        .into_iter()
        .map(|mut h| {
            if h.action == "share_kit" && h.comment.starts_with("kit:") {
                h.comment.clear();
            }
            h
        })
        .collect();
    ctx.insert("history", &history);
    ctx.insert("actions", &actions);
    ctx.insert("editable", &editable);
    ctx.insert(
        "scheduled_value",
        &post
            .scheduled_at
            .map(crate::posts::hanoi_input_value)
            .unwrap_or_default(),
    );
    Ok(())
}

/// One step of the workflow. The store moves the post only if it is still in the status and
/// at the version the reader saw, and records who, when, from, to and why in one transaction.
async fn transition(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let post = readable_post(&state, &user, id).await?;
    if !may_edit(&user, &post) {
        return Err(AppError::Forbidden);
    }
    let actor = actor_of(&user).ok_or(AppError::Forbidden)?;
    let pairs = pairs(&body);
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let version: i64 = field("version")
        .parse()
        .map_err(|_| AppError::BadRequest("err_bad_request"))?;
    let action = Action::parse(&field("action")).ok_or(AppError::BadRequest("err_bad_request"))?;
    let comment = field("comment");
    let from = status_of(&post)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut scheduled_at = None;
    let to = match crate::content::workflow::next(from, action, actor, &comment) {
        Ok(to) => Some(to),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if errors.is_empty() && matches!(action, Action::Approve | Action::Schedule) {
        let variants = state.store.post_variants(id).await?;
        let media = match post.media_id {
            Some(m) => Some(state.store.media(m).await?),
            None => None,
        };
        errors.extend(ready_to_publish(&variants, media.as_ref()));
        if variants.is_empty() {
            errors.push(FieldError::new("channel", "err_choose_at_least_one"));
        }
    }
    if errors.is_empty() && action == Action::Schedule {
        let campaign = state.store.campaign(post.campaign_id).await?;
        let raw = field("scheduled_at");
        let at = if raw.is_empty() {
            post.scheduled_at
                .ok_or_else(|| FieldError::new("scheduled_at", "err_required"))
        } else {
            parse_hanoi_time("scheduled_at", &raw)
        };
        match at {
            Ok(at) => {
                errors.extend(check_schedule(
                    "scheduled_at",
                    at,
                    crate::clock::now_ms(),
                    &campaign,
                ));
                scheduled_at = Some(at);
            }
            Err(e) => errors.push(e),
        }
    }
    if let (true, Some(to)) = (errors.is_empty(), to) {
        let step = Step {
            action: action.as_str(),
            actor: Some(user.user_id),
            comment: &comment,
            scheduled_at,
        };
        let mut effects = Effects::audited(
            Some(user.user_id),
            &format!("post.{}", action.as_str()),
            &format!("post:{id}"),
            &comment,
        );
        // A unit's post waiting for review is the officers' next job: tell them.
        if let (Action::Submit, Role::District, Some(unit)) =
            (action, user.role, post.unit_name.as_deref())
        {
            effects = effects.notify(Notice::new(
                Audience::Officers,
                "post_submitted",
                "notice_post_submitted",
                serde_json::json!({"unit": unit, "title": post.title}),
                &format!("/posts/{id}"),
            ));
        }
        match state
            .store
            .transition_post_with(id, version, (from.as_str(), to.as_str()), &step, &effects)
            .await
        {
            Ok(()) => {
                // Deliveries follow the schedule. Creating them is idempotent, and the worker
                // also creates any a crash left missing, so a scheduled post is never orphaned.
                match action {
                    Action::Schedule => {
                        if let Some(at) = scheduled_at.or(post.scheduled_at) {
                            state.store.schedule_deliveries(id, at).await?;
                        }
                    }
                    Action::Unschedule | Action::Cancel => {
                        state.store.cancel_deliveries(id).await?;
                    }
                    _ => {}
                }
                return Ok(
                    Redirect::to(&format!("/posts/{id}?notice=post_{}", action.as_str()))
                        .into_response(),
                );
            }
            Err(StoreError::Stale) => errors.push(FieldError::new("form", "err_stale")),
            Err(e) => return Err(e.into()),
        }
    }
    let mut ctx = state.context(&v);
    let post = state.store.post(id).await?;
    page_context(&state, &v, &post, &mut ctx).await?;
    let form_errors = state.form_errors(&v, &errors);
    ctx.insert("errors", &form_errors);
    ctx.insert("comment", &comment);
    let status = if errors.iter().any(|e| e.key == "err_stale") {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(state
        .page_with_status(status, "posts/show.html", &ctx)?
        .into_response())
}

/// The workflow names statuses and actions by their machine names; show their labels instead.
pub fn readable(state: &AppState, v: &Visitor, e: &FieldError) -> FieldError {
    let mut e = e.clone();
    for (name, value) in e.args.iter_mut() {
        let key = match *name {
            "from" | "status" => format!("post_status_{value}"),
            "action" => format!("action_{value}"),
            "role" => format!("role_{value}"),
            _ => continue,
        };
        *value = state.i18n.text(v.lang, &key).to_string();
    }
    e
}
