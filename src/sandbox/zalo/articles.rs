//! Creating an article and verifying its token (channel-apis.md B.2).

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::state::{App, Article, Pending, error, ok};

/// What Zalo refuses in a create body, as `-201` messages.
pub(super) fn validate(article: &Value) -> Result<(), String> {
    if article["type"].as_str() != Some("normal") {
        return Err("type is invalid".into());
    }
    let title = article["title"].as_str().unwrap_or_default().trim();
    let n = title.chars().count();
    if n == 0 || n >= 150 {
        return Err("title allow 1 to 150 characters".into());
    }
    if article["author"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .count()
        > 50
    {
        return Err("author allow 1 to 50 characters".into());
    }
    if article["description"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .count()
        > 300
    {
        return Err("description allow 0 to 300 characters".into());
    }
    let cover = &article["cover"];
    let url = cover["photo_url"].as_str().unwrap_or_default();
    let url_ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.bytes().all(|b| b > 0x20 && b < 0x7f);
    if cover["cover_type"].as_str() != Some("photo") || !url_ok {
        return Err("cover value is invalid".into());
    }
    let body_ok = article["body"].as_array().is_some_and(|items| {
        !items.is_empty()
            && items.iter().all(|item| match item["type"].as_str() {
                Some("text") => item["content"]
                    .as_str()
                    .is_some_and(|c| !c.trim().is_empty()),
                Some("image") => item["url"].is_string(),
                Some("video") => item["url"].is_string() || item["video_id"].is_string(),
                _ => false,
            })
    });
    if !body_ok {
        return Err("body is invalid".into());
    }
    if !matches!(
        article["status"].as_str(),
        None | Some("show") | Some("hide")
    ) {
        return Err("status is invalid".into());
    }
    Ok(())
}

pub(super) async fn create(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let (fault, article) = match app.begin_json(&headers, &body).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    if let Err(message) = validate(&article) {
        return error(-201, &message);
    }
    let title = article["title"]
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_string();
    let cover = article["cover"]["photo_url"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let token = {
        let mut inner = app.lock();
        let token = inner.mint("article-token");
        let article_id = if cover.contains("fail-cover") {
            None
        } else {
            inner.next += 1;
            let id = format!("{}", 7_000_000_000_u64 + inner.next);
            inner.articles.push(Article {
                id: id.clone(),
                title: title.clone(),
                description: article["description"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                cover,
                body: article["body"].clone(),
                views: 0,
                saved: std::time::Instant::now(),
            });
            Some(id)
        };
        if article_id.is_some() {
            app.sim.created(&title);
        }
        inner.pending.insert(
            token.clone(),
            Pending {
                article_id,
                ready_at: Instant::now() + app.opts.processing,
            },
        );
        token
    };
    app.finish(fault, ok(json!({ "token": token }))).await
}

pub(super) async fn verify(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    let (fault, request) = match app.begin_json(&headers, &body).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let token = request["token"].as_str().unwrap_or_default();
    let response = {
        let inner = app.lock();
        match inner.pending.get(token) {
            None => error(-201, "token is invalid"),
            Some(p) if p.ready_at > Instant::now() => error(-214, "Article is being processed"),
            Some(Pending {
                article_id: None, ..
            }) => error(-200, "Upload media failed"),
            Some(Pending {
                article_id: Some(id),
                ..
            }) => ok(json!({ "id": id })),
        }
    };
    app.finish(fault, response).await
}
