//! The post editor: write a post in a campaign, pick its channels and image, adjust each
//! channel's variant. District staff write for their own unit; every save is checked against
//! the version the editor opened, so a concurrent edit is reported, never overwritten.

use axum::extract::{Path, RawForm, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use tera::Context;

use super::access::AUTHORS;
use super::campaigns::visible_campaign;
use super::form::FormErrors;
use super::form::pairs;
use super::session::Visitor;
use super::{AppState, Route};
use crate::app::Once;
use crate::app::editing::{self, Written};
use crate::content::{self, Channel};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::posts::{PostInput, hanoi_input_value};
use crate::store::{Campaign, MediaItem, Post, User};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/campaigns/{id}/posts/new",
            AUTHORS,
            get(new_form),
        ),
        Route::new(
            Method::POST,
            "/campaigns/{id}/posts/new",
            AUTHORS,
            post(create),
        ),
        Route::new(Method::GET, "/posts/{id}/edit", AUTHORS, get(edit_form)),
        Route::new(Method::POST, "/posts/{id}/edit", AUTHORS, post(update)),
    ]
}

/// The media an author may attach: their unit's and the city's.
async fn media_choices(state: &AppState, user: &User) -> AppResult<Vec<MediaItem>> {
    let unit = if user.role == Role::District {
        Some(user.unit_id.unwrap_or(-1))
    } else {
        None
    };
    Ok(state.store.list_media(unit, 500, 0).await?.0)
}

async fn editor(
    state: &AppState,
    v: &Visitor,
    campaign: &Campaign,
    input: &PostInput,
    errors: &FormErrors,
    post: Option<(&Post, i64)>,
) -> AppResult<Context> {
    let user = v.user()?;
    let mut ctx = state.context(v);
    let master = crate::posts::stored_master(
        input.title.trim(),
        input.body.trim(),
        Some(input.link.trim()).filter(|l| !l.is_empty()),
        &input.hashtags,
    );
    let has_media = !input.media_id.trim().is_empty();
    // Each channel with its limits, whether chosen, and its text: the person's edit or derived.
    let channels: Vec<serde_json::Value> = Channel::ALL
        .iter()
        .map(|&ch| {
            let derived = content::derive(ch, &master, has_media);
            let (title, summary, body, edited) = match input.edited.get(ch.as_str()) {
                Some((t, s, b)) => (t.clone(), s.clone(), b.clone(), true),
                None => (derived.title, derived.summary, derived.body, false),
            };
            let limits = content::limits(ch, has_media);
            // Telegram's limit drops from a message to a caption when an image is attached;
            // the page switches between the two as the image is chosen.
            let (plain, with_media) = (content::limits(ch, false), content::limits(ch, true));
            serde_json::json!({
                "name": ch.as_str(), "chosen": input.channels.iter().any(|c| c == ch.as_str()),
                "title": title, "summary": summary, "body": body, "edited": edited,
                "title_max": limits.title_max, "summary_max": limits.summary_max, "body_max": limits.body_max,
                "body_max_plain": plain.body_max, "body_max_media": with_media.body_max,
            })
        })
        .collect();
    ctx.insert("campaign", campaign);
    ctx.insert(
        "form",
        &serde_json::json!({
            "title": input.title, "body": input.body, "link": input.link, "hashtags": input.hashtags,
            "scheduled_at": input.scheduled_at, "media_id": input.media_id,
        }),
    );
    ctx.insert("channels", &channels);
    ctx.insert("selected_media", &input.media_id.trim().parse::<i64>().ok());
    ctx.insert("media", &media_choices(state, user).await?);
    ctx.insert("errors", errors);
    // The version the editor opened, kept through failed saves so a conflicting edit is
    // reported again rather than overwriting the other person's change.
    if let Some((p, version)) = post {
        ctx.insert("post", p);
        ctx.insert("version", &version);
    }
    Ok(ctx)
}

