//! Printable A4 posters: one ward's, or every poster of a campaign the reader may print (their
//! own wards for a unit's staff), one per printed page. The message is the campaign's
//! objective unless the reader types a shorter one for this print.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{my_wards, short_url, visible_link};
use crate::engagement::qr;
use crate::error::{AppError, AppResult};
use crate::store::{Campaign, TrackedLink};
use crate::web::AppState;
use crate::web::campaigns::visible_campaign;
use crate::web::session::Visitor;

#[derive(Deserialize, Default)]
pub(super) struct PosterQuery {
    message: Option<String>,
}

/// The message printed under the title: the reader's own, or the campaign's objective.
fn message_of(q: PosterQuery, campaign: &Campaign) -> String {
    q.message
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| campaign.objective.clone())
        .chars()
        .take(400)
        .collect()
}

/// What one poster shows: its ward and district by name, the short link and its code.
async fn poster_of(state: &AppState, v: &Visitor, link: &TrackedLink) -> AppResult<serde_json::Value> {
    let ward = state.store.area_by_id(link.unit_id.unwrap_or(-1)).await?;
    let district = match &ward.parent_code {
        Some(code) => state.store.area_by_code(&ward.snapshot, code).await.ok(),
        None => None,
    };
    let url = short_url(state, link);
    let label = state.i18n.format(v.lang, "qr_svg_label", &[("url", url.clone())]);
    let svg = qr::svg(&url, 420, &label).map_err(AppError::Internal)?;
    Ok(serde_json::json!({
        "link_id": link.link_id, "ward": ward.name,
        "district": district.map(|d| d.name), "short_url": url, "qr_svg": svg,
    }))
}

pub(super) async fn one(
    State(state): State<AppState>,
    v: Visitor,
    Path(link_id): Path<i64>,
    Query(q): Query<PosterQuery>,
) -> AppResult<Response> {
    let link = visible_link(&state, &v, link_id).await?;
    let campaign = state.store.campaign(link.campaign_id).await?;
    let mut ctx = state.context(&v);
    ctx.insert("message", &message_of(q, &campaign));
    ctx.insert("campaign", &campaign);
    ctx.insert("posters", &[poster_of(&state, &v, &link).await?]);
    ctx.insert("single", &true);
    Ok(state.page("engagement/poster.html", &ctx)?.into_response())
}

/// Every QR poster of the campaign in the reader's wards, in the order of the QR page.
pub(super) async fn all(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    Query(q): Query<PosterQuery>,
) -> AppResult<Response> {
    let campaign = visible_campaign(&state, &v, id).await?;
    let wards = my_wards(&state, &v, id).await?;
    let mut posters = Vec::new();
    for code in state.store.campaign_qr_codes(id).await? {
        if !code
            .unit_id
            .is_some_and(|u| wards.iter().any(|w| w.area_id == u))
        {
            continue;
        }
        let link = state.store.link(code.link_id).await?;
        posters.push(poster_of(&state, &v, &link).await?);
    }
    let mut ctx = state.context(&v);
    ctx.insert("message", &message_of(q, &campaign));
    ctx.insert("campaign", &campaign);
    ctx.insert("posters", &posters);
    ctx.insert("single", &false);
    Ok(state.page("engagement/poster.html", &ctx)?.into_response())
}
