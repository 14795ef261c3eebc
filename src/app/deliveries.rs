//! An officer's decision on one delivery (retry, cancel, mark as published by hand): the
//! delivery's new state, the post's status re-summed from its deliveries, and the audit line,
//! in one transaction.

use serde::Serialize;

use super::{App, Refused, StepResult};
use crate::content::PostStatus;
use crate::error::AppError;
use crate::states::Decision;
use crate::store::{Effects, User};

#[derive(Clone, Debug, Serialize)]
pub struct Decided {
    pub post_id: i64,
    /// The post's new status when the decision moved it.
    pub post_status: Option<PostStatus>,
}

/// Applies `decision` to delivery `delivery_id` of post `post_id`.
pub async fn decide(
    app: &App,
    user: &User,
    post_id: i64,
    delivery_id: i64,
    decision: Decision,
    url: Option<&str>,
) -> StepResult<Decided> {
    super::scope::require_planner(user)?;
    let mut tx = app.store.begin().await?;
    match tx
        .decide_delivery(post_id, delivery_id, decision, url)
        .await?
    {
        None => return Err(AppError::NotFound.into()),
        Some(false) => return Err(AppError::Conflict("err_delivery_decision").into()),
        Some(true) => {}
    }
    let post_status = tx.settle_post(post_id).await?;
    let name = match decision {
        Decision::Retry => "retry",
        Decision::Cancel => "cancel",
        Decision::MarkPublished => "mark_published",
    };
    tx.write_effects(&Effects::audited(
        Some(user.user_id),
        &format!("delivery.{name}"),
        &format!("delivery:{delivery_id}"),
        "",
    ))
    .await
    .map_err(Refused::from)?;
    tx.commit().await?;
    Ok(Decided {
        post_id,
        post_status,
    })
}
