//! Units propose city posts; officers adopt one as a draft of a campaign (credited to the
//! unit) or decline it with a reason. Each step, with its audit line and the notice to the
//! other side, is one transaction; a repeated proposal form sends one proposal.

use serde::Serialize;

use super::scope::require_planner;
use super::{App, Once, Refused, StepResult};
use crate::content::{Master, PostStatus};
use crate::domain::{FieldError, Role};
use crate::error::AppError;
use crate::store::{Audience, Effects, Notice, StoreError, User};

/// What unit staff propose.
#[derive(Clone, Debug, Default)]
pub struct ProposalInput {
    pub title: String,
    pub body: String,
    pub link: String,
    pub once: Once,
}

#[derive(Clone, Debug, Serialize)]
pub enum Proposed {
    Created { proposal_id: i64 },
    Repeat { location: String },
}

/// Sends the reader's unit's proposal to the officers.
pub async fn create(app: &App, user: &User, input: &ProposalInput) -> StepResult<Proposed> {
    let unit = match (user.role, user.unit_id) {
        (Role::District, Some(unit)) => unit,
        _ => return Err(AppError::Forbidden.into()),
    };
    let m = Master::parse(&input.title, &input.body, &input.link, "").map_err(|errors| {
        // The master's rules name their fields `master_*`; this form's fields are bare.
        let errors: Vec<FieldError> = errors
            .into_iter()
            .map(|mut e| {
                e.field = e.field.trim_start_matches("master_").to_string();
                e
            })
            .collect();
        Refused::Invalid(errors)
    })?;
    let mut tx = app.store.begin().await?;
    if let Some(location) = input.once.claim(&mut tx, user.user_id).await? {
        return Ok(Proposed::Repeat { location });
    }
    let proposal_id = tx
        .create_proposal(unit, user.user_id, (&m.title, &m.body, m.link.as_deref()))
        .await?;
    let effects = Effects::audited(
        Some(user.user_id),
        "proposal.create",
        &format!("proposal:{proposal_id}"),
        "",
    )
    .notify(Notice::new(
        Audience::Officers,
        "proposal_new",
        "notice_proposal_new",
        serde_json::json!({"unit": user.unit_name.clone().unwrap_or_default(), "title": m.title}),
        "/proposals",
    ));
    tx.write_effects(&effects).await?;
    input
        .once
        .finish(&mut tx, user.user_id, "/proposals?notice=proposal_sent")
        .await?;
    tx.commit().await?;
    Ok(Proposed::Created { proposal_id })
}

/// Adopts pending proposal `id` as a city draft of campaign `campaign_id`; returns the draft.
pub async fn adopt(app: &App, user: &User, id: i64, campaign_id: i64) -> StepResult<i64> {
    require_planner(user)?;
    let proposal = app.store.proposal(id).await?;
    let campaign = match app.store.campaign(campaign_id).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Err(AppError::BadRequest("err_bad_request").into()),
        Err(e) => return Err(e.into()),
    };
    if proposal.status != "pending" {
        return Err(AppError::Conflict("err_proposal_decided").into());
    }
    let input = crate::posts::PostInput {
        title: proposal.title.clone(),
        body: proposal.body.clone(),
        link: proposal.link.clone().unwrap_or_default(),
        channels: vec!["facebook".into(), "portal".into()],
        ..Default::default()
    };
    let rec = crate::posts::build(&input, None).map_err(Refused::Invalid)?;
    // The draft, the decision, the audit line and the unit's notice are one transaction: an
    // adoption that fails half-way leaves no orphan draft.
    let mut tx = app.store.begin().await?;
    let post_id = tx
        .create_posts(campaign_id, user.user_id, PostStatus::Draft, &[rec])
        .await?[0];
    if !tx
        .decide_proposal(id, ("adopted", ""), Some(post_id), user.user_id)
        .await?
    {
        return Err(AppError::Conflict("err_proposal_decided").into());
    }
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
    tx.write_effects(&effects).await?;
    tx.commit().await?;
    Ok(post_id)
}

/// Declines pending proposal `id`, telling the unit why.
pub async fn decline(app: &App, user: &User, id: i64, reason: &str) -> StepResult<()> {
    require_planner(user)?;
    let proposal = app.store.proposal(id).await?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::BadRequest("err_proposal_reason").into());
    }
    let args = serde_json::json!({"title": proposal.title, "reason": reason});
    let effects = Effects::audited(
        Some(user.user_id),
        "proposal.decline",
        &format!("proposal:{id}"),
        reason,
    )
    .notify(Notice::new(
        Audience::Unit(proposal.unit_id),
        "proposal_declined",
        "notice_proposal_declined",
        args,
        "/proposals",
    ));
    let mut tx = app.store.begin().await?;
    if !tx
        .decide_proposal(id, ("declined", reason), None, user.user_id)
        .await?
    {
        return Err(AppError::Conflict("err_proposal_decided").into());
    }
    tx.write_effects(&effects).await?;
    tx.commit().await?;
    Ok(())
}
