//! Publishing as people see it: each delivery of a post (state, attempts, next attempt, remote
//! link, last error), an officer's decisions on one (retry, cancel, mark as published by hand),
//! and the publishing health page (accounts that need a person, dead letters).

use axum::extract::{Path, RawForm, State};
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::access::{Access, PLANNERS};
use super::posts::pairs;
use super::session::Visitor;
use super::{AppState, Route};
use crate::error::{AppError, AppResult};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::POST, "/deliveries/{id}", PLANNERS, post(decide)),
        Route::new(Method::GET, "/publishing", Access::SignedIn, get(health)),
        Route::new(
            Method::POST,
            "/posts/{id}/metrics",
            PLANNERS,
            post(refresh_metrics),
        ),
    ]
}

/// The rows the post page shows, with each account's name and kind.
pub async fn for_post(state: &AppState, post_id: i64) -> AppResult<Vec<serde_json::Value>> {
    let mut rows = Vec::new();
    for d in state.store.deliveries_of_post(post_id).await? {
        let account = state.store.account(d.account_id).await?;
        let waiting = ["pending", "retry", "unconfirmed"].contains(&d.state.as_str());
        rows.push(serde_json::json!({
            "d": d, "account": account.name, "kind": account.kind, "sandbox": account.sandbox,
            "next_at": waiting.then_some(d.due_at),
        }));
    }
    Ok(rows)
}

/// "Refresh now": the post's published deliveries are read back at the poller's next round.
async fn refresh_metrics(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    super::posts::readable_post(&state, v.user()?, id).await?;
    state
        .store
        .refresh_post_metrics(id, crate::clock::now_ms())
        .await?;
    Ok(Redirect::to(&format!(
        "/posts/{id}?notice=metrics_refresh_queued#engagement"
    ))
    .into_response())
}

async fn decide(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let form = pairs(&body);
    let field = |n: &str| {
        form.iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let decision = field("decision");
    let url = field("remote_url");
    let url = Some(url.as_str()).filter(|u| u.starts_with("https://") || u.starts_with("http://"));
    let post_id: i64 = field("post_id")
        .parse()
        .map_err(|_| AppError::BadRequest("err_bad_request"))?;
    let belongs = state
        .store
        .deliveries_of_post(post_id)
        .await?
        .iter()
        .any(|d| d.delivery_id == id);
    if !belongs {
        return Err(AppError::NotFound);
    }
    if !state.store.delivery_decision(id, &decision, url).await? {
        return Err(AppError::Conflict("err_delivery_decision"));
    }
    state.store.settle_post(post_id).await?;
    state
        .store
        .audit(
            Some(user.user_id),
            &format!("delivery.{decision}"),
            &format!("delivery:{id}"),
            "",
        )
        .await?;
    Ok(Redirect::to(&format!("/posts/{post_id}#deliveries")).into_response())
}

async fn health(State(state): State<AppState>, v: Visitor) -> AppResult<Response> {
    let accounts: Vec<_> = state
        .store
        .list_accounts(None)
        .await?
        .into_iter()
        .filter(|a| a.status == "needs_reauth")
        .collect();
    let mut ctx = state.context(&v);
    ctx.insert("accounts", &accounts);
    ctx.insert("counts", &state.store.delivery_counts().await?);
    ctx.insert("dead", &state.store.dead_letters(100).await?);
    Ok(state.page("publishing.html", &ctx)?.into_response())
}
