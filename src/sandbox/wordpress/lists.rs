//! Listing posts (with WordPress's paging headers) and comments; the sim-only engagement
//! setter.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::errors::{invalid_param, not_found_post, per_page, wp_error};
use super::posts::STATUSES;
use super::state::{App, Post, post_json};
use crate::sandbox::host;

#[derive(Deserialize)]
pub(super) struct ListQuery {
    slug: Option<String>,
    status: Option<String>,
    context: Option<String>,
    per_page: Option<String>,
    page: Option<String>,
}

pub(super) async fn list_posts(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    app.for_anyone(&headers, async |authed| {
        let per_page = match per_page(q.per_page.as_deref()) {
            Ok(n) => n,
            Err(r) => return r,
        };
        let page = match q.page.as_deref().map(str::parse::<i64>) {
            None => 1,
            Some(Ok(n)) if n >= 1 => n,
            _ => return invalid_param("page", "page must be greater than or equal to 1"),
        };
        let edit = q.context.as_deref() == Some("edit");
        if edit && !authed {
            return wp_error(
                StatusCode::UNAUTHORIZED,
                "rest_forbidden_context",
                "Sorry, you are not allowed to edit posts in this post type.",
            );
        }
        let statuses: Vec<String> = q
            .status
            .as_deref()
            .unwrap_or("publish")
            .split(',')
            .map(|s| s.trim().to_string())
            .collect();
        for s in &statuses {
            if !STATUSES.contains(&s.as_str()) && s != "trash" && s != "any" {
                return invalid_param(
                    "status",
                    "status is not one of publish, future, draft, pending, private, trash, any.",
                );
            }
            if s != "publish" && !authed {
                return invalid_param("status", "Status is forbidden.");
            }
        }
        let slugs: Option<Vec<String>> = q
            .slug
            .as_deref()
            .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
        let site = app.lock();
        let mut matching: Vec<&Post> = site
            .posts
            .values()
            .filter(|p| {
                statuses
                    .iter()
                    .any(|s| (s == "any" && p.status != "trash") || *s == p.status)
            })
            .filter(|p| slugs.as_ref().is_none_or(|ss| ss.contains(&p.slug)))
            .filter(|p| app.sim.listed(p.created))
            .collect();
        matching.reverse(); // newest first, like orderby=date
        let total = matching.len() as i64;
        let pages = (total + per_page - 1) / per_page;
        if page > 1 && page > pages {
            return invalid_param(
                "page",
                "The page number requested is larger than the number of pages available.",
            );
        }
        let items: Vec<Value> = matching
            .into_iter()
            .skip(((page - 1) * per_page) as usize)
            .take(per_page as usize)
            .map(|p| post_json(p, edit))
            .collect();
        let mut r = Json(items).into_response();
        let h = r.headers_mut();
        h.insert("x-wp-total", HeaderValue::from(total));
        h.insert("x-wp-totalpages", HeaderValue::from(pages));
        if page < pages {
            let next = format!(
                "<http://{}/wp-json/wp/v2/posts?page={}>; rel=\"next\"",
                host(&headers),
                page + 1
            );
            if let Ok(v) = HeaderValue::from_str(&next) {
                h.insert(header::LINK, v);
            }
        }
        r
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct CommentsQuery {
    post: Option<String>,
    per_page: Option<String>,
}

pub(super) async fn list_comments(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<CommentsQuery>,
) -> Response {
    app.for_anyone(&headers, async |_| {
        let per_page = match per_page(q.per_page.as_deref()) {
            Ok(n) => n,
            Err(r) => return r,
        };
        let site = app.lock();
        let posts: Vec<&Post> = match q.post.as_deref() {
            Some(p) => match p.parse::<i64>() {
                Ok(id) => site.posts.get(&id).into_iter().collect(),
                Err(_) => return invalid_param("post[0]", "post[0] is not of type integer."),
            },
            None => site.posts.values().collect(),
        };
        let total: i64 = posts.iter().map(|p| p.comments).sum();
        let items: Vec<Value> = posts
            .iter()
            .flat_map(|p| (1..=p.comments).map(move |n| (p.id, n)))
            .take(per_page as usize)
            .map(|(post, n)| {
                json!({"id": post * 1000 + n, "post": post, "status": "approved",
                       "content": {"rendered": "<p>Cảm ơn phường!</p>"}})
            })
            .collect();
        let pages = (total + per_page - 1) / per_page;
        let mut r = Json(items).into_response();
        r.headers_mut()
            .insert("x-wp-total", HeaderValue::from(total));
        r.headers_mut()
            .insert("x-wp-totalpages", HeaderValue::from(pages));
        r
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct Engagement {
    post: i64,
    comments: i64,
}

pub(super) async fn set_engagement(State(app): State<App>, Json(e): Json<Engagement>) -> Response {
    match app.lock().posts.get_mut(&e.post) {
        Some(p) => {
            p.comments = e.comments.max(0);
            Json(json!({"ok": true})).into_response()
        }
        None => not_found_post(),
    }
}
