//! PAPI: the 8 dimensions and their sub-dimensions, and Hanoi's published results. The group
//! (quartile) comes first and ranks are marked unofficial, as UNDP asks: PAPI does not rank.

use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::access::Access;
use super::session::Visitor;
use super::{AppState, Route};
use crate::error::AppResult;
use crate::i18n::Lang;

pub fn routes() -> Vec<Route> {
    vec![Route::new(
        Method::GET,
        "/papi",
        Access::SignedIn,
        get(show),
    )]
}

#[derive(Serialize)]
struct DimensionView {
    code: String,
    name: String,
    scale: String,
    since: i64,
    medium_confidence: bool,
    subs: Vec<DimensionView>,
}

#[derive(Serialize)]
struct YearView {
    year: i64,
    total: Option<f64>,
    /// The quartile group, named in the reader's language: what PAPI itself publishes.
    group_label: String,
    rank: Option<i64>,
    /// Score per dimension D1..D8, in order; `None` where not published.
    scores: Vec<Option<f64>>,
    notes: String,
    sources: Vec<String>,
}

async fn show(State(state): State<AppState>, v: Visitor) -> AppResult<Response> {
    v.user()?;
    let dims = state.store.papi_dimensions().await?;
    let name = |d: &crate::store::PapiDimension| {
        if v.lang == Lang::En {
            d.name_en.clone()
        } else {
            d.name_vi.clone()
        }
    };
    let view = |d: &crate::store::PapiDimension| DimensionView {
        code: d.code.clone(),
        name: name(d),
        scale: format!("{}–{}", d.scale_min, d.scale_max),
        since: d.since,
        medium_confidence: d.confidence == "medium",
        subs: Vec::new(),
    };
    let mut dimensions: Vec<DimensionView> = dims
        .iter()
        .filter(|d| d.level == "dimension")
        .map(view)
        .collect();
    for sub in dims.iter().filter(|d| d.level == "sub-dimension") {
        if let Some(parent) = dimensions
            .iter_mut()
            .find(|p| Some(&p.code) == sub.parent_code.as_ref())
        {
            parent.subs.push(view(sub));
        }
    }
    let scores = state.store.papi_scores().await?;
    let years: Vec<YearView> = state
        .store
        .papi_results()
        .await?
        .into_iter()
        .rev()
        .map(|r| YearView {
            year: r.year,
            total: r.total,
            group_label: match r.group_no {
                Some(g @ 1..=4) => state
                    .i18n
                    .text(v.lang, &format!("papi_group_{g}"))
                    .to_string(),
                _ => "–".to_string(),
            },
            rank: r.rank_of_63,
            scores: dimensions
                .iter()
                .map(|d| {
                    scores
                        .iter()
                        .find(|s| s.year == r.year && s.dimension_code == d.code)
                        .map(|s| s.score)
                })
                .collect(),
            notes: r.notes,
            sources: r
                .sources
                .split(';')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        })
        .collect();
    let mut ctx = state.context(&v);
    ctx.insert("dimensions", &dimensions);
    ctx.insert("years", &years);
    Ok(state.page("papi/index.html", &ctx)?.into_response())
}
