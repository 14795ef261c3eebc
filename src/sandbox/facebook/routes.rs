//! The one Graph entry point: version check, parameters, faults, token, then the node/edge.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::errors::{graph_error, param_error, rejecter, unsupported, usage_header};
use super::insights::insights;
use super::posts::{create_feed_post, create_photo, list_posts};
use super::request::{Upload, Who, authorise, params};
use super::state::{App, field_names, post_fields};
use crate::sandbox::Sim;

/// Every Graph call: `/{version}/{node}` and `/{version}/{node}/{edge}`.
pub(super) async fn graph(
    State(app): State<App>,
    Path(path): Path<HashMap<String, String>>,
    req: Request,
) -> Response {
    let method = req.method().clone();
    let version = path.get("version").cloned().unwrap_or_default();
    let node = path.get("node").cloned().unwrap_or_default();
    let edge = path.get("edge").cloned();
    let valid_version = version
        .strip_prefix('v')
        .and_then(|v| v.split_once('.'))
        .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok());
    if !valid_version {
        return graph_error(
            StatusCode::BAD_REQUEST,
            2500,
            None,
            "OAuthException",
            &format!("Unknown path components: /{version}"),
            false,
        );
    }
    let headers = req.headers().clone();
    let (params, upload) = match params(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let sim = app.sim.clone();
    let reject = rejecter(app.opts.clone());
    let opts = app.opts.clone();
    let mut response = sim
        .run(reject, async move {
            let who = match authorise(&app.opts, &params) {
                Ok(who) => who,
                Err(r) => return r,
            };
            if let Some(refused) = refuse(&app, who, &method, &node, edge.as_deref()) {
                return refused;
            }
            route(
                &app,
                &method,
                &node,
                edge.as_deref(),
                &params,
                upload,
                &headers,
            )
        })
        .await;
    // Graph sends usage headers only once enough calls have been made.
    let calls = app_calls(&sim);
    if calls >= 5 && !response.headers().contains_key("x-business-use-case-usage") {
        let pct = calls.min(99);
        response.headers_mut().insert(
            "x-business-use-case-usage",
            usage_header(&opts.page_id, pct, 0),
        );
        let app_usage = json!({"call_count": pct, "total_time": pct / 3, "total_cputime": pct / 4});
        if let Ok(v) = HeaderValue::from_str(&app_usage.to_string()) {
            response.headers_mut().insert("x-app-usage", v);
        }
    }
    response
}

/// `/me`, a user token's attempt to publish (code 200), and a block (code 368): the answers
/// that depend on who calls rather than on the node.
fn refuse(
    app: &App,
    who: Who,
    method: &Method,
    node: &str,
    edge: Option<&str>,
) -> Option<Response> {
    let opts = &app.opts;
    if node == "me" && edge.is_none() && method == Method::GET {
        return Some(match who {
            Who::Page => Json(json!({"id": opts.page_id, "name": opts.page_name})).into_response(),
            Who::User => {
                Json(json!({"id": "4200001", "name": "Nguyễn Văn Quản Trị"})).into_response()
            }
        });
    }
    let publishing = *method == Method::POST && node == opts.page_id;
    if publishing && who == Who::User {
        return Some(graph_error(
            StatusCode::FORBIDDEN,
            200,
            None,
            "OAuthException",
            "(#200) If posting to a page, requires both pages_read_engagement and \
             pages_manage_posts as an admin with sufficient administrative permission",
            false,
        ));
    }
    if publishing {
        let mut page = app.lock();
        if page.blocked_posts > 0 {
            page.blocked_posts -= 1;
            return Some(graph_error(
                StatusCode::BAD_REQUEST,
                368,
                Some(1390008),
                "OAuthException",
                "It looks like you were misusing this feature by going too fast. You've been \
                 blocked from using it.",
                false,
            ));
        }
    }
    None
}

/// `POST /_sim/block {"posts": N}`: the next N posts are refused with code 368.
pub(super) async fn block(State(app): State<App>, Json(body): Json<Value>) -> Response {
    app.lock().blocked_posts = body["posts"].as_u64().unwrap_or(1) as u32;
    Json(json!({"ok": true})).into_response()
}

pub(super) fn app_calls(sim: &Sim) -> u64 {
    sim.stats().calls
}

pub(super) fn route(
    app: &App,
    method: &Method,
    node: &str,
    edge: Option<&str>,
    params: &HashMap<String, String>,
    upload: Option<Upload>,
    headers: &HeaderMap,
) -> Response {
    let opts = &app.opts;
    let is_page = node == opts.page_id;
    let fields = params.get("fields").map(String::as_str);
    match (method.clone(), is_page, edge) {
        (Method::GET, true, None) => {
            let mut out = Map::new();
            for name in field_names(fields.unwrap_or("id,name")) {
                let value = match name.as_str() {
                    "id" => json!(opts.page_id),
                    "name" => json!(opts.page_name),
                    "link" => json!(format!("https://www.facebook.com/{}", opts.page_id)),
                    "fan_count" | "followers_count" => json!(1234),
                    other => {
                        return param_error(&format!(
                            "(#100) Tried accessing nonexisting field ({other}) on node type (Page)"
                        ));
                    }
                };
                out.insert(name, value);
            }
            Json(Value::Object(out)).into_response()
        }
        (Method::POST, true, Some("feed")) => create_feed_post(app, params),
        (Method::POST, true, Some("photos")) => create_photo(app, params, upload, headers),
        (Method::GET, true, Some("published_posts" | "feed" | "posts")) => list_posts(app, params),
        (_, true, Some(edge)) => graph_error(
            StatusCode::BAD_REQUEST,
            2500,
            None,
            "OAuthException",
            &format!("Unknown path components: /{edge}"),
            false,
        ),
        (Method::GET, false, None) => {
            let page = app.lock();
            match page.posts.iter().find(|p| p.id == node) {
                Some(p) => match post_fields(opts, p, fields) {
                    Ok(v) => Json(v).into_response(),
                    Err(r) => r,
                },
                None => unsupported(node, method),
            }
        }
        (Method::DELETE, false, None) => {
            let mut page = app.lock();
            match page.posts.iter().position(|p| p.id == node) {
                Some(i) => {
                    page.posts.remove(i);
                    Json(json!({"success": true})).into_response()
                }
                None => unsupported(node, method),
            }
        }
        (Method::GET, false, Some("insights")) => insights(app, node, params),
        _ => unsupported(node, method),
    }
}
