//! Planning a campaign: create and edit, each with its dimensions, target units, KPI targets
//! and audit line in one transaction. A repeated creating form makes one campaign.

use serde::Serialize;

use super::scope::require_planner;
use super::{App, Once, Refused, StepResult};
use crate::campaigns::CampaignInput;
use crate::store::{Effects, User};

#[derive(Clone, Debug, Serialize)]
pub enum Planned {
    Created { campaign_id: i64 },
    Repeat { location: String },
}

/// Creates a campaign from the planning form.
pub async fn create(
    app: &App,
    user: &User,
    input: &CampaignInput,
    once: &Once,
) -> StepResult<Planned> {
    require_planner(user)?;
    let rec = crate::campaigns::validate(&app.store, input)
        .await?
        .map_err(Refused::Invalid)?;
    let mut tx = app.store.begin().await?;
    if let Some(location) = once.claim(&mut tx, user.user_id).await? {
        return Ok(Planned::Repeat { location });
    }
    let campaign_id = tx.create_campaign(&rec, user.user_id).await?;
    tx.write_effects(&Effects::audited(
        Some(user.user_id),
        "campaign.create",
        &format!("campaign:{campaign_id}"),
        &rec.title,
    ))
    .await?;
    once.finish(&mut tx, user.user_id, &format!("/campaigns/{campaign_id}"))
        .await?;
    tx.commit().await?;
    Ok(Planned::Created { campaign_id })
}

/// Replaces campaign `id`'s plan if `version` is still the one the form opened.
pub async fn update(
    app: &App,
    user: &User,
    id: i64,
    version: i64,
    input: &CampaignInput,
) -> StepResult<()> {
    require_planner(user)?;
    let rec = crate::campaigns::validate(&app.store, input)
        .await?
        .map_err(Refused::Invalid)?;
    let mut tx = app.store.begin().await?;
    tx.update_campaign(id, version, &rec).await?;
    tx.write_effects(&Effects::audited(
        Some(user.user_id),
        "campaign.update",
        &format!("campaign:{id}"),
        &rec.title,
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}
