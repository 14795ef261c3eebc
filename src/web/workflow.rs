//! A post's page (master text, per-channel previews, history, the actions the reader may take),
//! the review queue, and the approval workflow's transitions.

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::access::{AUTHORS, Access};
use super::form::NoticeQuery;
use super::form::pairs;
use super::form::{PER_PAGE, Pagination};
use super::session::Visitor;
use super::{AppState, Route};
use crate::app::posts::{self, actor_of};
use crate::content::{self, Action, Channel, PostStatus, Variant};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::store::{Post, PostFilter};

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
    let scope = crate::app::scope::unit_scope(&state.store, user).await?;
    let status = q.status.as_deref().and_then(PostStatus::parse);
    let filter = PostFilter {
        status,
        ..PostFilter::default()
    };
    let page = Pagination::requested(q.page.as_deref());
    let (posts, total) = state
        .store
        .list_posts(&filter, scope.as_ref(), PER_PAGE, Pagination::offset(page))
        .await?;
    let mut ctx = state.context(&v);
    ctx.insert("posts", &posts);
    ctx.insert(
        "status",
        &status.map(PostStatus::as_str).unwrap_or_default(),
    );
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
    let post = crate::app::scope::readable_post(&state.store, user, id).await?;
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
    let status = post.status;
    let actions: Vec<&str> = match actor_of(user) {
        Some(actor) if crate::app::scope::may_edit(user, post) => {
            crate::content::workflow::available(status, actor)
                .into_iter()
                .map(|a| a.as_str())
                .collect()
        }
        _ => Vec::new(),
    };
    let editable = crate::app::scope::may_edit(user, post)
        && crate::content::workflow::edit_status(status).is_ok();
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

/// One step of the workflow (`app::posts::transition` does it in one transaction); a refusal
/// shows the post again with the reasons beside the form.
async fn transition(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    // Another unit's post answers 404 before anything about the form is said.
    crate::app::scope::readable_post(&state.store, &user, id).await?;
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
    let input = posts::Move {
        version,
        comment: field("comment"),
        scheduled_at: field("scheduled_at"),
    };
    let errors = match posts::transition(&state, &user, id, action, &input).await {
        Ok(moved) => {
            let to = format!("/posts/{id}?notice=post_{}", moved.action.as_str());
            return Ok(Redirect::to(&to).into_response());
        }
        Err(refused) => refused.into_errors()?,
    };
    let mut ctx = state.context(&v);
    let post = state.store.post(id).await?;
    page_context(&state, &v, &post, &mut ctx).await?;
    let form_errors = state.form_errors(&v, &errors);
    ctx.insert("errors", &form_errors);
    ctx.insert("comment", &input.comment);
    let status = if errors.iter().any(|e| e.key == "err_stale") {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(state
        .page_with_status(status, "posts/show.html", &ctx)?
        .into_response())
}
