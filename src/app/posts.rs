//! A post's steps: submit, approve, request changes, schedule, unschedule, cancel, reopen and
//! reschedule. Each is one transaction: the move and its history row, the deliveries it creates
//! or cancels, its audit line and the notices it causes. The version the reader saw guards the
//! move, so what was checked (readiness, schedule window) is what is moved.

use serde::Serialize;

use super::scope::{may_edit, readable_post};
use super::{App, Refused, StepResult};
use crate::content::PostStatus;
use crate::content::workflow::{self, Action, Actor};
use crate::domain::{FieldError, Role};
use crate::error::AppError;
use crate::posts::{check_schedule, parse_hanoi_time, ready_to_publish};
use crate::store::{Audience, Effects, Notice, Post, Step, Store, User};

/// The workflow actor a user acts as (managers change nothing).
pub fn actor_of(user: &User) -> Option<Actor> {
    Actor::for_role(user.role)
}

/// One workflow step as asked: the version the reader saw, a comment, and for scheduling the
/// Hanoi time (`YYYY-MM-DDTHH:MM`; empty keeps the planned time).
#[derive(Clone, Debug, Default)]
pub struct Move {
    pub version: i64,
    pub comment: String,
    pub scheduled_at: String,
}

/// A step that happened.
#[derive(Clone, Debug, Serialize)]
pub struct Moved {
    pub post_id: i64,
    pub action: Action,
    pub from: PostStatus,
    pub to: PostStatus,
    /// Deliveries created (scheduling) or cancelled (unscheduling, cancelling).
    pub deliveries: u64,
}

/// Takes `action` on post `id` as `user`.
pub async fn transition(
    app: &App,
    user: &User,
    id: i64,
    action: Action,
    input: &Move,
) -> StepResult<Moved> {
    let post = readable_post(&app.store, user, id).await?;
    if !may_edit(user, &post) {
        return Err(AppError::Forbidden.into());
    }
    let actor = actor_of(user).ok_or(AppError::Forbidden)?;
    let from = post.status;
    let to = workflow::next(from, action, actor, &input.comment).map_err(|e| vec![e])?;
    let mut scheduled_at = None;
    if matches!(action, Action::Approve | Action::Schedule) {
        ready(&app.store, &post).await?;
    }
    if action == Action::Schedule {
        scheduled_at = Some(schedule_time(&app.store, &post, &input.scheduled_at).await?);
    }
    let comment = input.comment.trim();
    let mut effects = Effects::audited(
        Some(user.user_id),
        &format!("post.{}", action.as_str()),
        &format!("post:{id}"),
        comment,
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
    let step = Step {
        action: action.as_str(),
        actor: Some(user.user_id),
        comment,
        scheduled_at,
    };
    let mut tx = app.store.begin().await?;
    tx.move_post(id, input.version, (from, to), &step).await?;
    let deliveries = match (action, scheduled_at) {
        (Action::Schedule, Some(at)) => tx.schedule_deliveries(id, at).await? as u64,
        (Action::Unschedule | Action::Cancel, _) => tx.cancel_deliveries(id).await?,
        _ => 0,
    };
    tx.write_effects(&effects).await?;
    tx.commit().await?;
    Ok(Moved {
        post_id: id,
        action,
        from,
        to,
        deliveries,
    })
}

/// Approving or scheduling needs every variant within its channel's limits and a channel.
async fn ready(store: &Store, post: &Post) -> StepResult<()> {
    let variants = store.post_variants(post.post_id).await?;
    let media = match post.media_id {
        Some(m) => Some(store.media(m).await?),
        None => None,
    };
    let mut errors = ready_to_publish(&variants, media.as_ref());
    if variants.is_empty() {
        errors.push(FieldError::new("channel", "err_choose_at_least_one"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Refused::Invalid(errors))
    }
}

/// The time a post is scheduled for: the one asked, or the one it was planned for; inside the
/// campaign and in the future.
async fn schedule_time(store: &Store, post: &Post, raw: &str) -> StepResult<i64> {
    let at = if raw.trim().is_empty() {
        post.scheduled_at
            .ok_or_else(|| FieldError::new("scheduled_at", "err_required"))
    } else {
        parse_hanoi_time("scheduled_at", raw)
    }
    .map_err(|e| vec![e])?;
    let campaign = store.campaign(post.campaign_id).await?;
    let errors = check_schedule("scheduled_at", at, crate::clock::now_ms(), &campaign);
    if errors.is_empty() {
        Ok(at)
    } else {
        Err(Refused::Invalid(errors))
    }
}

/// A scheduled post moved to another time, and its version now.
#[derive(Clone, Debug, Serialize)]
pub struct Rescheduled {
    pub post_id: i64,
    pub at: i64,
    pub version: i64,
}

/// Moves a scheduled post to `at`: the time, its history row and its deliveries' time in one
/// transaction, so a delivery never goes out at the old time of a moved post.
pub async fn reschedule(
    app: &App,
    user: &User,
    id: i64,
    version: i64,
    at: i64,
) -> StepResult<Rescheduled> {
    let post = readable_post(&app.store, user, id).await?;
    super::scope::require_planner(user)?;
    if !may_edit(user, &post) {
        return Err(AppError::Forbidden.into());
    }
    let campaign = app.store.campaign(post.campaign_id).await?;
    let mut errors = check_schedule("scheduled_at", at, crate::clock::now_ms(), &campaign);
    if post.status != PostStatus::Scheduled {
        errors.push(FieldError::new("scheduled_at", "err_not_scheduled"));
    }
    if !errors.is_empty() {
        return Err(Refused::Invalid(errors));
    }
    let mut tx = app.store.begin().await?;
    tx.reschedule_post(id, version, at, user.user_id).await?;
    tx.schedule_deliveries(id, at).await?;
    tx.write_effects(&Effects::audited(
        Some(user.user_id),
        "post.reschedule",
        &format!("post:{id}"),
        &crate::clock::format_hanoi(at),
    ))
    .await?;
    tx.commit().await?;
    Ok(Rescheduled {
        post_id: id,
        at,
        version: version + 1,
    })
}

/// The worker's repair sweep: scheduled posts due within `until` that have no delivery (the
/// accounts were connected after scheduling) get theirs, each in its own transaction.
pub async fn repair_deliveries(store: &Store, until: i64) -> crate::store::StoreResult<usize> {
    let mut repaired = 0;
    for (post_id, at) in store.posts_missing_deliveries(until).await? {
        let mut tx = store.begin().await?;
        repaired += tx.schedule_deliveries(post_id, at).await?;
        tx.commit().await?;
    }
    Ok(repaired)
}
