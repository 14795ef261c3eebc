//! HTTP. Each resource module lists its routes with the access rule beside each one; `router`
//! assembles them and enforces the rule centrally, so a route cannot exist without a rule and
//! the authorization test can walk every route × every role (`route_table`).
//!
//! Layers, outermost first: security headers → request id → trace → metrics → session → error
//! pages → refusal log → CSRF → control characters → access rule → handler. The session layer
//! renders its own page when the database is gone, since the error pages sit inside it.

mod access;
mod account;
mod admin_settings;
mod admin_users;
mod areas;
mod assets;
mod calendar;
mod campaigns;
mod channel_accounts;
mod csrf;
mod deliveries;
mod form;
mod headers;
mod health;
mod home;
mod imports;
mod input;
mod kits;
mod login;
mod media;
mod media_save;
mod notifications;
mod ops;
mod papi;
mod posts;
mod problems;
mod proposals;
mod qr;
mod redirect;
mod refusals;
mod render;
mod reports;
mod session;
mod workflow;
mod zalo_connect;

pub use access::Access;
pub use render::Templates;
pub use session::Visitor;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, Method};
use axum::routing::MethodRouter;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::i18n::I18n;

/// Everything a handler may need, cheap to clone: the application (`crate::app::App`, also
/// reached through `Deref`, so `state.store` reads naturally) and the presentation parts.
#[derive(Clone)]
pub struct AppState {
    pub app: crate::app::App,
    pub i18n: Arc<I18n>,
    pub templates: Arc<Templates>,
}

impl std::ops::Deref for AppState {
    type Target = crate::app::App;

    fn deref(&self) -> &crate::app::App {
        &self.app
    }
}

/// One route: method, path, who may use it, and the handler.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub handler: MethodRouter<AppState>,
}

impl Route {
    pub fn new(
        method: Method,
        path: &'static str,
        access: Access,
        handler: MethodRouter<AppState>,
    ) -> Route {
        Route {
            method,
            path,
            access,
            handler,
        }
    }
}

fn all_routes() -> Vec<Route> {
    [
        home::routes(),
        login::routes(),
        account::routes(),
        areas::routes(),
        papi::routes(),
        campaigns::routes(),
        posts::routes(),
        workflow::routes(),
        calendar::routes(),
        imports::routes(),
        media::routes(),
        channel_accounts::routes(),
        zalo_connect::routes(),
        deliveries::routes(),
        qr::routes(),
        reports::routes(),
        kits::routes(),
        notifications::routes(),
        proposals::routes(),
        admin_users::routes(),
        admin_settings::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// (method, path, access) of every application route, for the authorization matrix test.
pub fn route_table() -> Vec<(Method, &'static str, Access)> {
    all_routes()
        .into_iter()
        .map(|r| (r.method, r.path, r.access))
        .collect()
}

pub fn router(state: AppState) -> Router {
    let mut app: Router<AppState> = Router::new();
    for route in all_routes() {
        app = app.route(
            route.path,
            route
                .handler
                .layer(axum::middleware::from_fn(access::enforce(route.access))),
        );
    }
    let app = app
        .fallback(|| async { crate::error::AppError::NotFound })
        // A GET on a form's target (a bookmarked POST-only URL) gets a page, not an empty 405.
        .method_not_allowed_fallback(|| async { crate::error::AppError::MethodNotAllowed })
        .layer(axum::middleware::from_fn(input::refuse_controls))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::protect,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refusals::record,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            render::error_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::load,
        ));

    let request_id = HeaderName::from_static("x-request-id");
    let layered = Router::new()
        .merge(ops::router())
        .merge(assets::router())
        .merge(app)
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::count_requests))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid));
    // The public redirect is the one hot path: it skips request ids, spans and the request
    // histogram (it keeps its own counters) and answers from memory plus one group commit.
    Router::new()
        .merge(redirect::router(&state))
        .merge(layered)
        .layer(axum::middleware::map_response(headers::secure))
        .with_state(state)
}