async fn new_form(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let campaign = visible_campaign(&state, &v, id).await?;
    let input = PostInput {
        // Zalo needs a cover picture, so it is added when an image is.
        channels: vec!["facebook".into(), "portal".into()],
        ..PostInput::default()
    };
    let ctx = editor(&state, &v, &campaign, &input, &FormErrors::default(), None).await?;
    Ok(state.page("posts/editor.html", &ctx)?.into_response())
}

/// Writes a new draft (`app::editing::create`); a repeated form lands on the first draft.
async fn create(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let pairs = pairs(&body);
    let input = PostInput::from_pairs(&pairs);
    let once = Once::from_field(
        pairs
            .iter()
            .find(|(k, _)| k == "once")
            .map_or("", |(_, v)| v.as_str()),
    );
    let list = match editing::create(&state, &user, id, &input, &once).await {
        Ok(Written::Created { post_id }) => {
            let to = format!("/posts/{post_id}?notice=post_saved");
            return Ok(Redirect::to(&to).into_response());
        }
        Ok(Written::Repeat { location }) => return Ok(Redirect::to(&location).into_response()),
        Err(refused) => refused.into_errors()?,
    };
    let campaign = visible_campaign(&state, &v, id).await?;
    let errors = state.form_errors(&v, &list);
    let ctx = editor(&state, &v, &campaign, &input, &errors, None).await?;
    Ok(state
        .page_with_status(StatusCode::UNPROCESSABLE_ENTITY, "posts/editor.html", &ctx)?
        .into_response())
}

async fn edit_form(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let user = v.user()?;
    let post = crate::app::scope::readable_post(&state.store, user, id).await?;
    if !crate::app::scope::may_edit(user, &post) {
        return Err(AppError::Forbidden);
    }
    let campaign = state.store.campaign(post.campaign_id).await?;
    let variants = state.store.post_variants(id).await?;
    let input = PostInput {
        title: post.title.clone(),
        body: post.body.clone(),
        link: post.link.clone().unwrap_or_default(),
        hashtags: post.hashtags.clone(),
        scheduled_at: post.scheduled_at.map(hanoi_input_value).unwrap_or_default(),
        media_id: post.media_id.map(|m| m.to_string()).unwrap_or_default(),
        channels: variants.iter().map(|v| v.channel.clone()).collect(),
        edited: variants
            .iter()
            .filter(|v| v.edited)
            .map(|v| {
                (
                    v.channel.clone(),
                    (v.title.clone(), v.summary.clone(), v.body.clone()),
                )
            })
            .collect(),
    };
    let ctx = editor(
        &state,
        &v,
        &campaign,
        &input,
        &FormErrors::default(),
        Some((&post, post.version)),
    )
    .await?;
    Ok(state.page("posts/editor.html", &ctx)?.into_response())
}

async fn update(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let post = crate::app::scope::readable_post(&state.store, &user, id).await?;
    if !crate::app::scope::may_edit(&user, &post) {
        return Err(AppError::Forbidden);
    }
    let pairs = pairs(&body);
    let version: i64 = pairs
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or(AppError::BadRequest("err_bad_request"))?;
    let campaign = state.store.campaign(post.campaign_id).await?;
    let input = PostInput::from_pairs(&pairs);
    let list = match editing::update(&state, &user, id, version, &input).await {
        Ok(edited) => {
            let notice = if edited.to != edited.from {
                "post_back_to_review"
            } else {
                "post_saved"
            };
            return Ok(Redirect::to(&format!("/posts/{id}?notice={notice}")).into_response());
        }
        Err(refused) => refused.into_errors()?,
    };
    let errors = state.form_errors(&v, &list);
    let ctx = editor(
        &state,
        &v,
        &campaign,
        &input,
        &errors,
        Some((&post, version)),
    )
    .await?;
    let status = if list.iter().any(|e| e.key == "err_stale") {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(state
        .page_with_status(status, "posts/editor.html", &ctx)?
        .into_response())
}
