//! The home page: who you are, which unit you work for, and where to go from here.

use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::access::Access;
use super::session::Visitor;
use super::{AppState, Route};
use crate::error::AppResult;
use crate::store::{AreaFilter, UserFilter};

pub fn routes() -> Vec<Route> {
    vec![Route::new(Method::GET, "/", Access::SignedIn, get(home))]
}

/// Notices a redirect may ask the next page to show; anything else is ignored.
pub const NOTICES: &[&str] = &[
    "password_changed",
    "settings_saved",
    "user_updated",
    "user_disabled",
    "user_enabled",
    "post_saved",
    "metrics_refresh_queued",
    "post_back_to_review",
    "post_submit",
    "post_approve",
    "post_request_changes",
    "post_schedule",
    "post_unschedule",
    "post_cancel",
    "post_reopen",
    "post_rescheduled",
    "media_saved",
    "account_saved",
    "kit_created",
    "kit_shared",
    "kit_declined",
    "kit_withdrawn",
    "kit_reminded",
    "proposal_sent",
    "proposal_adopted",
    "proposal_declined",
];

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

impl NoticeQuery {
    pub fn key(&self) -> Option<&'static str> {
        self.notice
            .as_deref()
            .and_then(|n| NOTICES.iter().copied().find(|k| *k == n))
    }
}

async fn home(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let user = v.user()?;
    let snapshot = state.store.active_snapshot().await?;
    let scope = super::areas::scope_of(&state, user).await?;
    // City roles count the units the city reports by (districts, or communes in 2025-07).
    let level = match scope {
        crate::store::Scope::City => {
            Some(state.store.reporting_level(&snapshot).await?.to_string())
        }
        _ => None,
    };
    let filter = AreaFilter {
        level,
        ..AreaFilter::default()
    };
    let (_, units_in_scope) = state
        .store
        .list_areas(&snapshot, &scope, &filter, 1, 0)
        .await?;
    let mut ctx = state.context(&v);
    ctx.insert("snapshot", &snapshot);
    ctx.insert("units_in_scope", &units_in_scope);
    ctx.insert(
        "role_intro",
        state
            .i18n
            .text(v.lang, &format!("home_role_{}", user.role.as_str())),
    );
    if let Some(key) = q.key() {
        ctx.insert("notice", state.i18n.text(v.lang, key));
    }
    if user.role == crate::domain::Role::Admin {
        let (_, users) = state.store.list_users(&UserFilter::default(), 1, 0).await?;
        ctx.insert("user_count", &users);
    }
    // Unit staff see their unit's open kits first: the master text filled for them is one
    // click away.
    if let (crate::domain::Role::District, Some(unit)) = (user.role, user.unit_id) {
        let now = crate::clock::now_ms();
        let values = crate::kits::values_for_unit(&state.store, unit).await?;
        let kits: Vec<serde_json::Value> = state
            .store
            .open_kits_for_unit(unit)
            .await?
            .into_iter()
            .map(|(kit, t)| {
                let st = crate::kits::unit_state(&kit, &t, now);
                let title = crate::kits::fill(&kit.title, &values);
                serde_json::json!({"kit": kit, "t": t, "state": st, "title": title})
            })
            .collect();
        ctx.insert("kits", &kits);
        ctx.insert("unit_code", &user.unit_code);
    }
    let bound_elsewhere = user.unit_snapshot.as_deref().is_some_and(|s| s != snapshot);
    ctx.insert("unit_outside_snapshot", &bound_elsewhere);
    Ok(state.page("home.html", &ctx)?.into_response())
}
