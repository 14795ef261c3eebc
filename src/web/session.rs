//! Loads the visitor of each request: their session (if any), language and the CSRF token their
//! forms must carry. Sessions live in the database, so any instance behind a load balancer can
//! serve any request, and ending one (logout, disabling the user) takes effect everywhere.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use crate::auth::{ANON_CSRF_COOKIE, LANG_COOKIE, SESSION_COOKIE, SESSION_MAX_MS, session_key};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::store::{SessionUser, User};

#[derive(Clone)]
pub struct Visitor {
    pub lang: Lang,
    pub session: Option<Arc<SessionUser>>,
    /// The database key of the session (hash of the cookie token).
    pub session_key: Option<String>,
    /// A session cookie came with the request but names no live session.
    pub session_ended: bool,
    /// The token forms must echo back: the session's, or the anonymous double-submit cookie's.
    pub csrf: String,
    /// Path and query of this request, for "back to where I was" links.
    pub path: String,
    /// Unread notifications of the signed-in person, for the navigation.
    pub unread: i64,
}

impl Visitor {
    pub fn user(&self) -> Result<&User, AppError> {
        self.session
            .as_ref()
            .map(|s| &s.user)
            .ok_or(AppError::SignInRequired {
                expired: self.session_ended,
            })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Visitor, AppError> {
        parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .ok_or(AppError::SignInRequired { expired: false })
    }
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value with the attributes every Loa cookie carries.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if state.config.secure_cookies() {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("cookie values are base64url")
}

/// How long the session lookup may wait for the database. It is the first database call of
/// every signed-in request, so when the database is gone this is how long people wait for the
/// "temporarily unavailable" page (the pool itself would wait 10 s for a connection).
const SESSION_LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// What the database says about the session cookie: the live session and its key, or that the
/// cookie names an ended one; and the signed-in person's unread notifications.
#[derive(Default)]
struct Found {
    session: Option<Arc<SessionUser>>,
    key: Option<String>,
    ended: bool,
    unread: i64,
}

async fn lookup(
    state: &AppState,
    token: Option<&str>,
    now: i64,
    is_get: bool,
) -> Result<Found, AppError> {
    let mut found = Found::default();
    let Some(token) = token else {
        return Ok(found);
    };
    let k = session_key(token);
    match state.store.session_user(&k).await? {
        Some(s) if s.expires_at > now && !s.user.disabled => {
            // Slide the idle timeout, but write at most once a minute per session.
            if now - s.last_seen_at > 60_000 {
                let idle = i64::from(state.config.session_hours) * 3_600_000;
                let expires = (now + idle).min(s.created_at + SESSION_MAX_MS);
                state.store.touch_session(&k, now, expires).await?;
            }
            // Only pages show the count; form posts and assets do not need the query.
            if is_get {
                found.unread = state.store.unread_notifications(s.user.user_id).await?;
            }
            found.session = Some(Arc::new(s));
            found.key = Some(k);
        }
        Some(_) => {
            state.store.delete_session(&k).await?;
            found.ended = true;
        }
        None => found.ended = true,
    }
    Ok(found)
}

/// The "temporarily unavailable" (or "storage full") page, rendered without the database:
/// this layer sits outside `render::error_pages`, and the database is what failed.
fn failure_page(state: &AppState, headers: &HeaderMap, error: AppError) -> Response {
    let lang = cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_default();
    let visitor = Visitor {
        lang,
        session: None,
        session_key: None,
        session_ended: false,
        csrf: String::new(),
        path: "/".into(),
        unread: 0,
    };
    let page = error.page();
    let fallback = error.into_response();
    let mut ctx = state.context(&visitor);
    ctx.insert("title_key", page.title);
    ctx.insert(
        "message",
        &state.i18n.format(lang, page.message, &page.args),
    );
    ctx.insert("status", &page.status.as_u16());
    match state.templates.render("error.html", &ctx) {
        Ok(html) => {
            let mut out = (page.status, Html(html)).into_response();
            out.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            out
        }
        Err(_) => fallback,
    }
}

pub async fn load(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let now = crate::clock::now_ms();
    let token = cookie(req.headers(), SESSION_COOKIE)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let is_get = req.method() == axum::http::Method::GET;
    let looked_up = tokio::time::timeout(
        SESSION_LOOKUP_TIMEOUT,
        lookup(&state, token.as_deref(), now, is_get),
    )
    .await;
    let found = match looked_up {
        Ok(Ok(found)) => found,
        Ok(Err(e)) => return failure_page(&state, req.headers(), e),
        Err(_) => {
            let e = AppError::Unavailable(anyhow::anyhow!(
                "no answer from the database within {SESSION_LOOKUP_TIMEOUT:?} (session lookup)"
            ));
            return failure_page(&state, req.headers(), e);
        }
    };
    let Found {
        session,
        key,
        ended,
        unread,
    } = found;

    let anon_csrf = cookie(req.headers(), ANON_CSRF_COOKIE)
        .filter(|t| t.len() >= 32)
        .map(str::to_string);
    let new_anon_csrf = session.is_none() && anon_csrf.is_none();
    let csrf = match (&session, anon_csrf) {
        (Some(s), _) => s.csrf_token.clone(),
        (None, Some(t)) => t,
        (None, None) => crate::secrets::random_token(),
    };
    let lang = cookie(req.headers(), LANG_COOKIE)
        .and_then(Lang::parse)
        .or_else(|| session.as_ref().and_then(|s| Lang::parse(&s.user.locale)))
        .unwrap_or_default();

    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let visitor = Visitor {
        unread,
        lang,
        session,
        session_key: key,
        session_ended: ended,
        csrf: csrf.clone(),
        path,
    };
    req.extensions_mut().insert(visitor);
    let mut response = next.run(req).await;
    if new_anon_csrf {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, ANON_CSRF_COOKIE, &csrf, None),
        );
    }
    let sets_session = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| {
            v.as_bytes()
                .starts_with(format!("{SESSION_COOKIE}=").as_bytes())
        });
    if ended && !sets_session {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&state, SESSION_COOKIE, "", Some(0)),
        );
    }
    response
}
