//! `/reports`: the district report for managers, officers and district staff (their own unit
//! and its wards only), its pictures, exports, population data and shareable links.
//! Everything is GET except population edits and share links (officers and admins).

mod export;
mod population;
mod share;
mod view;

use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::access::{Access, PLANNERS};
use super::session::Visitor;
use super::{AppState, Route};
use crate::domain::FieldError;
use crate::error::{AppError, AppResult};
use crate::store::{ReportQuery, Scope};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/reports", Access::SignedIn, get(show)),
        Route::new(
            Method::GET,
            "/reports/export.csv",
            Access::SignedIn,
            get(export::csv),
        ),
        Route::new(
            Method::GET,
            "/reports/export.xlsx",
            Access::SignedIn,
            get(export::xlsx),
        ),
        Route::new(
            Method::GET,
            "/reports/population",
            PLANNERS,
            get(population::form),
        ),
        Route::new(
            Method::POST,
            "/reports/population",
            PLANNERS,
            axum::routing::post(population::save),
        ),
        Route::new(Method::GET, "/reports/shares", PLANNERS, get(share::list)),
        Route::new(
            Method::POST,
            "/reports/shares",
            PLANNERS,
            axum::routing::post(share::create),
        ),
        Route::new(
            Method::POST,
            "/reports/shares/{id}/revoke",
            PLANNERS,
            axum::routing::post(share::revoke),
        ),
        Route::new(
            Method::GET,
            "/shared/{token}",
            Access::Public,
            get(share::show),
        ),
    ]
}

/// The report's query string. Everything is optional; the default is this month.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
pub struct Params {
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub campaign: Option<String>,
    pub dimension: Option<String>,
    pub district: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub measure: Option<String>,
    pub table: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Params {
    /// The report query, or every field that is wrong.
    pub async fn query(
        &self,
        state: &AppState,
        scope: Scope,
    ) -> Result<ReportQuery, Vec<FieldError>> {
        let mut errors = Vec::new();
        let period = nonempty(&self.period).unwrap_or("month");
        let (from, to) = match crate::reports::period::resolve(
            period,
            nonempty(&self.from),
            nonempty(&self.to),
            crate::reports::period::today(),
        ) {
            Ok(p) => p,
            Err(e) => {
                errors.push(e);
                let t = crate::reports::period::today();
                (t, t)
            }
        };
        let campaign_id = match nonempty(&self.campaign) {
            None => None,
            Some(c) => match c.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    errors.push(FieldError::new("campaign", "err_report_campaign"));
                    None
                }
            },
        };
        let dimension = nonempty(&self.dimension).map(str::to_string);
        if let Some(d) = &dimension {
            let known = state.store.papi_dimensions().await.unwrap_or_default();
            if !known.iter().any(|k| k.level == "dimension" && k.code == *d) {
                errors.push(FieldError::new("dimension", "err_report_dimension"));
            }
        }
        let snapshot = state
            .store
            .active_snapshot()
            .await
            .unwrap_or_else(|_| "2024".into());
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ReportQuery {
            snapshot,
            from,
            to,
            campaign_id,
            dimension,
            district: nonempty(&self.district).map(str::to_string),
            scope,
        })
    }

    /// The same report as a query string, without sorting or table choice.
    pub fn link(&self, q: &ReportQuery) -> String {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        pairs.append_pair("period", "custom");
        pairs.append_pair("from", &q.from.to_string());
        pairs.append_pair("to", &q.to.to_string());
        if let Some(c) = q.campaign_id {
            pairs.append_pair("campaign", &c.to_string());
        }
        if let Some(d) = &q.dimension {
            pairs.append_pair("dimension", d);
        }
        if let Some(d) = &q.district {
            pairs.append_pair("district", d);
        }
        pairs.finish()
    }
}

async fn show(
    State(state): State<AppState>,
    v: Visitor,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let user = v.user()?;
    let scope = super::areas::scope_of(&state, user).await?;
    view::render(&state, &v, &p, scope, None).await
}

/// A district code in the query that does not exist or is outside the reader's scope.
fn unknown_unit() -> AppError {
    AppError::NotFound
}
