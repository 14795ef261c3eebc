//! `/reports`: the district report for managers, officers and district staff (their own unit
//! and its wards only), its pictures, exports, population data and shareable links.
//! Everything is GET except population edits (officers and admins) and share links (officers,
//! admins and managers).

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
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::store::{ReportQuery, Scope};

/// Who makes and revokes read-only share links: planners, and managers, who read the whole
/// city and are the ones taking reports to meetings (a link changes no data).
const SHARERS: Access = Access::Roles(&[Role::Admin, Role::Officer, Role::Manager]);

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
        Route::new(Method::GET, "/reports/shares", SHARERS, get(share::list)),
        Route::new(
            Method::POST,
            "/reports/shares",
            SHARERS,
            axum::routing::post(share::create),
        ),
        Route::new(
            Method::POST,
            "/reports/shares/{id}/revoke",
            SHARERS,
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
    /// The comparison period of a custom report, kept by share links and exports so a shared
    /// month-to-date is still compared with the same days of the month before.
    pub prev_from: Option<String>,
    pub prev_to: Option<String>,
    /// `all`: every column of the unit table instead of the key measures.
    pub cols: Option<String>,
    /// `1`: units with nothing in the period as rows (last) instead of one line of names.
    pub quiet: Option<String>,
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
        let (from, to, mut compare) = match crate::reports::period::resolve(
            period,
            nonempty(&self.from),
            nonempty(&self.to),
            crate::reports::period::today(),
        ) {
            Ok(p) => (p.from, p.to, p.previous),
            Err(e) => {
                errors.push(e);
                let t = crate::reports::period::today();
                (t, t, (t, t))
            }
        };
        if period == "custom"
            && let (Some(pf), Some(pt)) = (nonempty(&self.prev_from), nonempty(&self.prev_to))
        {
            match crate::reports::period::explicit_previous(pf, pt) {
                Ok(p) => compare = p,
                Err(e) => errors.push(e),
            }
        }
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
            compare: Some(compare),
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
        let (pf, pt) = q.previous();
        if (pf, pt) != crate::reports::period::just_before(q.from, q.to) {
            pairs.append_pair("prev_from", &pf.to_string());
            pairs.append_pair("prev_to", &pt.to_string());
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
    let scope = crate::app::scope::scope_of(&state.store, user).await?;
    view::render(&state, &v, &p, scope, None).await
}

/// A district code in the query that does not exist or is outside the reader's scope.
fn unknown_unit() -> AppError {
    AppError::NotFound
}
