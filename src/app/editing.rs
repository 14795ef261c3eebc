//! A post's text: writing a new one into a campaign and editing one. An edit of an approved or
//! scheduled post sends it back to review (`content::workflow::edit_status`) and, when it was
//! scheduled, cancels its waiting deliveries in the same transaction: approval covers the text
//! that was approved, so a changed text never goes out on the old approval.

use serde::Serialize;

use super::scope::{may_edit, readable_post, visible_campaign};
use super::{App, Once, Refused, StepResult};
use crate::content::PostStatus;
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::posts::{PostInput, parse_hanoi_time};
use crate::store::{Campaign, Effects, MediaItem, PostRecord, Store, StoreError, User};

/// The chosen image, if the author may use it: unit staff use their unit's and the city's.
pub async fn chosen_media(
    store: &Store,
    user: &User,
    raw: &str,
) -> AppResult<Result<Option<MediaItem>, FieldError>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Ok(None));
    }
    let unknown = || FieldError::new("media_id", "err_media_not_found").arg("value", raw);
    let Ok(id) = raw.parse::<i64>() else {
        return Ok(Err(unknown()));
    };
    let media = match store.media(id).await {
        Ok(m) => m,
        Err(StoreError::NotFound) => return Ok(Err(unknown())),
        Err(e) => return Err(e.into()),
    };
    let allowed =
        user.role != Role::District || media.unit_id.is_none() || media.unit_id == user.unit_id;
    Ok(if allowed {
        Ok(Some(media))
    } else {
        Err(unknown())
    })
}

/// Validates the editor's input into a record, with its optional proposed time checked
/// against the campaign.
pub async fn checked(
    store: &Store,
    user: &User,
    campaign: &Campaign,
    input: &PostInput,
) -> StepResult<PostRecord> {
    let mut errors = Vec::new();
    let media = match chosen_media(store, user, &input.media_id).await? {
        Ok(m) => m,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let mut scheduled_at = None;
    if !input.scheduled_at.trim().is_empty() {
        match parse_hanoi_time("scheduled_at", &input.scheduled_at) {
            Ok(at) => {
                let now = crate::clock::now_ms();
                errors.extend(crate::posts::check_schedule(
                    "scheduled_at",
                    at,
                    now,
                    campaign,
                ));
                scheduled_at = Some(at);
            }
            Err(e) => errors.push(e),
        }
    }
    match crate::posts::build(input, media.as_ref()) {
        Ok(mut rec) if errors.is_empty() => {
            rec.scheduled_at = scheduled_at;
            Ok(rec)
        }
        Ok(_) => Err(Refused::Invalid(errors)),
        Err(list) => {
            errors.extend(list);
            Err(Refused::Invalid(errors))
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub enum Written {
    Created {
        post_id: i64,
    },
    /// The same form was submitted before: where its result is.
    Repeat {
        location: String,
    },
}

/// Writes a new draft into campaign `campaign_id` (unit staff write their unit's posts).
pub async fn create(
    app: &App,
    user: &User,
    campaign_id: i64,
    input: &PostInput,
    once: &Once,
) -> StepResult<Written> {
    if !matches!(user.role, Role::Admin | Role::Officer | Role::District) {
        return Err(AppError::Forbidden.into());
    }
    let campaign = visible_campaign(&app.store, user, campaign_id).await?;
    let mut rec = checked(&app.store, user, &campaign, input).await?;
    rec.unit_id = if user.role == Role::District {
        user.unit_id
    } else {
        None
    };
    let mut tx = app.store.begin().await?;
    if let Some(location) = once.claim(&mut tx, user.user_id).await? {
        return Ok(Written::Repeat { location });
    }
    let post_id = tx
        .create_posts(campaign_id, user.user_id, PostStatus::Draft, &[rec])
        .await?[0];
    tx.write_effects(&Effects::audited(
        Some(user.user_id),
        "post.create",
        &format!("post:{post_id}"),
        "",
    ))
    .await?;
    once.finish(
        &mut tx,
        user.user_id,
        &format!("/posts/{post_id}?notice=post_saved"),
    )
    .await?;
    tx.commit().await?;
    Ok(Written::Created { post_id })
}

#[derive(Clone, Debug, Serialize)]
pub struct Edited {
    pub post_id: i64,
    pub from: PostStatus,
    pub to: PostStatus,
}

/// Replaces post `id`'s text if `version` is still the one the editor opened.
pub async fn update(
    app: &App,
    user: &User,
    id: i64,
    version: i64,
    input: &PostInput,
) -> StepResult<Edited> {
    let post = readable_post(&app.store, user, id).await?;
    if !may_edit(user, &post) {
        return Err(AppError::Forbidden.into());
    }
    let to = crate::content::workflow::edit_status(post.status).map_err(|e| vec![e])?;
    let campaign = app.store.campaign(post.campaign_id).await?;
    let mut rec = checked(&app.store, user, &campaign, input).await?;
    let limits =
        super::kits::local_edit_limits(&app.store, user, &post, (&rec.title, &rec.body)).await?;
    if !limits.is_empty() {
        return Err(Refused::Invalid(limits));
    }
    rec.unit_id = post.unit_id;
    let mut tx = app.store.begin().await?;
    tx.update_post(id, version, &rec, (post.status, to), user.user_id)
        .await?;
    if post.status == PostStatus::Scheduled {
        tx.cancel_deliveries(id).await?;
    }
    tx.write_effects(&Effects::audited(
        Some(user.user_id),
        "post.edit",
        &format!("post:{id}"),
        "",
    ))
    .await?;
    tx.commit().await?;
    Ok(Edited {
        post_id: id,
        from: post.status,
        to,
    })
}
