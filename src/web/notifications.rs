//! A person's in-app notifications (new kits, reminders, withdrawals, decisions on proposals);
//! the navigation shows the unread count. Marking them read is the reader's own business, so a
//! manager may do it too.

use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::access::Access;
use super::session::Visitor;
use super::{AppState, Route};
use crate::error::AppResult;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/notifications", Access::SignedIn, get(list)),
        Route::new(
            Method::POST,
            "/notifications/read",
            Access::SelfService,
            post(mark_read),
        ),
    ]
}

async fn list(State(state): State<AppState>, v: Visitor) -> AppResult<Response> {
    let user = v.user()?;
    let rows: Vec<serde_json::Value> = state
        .store
        .notifications(user.user_id, 200)
        .await?
        .into_iter()
        .map(|n| {
            let args: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&n.args).unwrap_or_default();
            let args: Vec<(&str, String)> = args
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect();
            let text = state.i18n.format(v.lang, &n.message_key, &args);
            serde_json::json!({"n": n, "text": text})
        })
        .collect();
    let mut ctx = state.context(&v);
    ctx.insert("rows", &rows);
    Ok(state.page("notifications.html", &ctx)?.into_response())
}

async fn mark_read(State(state): State<AppState>, v: Visitor) -> AppResult<Response> {
    let user = v.user()?;
    state.store.mark_notifications_read(user.user_id).await?;
    Ok(Redirect::to("/notifications").into_response())
}
