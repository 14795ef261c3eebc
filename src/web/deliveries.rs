//! Publishing as people see it: each delivery of a post (state, attempts, next attempt, remote
//! link, last error), an officer's decisions on one (retry, cancel, mark as published by hand),
//! and the publishing page: the queue of what goes out next, what is in flight, counts by state
//! with their lists, accounts that need a person and dead letters, each problem explained.

use axum::extract::{Path, Query, RawForm, State};
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::access::{Access, PLANNERS};
use super::form::pairs;
use super::problems;
use super::session::Visitor;
use super::{AppState, Route};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::states::Decision;
use crate::store::QueueRow;
use serde::Deserialize;

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

/// The rows the post page shows, with each account's name and kind and each problem
/// explained (`problems`).
pub async fn for_post(
    state: &AppState,
    v: &Visitor,
    post_id: i64,
) -> AppResult<Vec<serde_json::Value>> {
    let now = crate::clock::now_ms();
    let mut rows = Vec::new();
    for d in state.store.deliveries_of_post(post_id).await? {
        let account = state.store.account(d.account_id).await?;
        let waiting = ["pending", "retry", "unconfirmed"].contains(&d.state.as_str());
        let problem = problems::for_delivery(
            d.state.as_str(),
            &d.last_error_class,
            &d.last_error,
            d.due_at,
            d.account_id,
        )
        .map(|e| problems::show(&state.i18n, v.lang, &e, &d.last_error, now));
        rows.push(serde_json::json!({
            "d": d, "account": account.name, "kind": account.kind, "sandbox": account.sandbox,
            "next_at": waiting.then_some(d.due_at), "problem": problem,
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
    crate::app::scope::readable_post(&state.store, v.user()?, id).await?;
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
    let decision = Decision::parse(&decision).ok_or(AppError::BadRequest("err_bad_request"))?;
    // The post must be one the officer may read (scope), then the step is one transaction.
    crate::app::scope::readable_post(&state.store, &user, post_id).await?;
    crate::app::deliveries::decide(&state, &user, post_id, id, decision, url)
        .await
        .map_err(|r| match r.into_errors() {
            Ok(_) => AppError::Conflict("err_delivery_decision"),
            Err(e) => e,
        })?;
    Ok(Redirect::to(&format!("/posts/{post_id}#deliveries")).into_response())
}

#[derive(Deserialize, Default)]
struct HealthQuery {
    state: Option<String>,
}

/// Delivery states a reader may list on their own.
const STATES: [&str; 8] = [
    "pending",
    "sending",
    "retry",
    "unconfirmed",
    "paused",
    "published",
    "failed",
    "cancelled",
];

/// Queue rows as the page shows them: the problem, if any, explained.
fn shown(state: &AppState, v: &Visitor, rows: Vec<QueueRow>, now: i64) -> Vec<serde_json::Value> {
    rows.into_iter()
        .map(|r| {
            let problem = problems::for_delivery(
                r.state.as_str(),
                &r.last_error_class,
                &r.last_error,
                r.due_at,
                r.account_id,
            )
            .map(|e| problems::show(&state.i18n, v.lang, &e, &r.last_error, now));
            serde_json::json!({"r": r, "problem": problem})
        })
        .collect()
}

/// What goes out next, what is in flight, counts by state (each a link to its list), accounts
/// to reconnect and the dead letters. District staff read only their unit's.
async fn health(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<HealthQuery>,
) -> AppResult<Response> {
    let user = v.user()?;
    let unit = match user.role {
        Role::District => Some(user.unit_id.unwrap_or(-1)),
        _ => None,
    };
    let now = crate::clock::now_ms();
    let accounts: Vec<_> = state
        .store
        .list_accounts(unit)
        .await?
        .into_iter()
        .filter(|a| a.status == crate::states::AccountStatus::NeedsReauth)
        .map(|a| {
            let problem = problems::show(
                &state.i18n,
                v.lang,
                &problems::for_delivery(
                    "paused",
                    "needs_reauth",
                    &a.status_reason,
                    now,
                    a.account_id,
                )
                .expect("a paused account has a problem"),
                &a.status_reason,
                now,
            );
            serde_json::json!({"a": a, "problem": problem})
        })
        .collect();
    let store = &state.store;
    let mut ctx = state.context(&v);
    ctx.insert("accounts", &accounts);
    ctx.insert("counts", &store.queue_counts(unit).await?);
    ctx.insert(
        "next",
        &shown(&state, &v, store.queue_next(unit, 20).await?, now),
    );
    ctx.insert(
        "in_flight",
        &shown(&state, &v, store.queue_in_flight(unit, 50).await?, now),
    );
    ctx.insert(
        "dead",
        &shown(
            &state,
            &v,
            store.queue_in_state(unit, "failed", 100).await?,
            now,
        ),
    );
    if let Some(s) = q.state.as_deref().filter(|s| STATES.contains(s)) {
        ctx.insert("listed_state", s);
        ctx.insert(
            "listed",
            &shown(&state, &v, store.queue_in_state(unit, s, 200).await?, now),
        );
    }
    ctx.insert("updated_at", &now);
    Ok(state.page("publishing.html", &ctx)?.into_response())
}
