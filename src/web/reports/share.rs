//! Shareable read-only report links. The link carries a random token; only its SHA-256 is
//! stored, with the report's query (the period fixed as explicit days, so the shared report
//! does not drift, and the comparison period it was made with) and an expiry. Officers, admins
//! and managers create and revoke them; the list names each report in words. Anyone holding an
//! unexpired link sees the city-wide report read-only; an expired or revoked link gets a clear
//! page, never the report.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Params;
use crate::domain::FieldError;
use crate::error::{AppError, AppResult};
use crate::format;
use crate::i18n::Lang;
use crate::reports::period::{Span, span_of};
use crate::store::{Scope, StoreError};
use crate::web::AppState;
use crate::web::session::Visitor;

pub const MAX_DAYS: i64 = 90;

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn params_of(query: &str) -> Params {
    let mut p = Params::default();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let v = Some(v.into_owned());
        match k.as_ref() {
            "period" => p.period = v,
            "from" => p.from = v,
            "to" => p.to = v,
            "campaign" => p.campaign = v,
            "dimension" => p.dimension = v,
            "district" => p.district = v,
            "prev_from" => p.prev_from = v,
            "prev_to" => p.prev_to = v,
            _ => {}
        }
    }
    p
}

#[derive(Serialize)]
struct ShareView {
    share_id: i64,
    query: String,
    /// The report in words: "Tháng 12/2026 · Quận Ba Đình".
    name: String,
    created_by: String,
    created_at: i64,
    expires_at: i64,
    revoked: bool,
    expired: bool,
}

/// Names a stored report query: its period ("Tháng 12/2026 (đến 03/12)", "Quý 4/2026",
/// "28/11–03/12/2026"), then its unit, campaign and PAPI dimension when it has them.
async fn describe(state: &AppState, lang: Lang, query: &str) -> AppResult<String> {
    let p = params_of(query);
    let t = |key: &str, args: &[(&str, String)]| state.i18n.format(lang, key, args);
    let day = |s: &Option<String>| {
        s.as_deref()
            .and_then(|d| crate::reports::period::parse_day("day", d).ok())
    };
    let mut parts = Vec::new();
    if let (Some(from), Some(to)) = (day(&p.from), day(&p.to)) {
        let (span, whole) = span_of(from, to);
        let mut name = match span {
            Span::Month { month, year } => t(
                "share_name_month",
                &[("month", month.to_string()), ("year", year.to_string())],
            ),
            Span::Quarter { quarter, year } => t(
                "share_name_quarter",
                &[("quarter", quarter.to_string()), ("year", year.to_string())],
            ),
            Span::Year { year } => t("share_name_year", &[("year", year.to_string())]),
            Span::Days => format::date_range(from, to),
        };
        if !whole {
            name.push(' ');
            name.push_str(&t("share_name_to_date", &[("day", format::day_month(to))]));
        }
        parts.push(name);
    }
    if let Some(code) = p.district.as_deref() {
        let snapshot = state.store.active_snapshot().await?;
        match state.store.area_by_code(&snapshot, code).await {
            Ok(a) => parts.push(a.name),
            Err(_) => parts.push(code.to_string()),
        }
    } else {
        parts.push(t("share_name_city", &[]));
    }
    if let Some(id) = p.campaign.as_deref().and_then(|c| c.parse::<i64>().ok()) {
        let titles = state.store.campaign_titles().await?;
        if let Some((_, title)) = titles.iter().find(|(c, _)| *c == id) {
            parts.push(title.clone());
        }
    }
    if let Some(d) = p.dimension {
        parts.push(format!("{} {d}", t("report_dimension", &[])));
    }
    Ok(parts.join(" · "))
}

async fn page(
    state: &AppState,
    v: &Visitor,
    created: Option<String>,
    errors: &[FieldError],
) -> AppResult<Response> {
    let now = crate::clock::now_ms();
    let mut shares = Vec::new();
    for s in state.store.list_shares().await? {
        shares.push(ShareView {
            share_id: s.share_id,
            name: describe(state, v.lang, &s.query).await?,
            query: s.query,
            created_by: s.created_by,
            created_at: s.created_at,
            expires_at: s.expires_at,
            revoked: s.revoked_at.is_some(),
            expired: s.expires_at <= now,
        });
    }
    let mut ctx = state.context(v);
    ctx.insert("shares", &shares);
    ctx.insert("created", &created);
    ctx.insert("max_days", &MAX_DAYS);
    ctx.insert("errors", &state.form_errors(v, errors));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    state.page_with_status(status, "reports/shares.html", &ctx)
}

pub async fn list(State(state): State<AppState>, v: Visitor) -> AppResult<Response> {
    v.user()?;
    page(&state, &v, None, &[]).await
}

#[derive(Deserialize)]
pub struct NewShare {
    #[serde(default)]
    q: String,
    #[serde(default)]
    days: String,
}

pub async fn create(
    State(state): State<AppState>,
    v: Visitor,
    axum::Form(form): axum::Form<NewShare>,
) -> AppResult<Response> {
    let user = v.user()?;
    let mut errors = Vec::new();
    let days = match form.days.trim().parse::<i64>() {
        Ok(d) if (1..=MAX_DAYS).contains(&d) => d,
        _ => {
            errors.push(FieldError::new("days", "err_share_days").arg("max", MAX_DAYS));
            0
        }
    };
    let query = match params_of(&form.q).query(&state, Scope::City).await {
        Ok(q) => Some(q),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    // A unit the map does not have would give its holder only "not found".
    if let Some(q) = &query
        && let Some(code) = &q.district
    {
        match state.store.area_by_code(&q.snapshot, code).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                errors.push(FieldError::new("district", "err_report_district").arg("value", code))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let (Some(q), true) = (query, errors.is_empty()) else {
        return page(&state, &v, None, &errors).await;
    };
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let stored = params_of(&form.q).link(&q);
    let expires = crate::clock::now_ms() + days * 86_400_000;
    state
        .store
        .create_share(&hash(&token), &stored, user.user_id, expires)
        .await?;
    let url = format!(
        "{}/shared/{token}",
        state.config.public_url.trim_end_matches('/')
    );
    page(&state, &v, Some(url), &[]).await
}

pub async fn revoke(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    v.user()?;
    state.store.revoke_share(id).await?;
    Ok(axum::response::Redirect::to("/reports/shares").into_response())
}

pub async fn show(
    State(state): State<AppState>,
    v: Visitor,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let gone = |state: &AppState, v: &Visitor, key: &str| -> AppResult<Response> {
        let mut ctx = state.context(v);
        ctx.insert("reason", key);
        state.page_with_status(StatusCode::GONE, "reports/shared_gone.html", &ctx)
    };
    if token.len() > 100 {
        return gone(&state, &v, "share_unknown");
    }
    let share = match state.store.share_by_hash(&hash(&token)).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => return gone(&state, &v, "share_unknown"),
        Err(e) => return Err(AppError::from(e)),
    };
    if share.revoked_at.is_some() {
        return gone(&state, &v, "share_revoked");
    }
    if share.expires_at <= crate::clock::now_ms() {
        return gone(&state, &v, "share_expired");
    }
    super::view::render(
        &state,
        &v,
        &params_of(&share.query),
        Scope::City,
        Some(share.expires_at),
    )
    .await
}
