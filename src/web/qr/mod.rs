//! QR posters for notice boards and grassroots meetings: one tracked link per ward (source
//! `qr`), its code as PNG and SVG, a printable A4 poster, and a register of where each poster
//! was put up. District staff work only with the wards of their own unit.

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::access::{AUTHORS, Access};
use super::campaigns::visible_campaign;
use super::form::pairs;
use super::session::Visitor;
use super::{AppState, Route};
use crate::engagement::{links, qr};
use crate::error::{AppError, AppResult};
use crate::store::{TrackedLink, Ward};

mod posters;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/campaigns/{id}/qr",
            Access::SignedIn,
            get(page),
        ),
        Route::new(Method::POST, "/campaigns/{id}/qr", AUTHORS, post(create)),
        Route::new(
            Method::GET,
            "/qr/{link}/code.png",
            Access::SignedIn,
            get(png),
        ),
        Route::new(
            Method::GET,
            "/qr/{link}/code.svg",
            Access::SignedIn,
            get(svg),
        ),
        Route::new(
            Method::GET,
            "/qr/{link}/poster",
            Access::SignedIn,
            get(posters::one),
        ),
        Route::new(
            Method::GET,
            "/campaigns/{id}/qr/posters",
            Access::SignedIn,
            get(posters::all),
        ),
        Route::new(
            Method::POST,
            "/campaigns/{id}/placements",
            AUTHORS,
            post(place),
        ),
    ]
}

/// The post page's engagement: metrics snapshots per channel account over time, and the
/// clicks on its tracked links (district staff see their own unit's links only).
pub async fn post_engagement(
    state: &AppState,
    user: &crate::store::User,
    post: &crate::store::Post,
    ctx: &mut tera::Context,
) -> AppResult<()> {
    let scope = crate::app::scope::unit_scope(&state.store, user).await?;
    let deliveries = state.store.deliveries_of_post(post.post_id).await?;
    let snapshots = state.store.post_snapshots(post.post_id).await?;
    let mut series = Vec::new();
    for d in &deliveries {
        let rows: Vec<_> = snapshots
            .iter()
            .filter(|s| s.delivery_id == d.delivery_id)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let account = state.store.account(d.account_id).await?;
        series
            .push(serde_json::json!({"account": account.name, "kind": account.kind, "rows": rows}));
    }
    let links: Vec<_> = state
        .store
        .post_link_clicks(post.post_id)
        .await?
        .into_iter()
        .filter(|l| scope.as_ref().is_none_or(|s| l.unit_id == Some(s.unit_id)))
        .collect();
    ctx.insert("metric_series", &series);
    ctx.insert("link_clicks", &links);
    ctx.insert("link_base", &state.config.link_base_url);
    Ok(())
}

/// The wards of a campaign this visitor may work with.
pub(super) async fn my_wards(
    state: &AppState,
    v: &Visitor,
    campaign_id: i64,
) -> AppResult<Vec<Ward>> {
    let wards = state.store.campaign_wards(campaign_id).await?;
    Ok(
        match crate::app::scope::unit_scope(&state.store, v.user()?).await? {
            None => wards,
            Some(scope) => wards
                .into_iter()
                .filter(|w| w.district_code == scope.code || w.code == scope.code)
                .collect(),
        },
    )
}

async fn page(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let campaign = visible_campaign(&state, &v, id).await?;
    let wards = my_wards(&state, &v, id).await?;
    let codes: Vec<_> = state
        .store
        .campaign_qr_codes(id)
        .await?
        .into_iter()
        .filter(|c| {
            c.unit_id
                .is_some_and(|u| wards.iter().any(|w| w.area_id == u))
        })
        .collect();
    let placements: Vec<_> = state
        .store
        .campaign_placements(id)
        .await?
        .into_iter()
        .filter(|p| codes.iter().any(|c| c.link_id == p.link_id))
        .collect();
    let without: Vec<&Ward> = wards
        .iter()
        .filter(|w| !codes.iter().any(|c| c.unit_id == Some(w.area_id)))
        .collect();
    // The checklist is read district by district, as wards are known on the ground.
    let mut groups: Vec<(String, String, Vec<&Ward>)> = Vec::new();
    for w in &without {
        match groups.last_mut() {
            Some(g) if g.0 == w.district_code => g.2.push(w),
            _ => groups.push((w.district_code.clone(), w.district_name.clone(), vec![w])),
        }
    }
    let mut ctx = state.context(&v);
    ctx.insert("campaign", &campaign);
    ctx.insert("codes", &codes);
    ctx.insert("wards_without", &without);
    ctx.insert("ward_groups", &groups);
    ctx.insert("placements", &placements);
    ctx.insert("link_base", &state.config.link_base_url);
    ctx.insert(
        "today",
        &crate::clock::to_hanoi(crate::clock::now_ms())
            .date()
            .to_string(),
    );
    Ok(state.page("engagement/qr.html", &ctx)?.into_response())
}

