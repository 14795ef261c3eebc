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
    let bound_elsewhere = user.unit_snapshot.as_deref().is_some_and(|s| s != snapshot);
    ctx.insert("unit_outside_snapshot", &bound_elsewhere);
    Ok(state.page("home.html", &ctx)?.into_response())
}
