//! `/reports/population`: residents per reporting unit, with the year and source of each
//! figure (engagement per 1,000 residents is only shown where one is recorded). All rows are
//! checked first; one bad row stores nothing and every problem names its unit and field.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use crate::domain::FieldError;
use crate::error::AppResult;
use crate::web::AppState;
use crate::web::session::Visitor;

/// Larger than any Vietnamese province; anything above is a typing slip.
pub const MAX_POPULATION: i64 = 20_000_000;

#[derive(Serialize)]
struct UnitRow {
    area_id: i64,
    code: String,
    name: String,
    population: String,
    year: String,
    source: String,
}

async fn units(
    state: &AppState,
    entered: Option<&HashMap<String, String>>,
) -> AppResult<Vec<UnitRow>> {
    let snapshot = state.store.active_snapshot().await?;
    let level = state.store.reporting_level(&snapshot).await?;
    let known = state.store.populations(&snapshot).await?;
    Ok(state
        .store
        .area_codes_at_level(&snapshot, level)
        .await?
        .into_iter()
        .map(|(area_id, code, name)| {
            let p = known.iter().find(|p| p.area_id == area_id);
            let field = |f: &str, stored: Option<String>| match entered {
                Some(form) => form
                    .get(&format!("{f}_{code}"))
                    .cloned()
                    .unwrap_or_default(),
                None => stored.unwrap_or_default(),
            };
            UnitRow {
                population: field("population", p.map(|p| p.population.to_string())),
                year: field("year", p.map(|p| p.year.to_string())),
                source: field("source", p.map(|p| p.source.clone())),
                area_id,
                code,
                name,
            }
        })
        .collect())
}

async fn page(
    state: &AppState,
    v: &Visitor,
    rows: Vec<UnitRow>,
    errors: &[FieldError],
    saved: bool,
) -> AppResult<Response> {
    let mut ctx = state.context(v);
    ctx.insert("rows", &rows);
    ctx.insert("saved", &saved);
    ctx.insert("errors", &state.form_errors(v, errors));
    ctx.insert(
        "error_list",
        &errors
            .iter()
            .map(|e| state.i18n.field_error(v.lang, e))
            .collect::<Vec<_>>(),
    );
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    state.page_with_status(status, "reports/population.html", &ctx)
}

pub async fn form(
    State(state): State<AppState>,
    v: Visitor,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> AppResult<Response> {
    v.user()?;
    let rows = units(&state, None).await?;
    page(&state, &v, rows, &[], q.contains_key("saved")).await
}

/// One unit's three fields; all empty means "not recorded" and is left as it is.
pub fn parse_row(
    code: &str,
    population: &str,
    year: &str,
    source: &str,
    this_year: i32,
) -> Result<Option<(i64, i64, String)>, Vec<FieldError>> {
    let (population, year, source) = (population.trim(), year.trim(), source.trim());
    if population.is_empty() && year.is_empty() && source.is_empty() {
        return Ok(None);
    }
    let mut errors = Vec::new();
    let digits: String = population
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' '))
        .collect();
    let pop = match digits.parse::<i64>() {
        Ok(n) if (1..=MAX_POPULATION).contains(&n) => n,
        _ => {
            errors.push(
                FieldError::new(&format!("population_{code}"), "err_population")
                    .arg("unit", code)
                    .arg("max", MAX_POPULATION),
            );
            0
        }
    };
    let y = match year.parse::<i64>() {
        Ok(y) if (1990..=this_year as i64).contains(&y) => y,
        _ => {
            errors.push(
                FieldError::new(&format!("year_{code}"), "err_population_year")
                    .arg("unit", code)
                    .arg("max", this_year),
            );
            0
        }
    };
    if source.is_empty() || source.chars().count() > 200 {
        errors.push(
            FieldError::new(&format!("source_{code}"), "err_population_source").arg("unit", code),
        );
    }
    if errors.is_empty() {
        Ok(Some((pop, y, source.to_string())))
    } else {
        Err(errors)
    }
}

pub async fn save(
    State(state): State<AppState>,
    v: Visitor,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let user = v.user()?;
    let rows = units(&state, Some(&form)).await?;
    let this_year = crate::reports::period::today().year();
    let mut errors = Vec::new();
    let mut valid = Vec::new();
    for r in &rows {
        match parse_row(&r.code, &r.population, &r.year, &r.source, this_year) {
            Ok(Some((pop, year, source))) => valid.push((r.area_id, pop, year, source)),
            Ok(None) => {}
            Err(e) => errors.extend(e),
        }
    }
    if !errors.is_empty() {
        return page(&state, &v, rows, &errors, false).await;
    }
    state.store.set_populations(&valid, user.user_id).await?;
    Ok(Redirect::to("/reports/population?saved=1").into_response())
}
