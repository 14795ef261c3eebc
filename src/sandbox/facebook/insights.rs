//! Post insights (channel-apis.md A.6) and the sim-only engagement setter.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::{graph_error, param_error, unsupported};
use super::state::App;

pub(super) const VALID_POST_METRICS: [&str; 8] = [
    "post_media_view",
    "post_total_media_view_unique",
    "post_clicks",
    "post_clicks_by_type",
    "post_reactions_by_type_total",
    "post_activity_by_action_type",
    "post_video_views",
    "post_reactions_like_total",
];

pub(super) fn insights(app: &App, node: &str, params: &HashMap<String, String>) -> Response {
    let page = app.lock();
    let Some(post) = page.posts.iter().find(|p| p.id == node) else {
        return unsupported(node, &Method::GET);
    };
    let metrics: Vec<&str> = params
        .get("metric")
        .map(|m| {
            m.split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if metrics.is_empty() {
        return graph_error(
            StatusCode::BAD_REQUEST,
            3001,
            Some(1504028),
            "OAuthException",
            "Invalid query",
            false,
        );
    }
    // One invalid metric fails the whole request.
    let invalid = |m: &&str| {
        !VALID_POST_METRICS.contains(m) || app.opts.invalid_metrics.iter().any(|i| i == m)
    };
    if metrics.iter().any(invalid) {
        return param_error("(#100) The value must be a valid insights metric");
    }
    let (views, reactions, _, _, clicks) = super::state::counts(&app.opts, post);
    let data: Vec<Value> = metrics
        .iter()
        .map(|m| {
            let value = match *m {
                "post_media_view" => json!(views),
                "post_total_media_view_unique" => json!(views * 4 / 5),
                // Mostly likes, some love and care, as Vietnamese pages see.
                "post_reactions_by_type_total" => {
                    let love = reactions / 5;
                    let care = reactions / 20;
                    json!({"like": reactions - love - care, "love": love, "care": care})
                }
                "post_reactions_like_total" => json!(reactions - reactions / 5 - reactions / 20),
                "post_clicks" => json!(clicks),
                "post_clicks_by_type" | "post_activity_by_action_type" => json!({}),
                _ => json!(0),
            };
            json!({
                "name": m, "period": "lifetime", "values": [{"value": value}],
                "title": m, "description": "Lifetime",
                "id": format!("{}/insights/{m}/lifetime", post.id),
            })
        })
        .collect();
    Json(json!({ "data": data })).into_response()
}

#[derive(Deserialize)]
pub(super) struct Engagement {
    post_id: String,
    #[serde(default)]
    shares: i64,
    #[serde(default)]
    reactions: i64,
    #[serde(default)]
    comments: i64,
    #[serde(default)]
    views: i64,
}

pub(super) async fn set_engagement(State(app): State<App>, Json(e): Json<Engagement>) -> Response {
    let mut page = app.lock();
    match page.posts.iter_mut().find(|p| p.id == e.post_id) {
        Some(p) => {
            p.shares = e.shares.max(0);
            p.reactions = e.reactions.max(0);
            p.comments = e.comments.max(0);
            p.views = e.views.max(0);
            Json(json!({"ok": true})).into_response()
        }
        None => unsupported(&e.post_id, &Method::GET),
    }
}
