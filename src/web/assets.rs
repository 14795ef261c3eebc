//! Static files from `assets/`, compiled into the binary: no CDN and no external fonts, since
//! Loa runs on closed government networks. URLs carry a content hash (`/assets/3f2a…/app.css`)
//! so browsers may cache them for a year and still see a new version on the next release.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use super::AppState;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct AssetFiles;

struct Asset {
    hash: String,
    mime: &'static str,
}

fn table() -> &'static BTreeMap<String, Asset> {
    static TABLE: OnceLock<BTreeMap<String, Asset>> = OnceLock::new();
    TABLE.get_or_init(|| {
        AssetFiles::iter()
            .map(|name| {
                let file = AssetFiles::get(&name).expect("listed asset exists");
                let hash = crate::secrets::sha256_hex(&file.data)[..12].to_string();
                let mime = mime_for(&name);
                (name.to_string(), Asset { hash, mime })
            })
            .collect()
    })
}

/// name → versioned URL, for templates (`{{ assets["app.css"] }}`).
pub fn urls() -> &'static BTreeMap<String, String> {
    static URLS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    URLS.get_or_init(|| {
        table()
            .iter()
            .map(|(name, a)| (name.clone(), format!("/assets/{}/{name}", a.hash)))
            .collect()
    })
}

fn mime_for(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/{hash}/{*name}", get(serve))
        .route("/favicon.ico", get(favicon))
}

async fn serve(Path((hash, name)): Path<(String, String)>) -> Response {
    let (Some(asset), Some(file)) = (table().get(&name), AssetFiles::get(&name)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // An old hash still gets the file, but not the long cache: it may be a stale page.
    let cache = if hash == asset.hash {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = file.data.into_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn favicon() -> Response {
    match urls().get("loa.svg") {
        Some(url) => axum::response::Redirect::permanent(url).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
