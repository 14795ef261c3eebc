//! `GET /{slug}`: the one public hot path. It sits outside the session, CSRF and page layers
//! (a citizen has no session), answers 302 only once the click is committed (see
//! `engagement::recorder`), and never shows an error meant for staff: an unknown or malformed
//! slug gets a friendly page, a flood gets 429.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tera::Context;

use super::AppState;
use crate::engagement::clicks::{self, Flood, NewClick};
use crate::engagement::links::plausible_slug;
use crate::i18n::Lang;

/// The state goes in behind one `Arc`: extracting `AppState` itself clones a dozen reference
/// counts per request, which the hot path shows in a profile.
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/{slug}", get(follow))
        .with_state(std::sync::Arc::new(state.clone()))
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn follow(
    State(state): State<std::sync::Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let address = state
        .config
        .trust_proxy
        .then(|| header_str(&headers, header::HeaderName::from_static("x-forwarded-for")))
        .and_then(|v| v.split(',').next())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| peer.ip().to_string());
    let now = crate::clock::now_ms();
    let day = crate::clock::to_hanoi(now).date().to_string();
    let user_agent: String = header_str(&headers, header::USER_AGENT)
        .chars()
        .take(512)
        .collect();
    let source = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        address.hash(&mut h);
        h.finish()
    };
    // Checked before the lookup: a flood of made-up slugs is refused like any other.
    let flood = state.clicks.limiter.check(source, now);
    if flood == Flood::Refuse {
        state
            .clicks
            .refused
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "60")],
            "Quá nhiều yêu cầu. Too many requests.",
        )
            .into_response();
    }
    if !plausible_slug(&slug) {
        return missing(&state, &headers);
    }
    let link = match state.clicks.resolve(&slug).await {
        Ok(Some(link)) => link,
        Ok(None) => return missing(&state, &headers),
        Err(e) => {
            tracing::error!(error.cause_chain = ?e, "slug lookup failed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "Xin thử lại sau. Please try again later.",
            )
                .into_response();
        }
    };
    let salt = match state.clicks.recorder.salt(&day).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error.cause_chain = ?e, "no visitor salt");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "Xin thử lại sau. Please try again later.",
            )
                .into_response();
        }
    };
    let device = clicks::device(&user_agent);
    let click = NewClick {
        link_id: link.link_id,
        at: now,
        day,
        referrer_host: clicks::referrer_host(
            headers.get(header::REFERER).and_then(|v| v.to_str().ok()),
        ),
        device,
        bot: device == "bot" || flood == Flood::Flag,
        visitor: clicks::visitor(&salt, &address, &user_agent),
    };
    if !state.clicks.recorder.record(click).await {
        // The reader still gets where they were going; the count is what is lost, and logged.
        state
            .metrics
            .clicks_unrecorded
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    state
        .clicks
        .answered
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, link.destination.as_str()),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer-when-downgrade"),
        ],
    )
        .into_response()
}

/// A page for a citizen who followed a wrong or expired link: in Vietnamese, or English when
/// the browser prefers it, with the way to the city portal.
fn missing(state: &AppState, headers: &HeaderMap) -> Response {
    let accept = header_str(headers, header::ACCEPT_LANGUAGE).to_ascii_lowercase();
    let lang = if accept.starts_with("en") {
        Lang::En
    } else {
        Lang::Vi
    };
    let mut ctx = Context::new();
    ctx.insert("t", state.i18n.table(lang));
    ctx.insert("lang", lang.as_str());
    ctx.insert("assets", super::assets::urls());
    match state.templates.render("link_missing.html", &ctx) {
        Ok(html) => (StatusCode::NOT_FOUND, Html(html)).into_response(),
        Err(_) => (
            StatusCode::NOT_FOUND,
            "Không tìm thấy liên kết. Link not found.",
        )
            .into_response(),
    }
}
