//! The home page: who you are, and what to do next, for your role (`panels`): an officer's
//! queues, a unit's open kits and posts, a manager's figures of the month.

use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::access::Access;
use super::form::NoticeQuery;
use super::session::Visitor;
use super::{AppState, Route};
use crate::domain::Role;
use crate::error::AppResult;
use crate::store::UserFilter;

mod panels;

pub fn routes() -> Vec<Route> {
    vec![Route::new(Method::GET, "/", Access::SignedIn, get(home))]
}

async fn home(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let user = v.user()?;
    let snapshot = state.store.active_snapshot().await?;
    let now = crate::clock::now_ms();
    let mut ctx = state.context(&v);
    ctx.insert("snapshot", &snapshot);
    ctx.insert(
        "role_intro",
        state
            .i18n
            .text(v.lang, &format!("home_role_{}", user.role.as_str())),
    );
    if let Some(key) = q.key() {
        ctx.insert("notice", state.i18n.text(v.lang, key));
    }
    match user.role {
        Role::Admin => {
            let scope = crate::app::scope::scope_of(&state.store, user).await?;
            ctx.insert(
                "units_in_scope",
                &panels::units_in_scope(&state, &scope).await?,
            );
            let (_, users) = state.store.list_users(&UserFilter::default(), 1, 0).await?;
            ctx.insert("user_count", &users);
            ctx.insert("officer", &panels::officer(&state, now).await?);
        }
        Role::Officer => ctx.insert("officer", &panels::officer(&state, now).await?),
        Role::District => ctx.insert("district", &panels::district(&state, user, now).await?),
        Role::Manager => ctx.insert("manager", &panels::manager(&state, now).await?),
    }
    let bound_elsewhere = user.unit_snapshot.as_deref().is_some_and(|s| s != snapshot);
    ctx.insert("unit_outside_snapshot", &bound_elsewhere);
    Ok(state.page("home.html", &ctx)?.into_response())
}