/// Creates QR links for the chosen wards (`ward` repeated, or `all=1`) to one destination.
async fn create(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    visible_campaign(&state, &v, id).await?;
    let form = pairs(&body);
    let destination = form
        .iter()
        .find(|(k, _)| k == "destination")
        .map(|(_, v)| v.trim())
        .unwrap_or("");
    let url = links::check_destination(destination)
        .map_err(|_| AppError::BadRequest("err_qr_destination"))?;
    let wards = my_wards(&state, &v, id).await?;
    let all = form.iter().any(|(k, v)| k == "all" && v == "1");
    let chosen: Vec<&Ward> = if all {
        wards.iter().collect()
    } else {
        let mut chosen = Vec::new();
        for (_, code) in form.iter().filter(|(k, _)| k == "ward") {
            // A ward outside the visitor's units is refused whole, not skipped.
            let w = wards
                .iter()
                .find(|w| &w.code == code)
                .ok_or(AppError::Forbidden)?;
            chosen.push(w);
        }
        chosen
    };
    if chosen.is_empty() {
        return Err(AppError::BadRequest("err_qr_no_ward"));
    }
    let specs: Vec<links::LinkSpec> = chosen
        .iter()
        .map(|w| links::LinkSpec {
            campaign_id: id,
            post_id: None,
            account_id: None,
            unit_id: Some(w.area_id),
            source: "qr",
            destination: destination.to_string(),
        })
        .collect();
    let rows: Vec<crate::store::LinkRow> = specs
        .iter()
        .zip(&chosen)
        .map(|(spec, w)| crate::store::LinkRow {
            spec,
            destination: links::with_utm(&url, "qr", "offline", &format!("loa-{id}"), &w.code),
            slug: links::new_slug(),
        })
        .collect();
    let made = state.store.ensure_links(&rows).await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/qr?made={}", made.len())).into_response())
}

/// A QR link the visitor may see: its campaign visible, its ward one of theirs.
pub(super) async fn visible_link(
    state: &AppState,
    v: &Visitor,
    link_id: i64,
) -> AppResult<TrackedLink> {
    let link = state.store.link(link_id).await?;
    if link.source != "qr" {
        return Err(AppError::NotFound);
    }
    visible_campaign(state, v, link.campaign_id).await?;
    let wards = my_wards(state, v, link.campaign_id).await?;
    if !wards.iter().any(|w| Some(w.area_id) == link.unit_id) {
        return Err(AppError::NotFound);
    }
    Ok(link)
}

pub(super) fn short_url(state: &AppState, link: &TrackedLink) -> String {
    format!("{}/{}", state.config.link_base_url, link.slug)
}

#[derive(Deserialize, Default)]
struct PngQuery {
    scale: Option<u32>,
}

async fn png(
    State(state): State<AppState>,
    v: Visitor,
    Path(link): Path<i64>,
    Query(q): Query<PngQuery>,
) -> AppResult<Response> {
    let link = visible_link(&state, &v, link).await?;
    let bytes =
        qr::png(&short_url(&state, &link), q.scale.unwrap_or(12)).map_err(AppError::Internal)?;
    let name = format!("attachment; filename=\"qr-{}.png\"", link.slug);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "image/png".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        bytes,
    )
        .into_response())
}

async fn svg(
    State(state): State<AppState>,
    v: Visitor,
    Path(link): Path<i64>,
) -> AppResult<Response> {
    let link = visible_link(&state, &v, link).await?;
    let url = short_url(&state, &link);
    let label = state
        .i18n
        .format(v.lang, "qr_svg_label", &[("url", url.clone())]);
    let text = qr::svg(&url, 512, &label).map_err(AppError::Internal)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], text).into_response())
}

async fn place(
    State(state): State<AppState>,
    v: Visitor,
    Path(campaign_id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let form = pairs(&body);
    let field = |k: &str| {
        form.iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let link_id: i64 = field("link")
        .parse()
        .map_err(|_| AppError::BadRequest("err_placement_link"))?;
    let link = visible_link(&state, &v, link_id).await?;
    if link.campaign_id != campaign_id {
        return Err(AppError::NotFound);
    }
    let place: String = field("place").chars().take(200).collect();
    let placed_on = field("placed_on");
    if place.is_empty() {
        return Err(AppError::BadRequest("err_placement_place"));
    }
    if time::Date::parse(
        &placed_on,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .is_err()
    {
        return Err(AppError::BadRequest("err_placement_date"));
    }
    let note: String = field("note").chars().take(500).collect();
    state
        .store
        .add_placement(link.link_id, &place, &placed_on, &note, v.user()?.user_id)
        .await?;
    Ok(Redirect::to(&format!(
        "/campaigns/{}/qr?placed=1#placements",
        link.campaign_id
    ))
    .into_response())
}
