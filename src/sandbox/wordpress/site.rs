//! The site around the API: its HTML front page, which names the API root the way WordPress
//! does (`Link: <…>; rel="https://api.w.org/"`), and the two addresses the API answers at,
//! `/wp-json/…` and `?rest_route=/…`, depending on the site's permalink setting.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use tower::ServiceExt;

use super::state::App;
use crate::sandbox::host;

/// The site's permalink setting, as it decides where the REST API answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Permalinks {
    /// "Post name": the API at `/wp-json/`, also at `?rest_route=`.
    #[default]
    Pretty,
    /// "Plain": only `?rest_route=` reaches the API; `/wp-json/…` is redirected to the HTML
    /// front page (a POST turns into a GET on the way), and the root names `?rest_route=/`.
    Plain,
    /// The API is blocked (a security plugin): no `Link`, HTML wherever JSON was expected.
    Hidden,
}

/// The router the simulator serves: the front page and both API addresses around `api`.
pub(super) fn front(app: App, api: Router) -> Router {
    Router::new().fallback(move |req: Request| dispatch(app.clone(), api.clone(), req))
}

async fn dispatch(app: App, api: Router, mut req: Request) -> Response {
    let permalinks = app.opts.permalinks;
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    if let Some(route) = pairs
        .iter()
        .find(|(k, _)| k == "rest_route")
        .map(|(_, v)| v.clone())
    {
        if permalinks == Permalinks::Hidden {
            return front_page(&app, &req);
        }
        // `?rest_route=/wp/v2/posts&slug=x` is `/wp-json/wp/v2/posts?slug=x`.
        let others = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().filter(|(k, _)| k != "rest_route"))
            .finish();
        let path = format!("/wp-json/{}", route.trim_start_matches('/'));
        let target = if others.is_empty() {
            path
        } else {
            format!("{path}?{others}")
        };
        match target.parse::<Uri>() {
            Ok(uri) => *req.uri_mut() = uri,
            Err(_) => return (StatusCode::BAD_REQUEST, "bad rest_route").into_response(),
        }
        return serve(api, req).await;
    }
    let path = req.uri().path();
    if path == "/" || path == "/index.php" {
        return front_page(&app, &req);
    }
    if path.starts_with("/_sim/") {
        return serve(api, req).await;
    }
    if path == "/wp-json" || path.starts_with("/wp-json/") {
        return match permalinks {
            Permalinks::Pretty => serve(api, req).await,
            Permalinks::Plain | Permalinks::Hidden => Redirect::to("/").into_response(),
        };
    }
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
        "<html><head><title>Không tìm thấy trang</title></head><body></body></html>",
    )
        .into_response()
}

async fn serve(api: Router, req: Request) -> Response {
    match api.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// The front page: HTML, with the API root in a `Link` header unless the API is hidden.
fn front_page(app: &App, req: &Request) -> Response {
    let host = host(req.headers());
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=UTF-8")],
        format!(
            "<!DOCTYPE html><html lang=\"vi\"><head><title>{}</title></head><body></body></html>",
            crate::content::escape_html(&app.opts.display_name)
        ),
    )
        .into_response();
    let root = match app.opts.permalinks {
        Permalinks::Pretty => Some(format!("http://{host}/wp-json/")),
        Permalinks::Plain => Some(format!("http://{host}/index.php?rest_route=/")),
        Permalinks::Hidden => None,
    };
    if let Some(link) = root
        .map(|root| format!("<{root}>; rel=\"https://api.w.org/\""))
        .and_then(|l| HeaderValue::from_str(&l).ok())
    {
        r.headers_mut().insert(header::LINK, link);
    }
    r
}

/// `GET /wp-json/`: the API index, which is how a root is recognised without a `Link`.
pub(super) async fn index() -> Response {
    axum::Json(serde_json::json!({
        "name": "Cổng thông tin điện tử Phường",
        "namespaces": ["oembed/1.0", "wp/v2"],
        "routes": {},
    }))
    .into_response()
}
