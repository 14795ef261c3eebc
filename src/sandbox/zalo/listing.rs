//! Reading the OA and its articles (channel-apis.md B.3), and removing one.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::state::{App, Article, error, ok};
use super::{OA_ID, OA_NAME, PAGE_MAX};

pub(super) async fn getoa(State(app): State<App>, headers: HeaderMap) -> Response {
    app.sim.delay().await;
    if let Err((code, message)) = app.check_token(&headers) {
        return error(code, message);
    }
    ok(json!({
        "oa_id": OA_ID,
        "name": OA_NAME,
        "description": "Trang Zalo OA thử nghiệm của Loa",
        "is_verified": true,
    }))
}

pub(super) fn item(article: &Article) -> Value {
    json!({
        "id": article.id,
        "title": article.title,
        "description": article.description,
        "thumb": article.cover,
        "type": "normal",
        "status": "show",
        "total_view": article.views,
        "total_share": 0,
    })
}

pub(super) async fn getslice(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let fault = match app.begin(&headers).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let number = |key: &str, default: usize| {
        query
            .get(key)
            .map(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(Some(default))
    };
    let (Some(offset), Some(limit)) = (number("offset", 0), number("limit", PAGE_MAX)) else {
        return error(-201, "offset or limit is invalid");
    };
    if limit > PAGE_MAX {
        return error(-201, "maximum limit is 10");
    }
    match query.get("type").map(String::as_str) {
        Some("normal") => {}
        Some("video") => {
            return app
                .finish(fault, ok(json!({"medias": [], "total": 0})))
                .await;
        }
        _ => return error(-201, "type is invalid"),
    }
    let response = {
        let inner = app.lock();
        let medias: Vec<Value> = inner
            .articles
            .iter()
            .rev()
            .filter(|a| app.sim.listed(a.saved))
            .skip(offset)
            .take(limit)
            .map(item)
            .collect();
        ok(json!({ "medias": medias, "total": inner.articles.len() }))
    };
    app.finish(fault, response).await
}

pub(super) async fn getdetail(
    State(app): State<App>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let fault = match app.begin(&headers).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let id = query.get("id").map(String::as_str).unwrap_or_default();
    let response = {
        let mut inner = app.lock();
        match inner.articles.iter_mut().find(|a| a.id == id) {
            Some(article) => {
                article.views += 1;
                let mut detail = item(article);
                detail["body"] = article.body.clone();
                ok(detail)
            }
            None => error(-201, "id is invalid"),
        }
    };
    app.finish(fault, response).await
}

pub(super) async fn remove(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let (fault, request) = match app.begin_json(&headers, &body).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let id = request["id"]
        .as_str()
        .map(str::to_string)
        .or_else(|| request["id"].as_u64().map(|n| n.to_string()))
        .unwrap_or_default();
    let response = {
        let mut inner = app.lock();
        let before = inner.articles.len();
        inner.articles.retain(|a| a.id != id);
        if inner.articles.len() < before {
            ok(json!({}))
        } else {
            error(-201, "id is invalid")
        }
    };
    app.finish(fault, response).await
}
