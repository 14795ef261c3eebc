//! Loads the visitor of each request: their session (if any), language and the CSRF token their
//! forms must carry. Sessions live in the database, so any instance behind a load balancer can
//! serve any request, and ending one (logout, disabling the user) takes effect everywhere.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

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

pub async fn load(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, AppError> {
    let now = crate::clock::now_ms();
    let mut session = None;
    let mut key = None;
    let mut ended = false;
    if let Some(token) = cookie(req.headers(), SESSION_COOKIE).filter(|t| !t.is_empty()) {
        let k = session_key(token);
        match state.store.session_user(&k).await? {
            Some(s) if s.expires_at > now && !s.user.disabled => {
                // Slide the idle timeout, but write at most once a minute per session.
                if now - s.last_seen_at > 60_000 {
                    let idle = i64::from(state.config.session_hours) * 3_600_000;
                    let expires = (now + idle).min(s.created_at + SESSION_MAX_MS);
                    state.store.touch_session(&k, now, expires).await?;
                }
                session = Some(Arc::new(s));
                key = Some(k);
            }
            Some(_) => {
                state.store.delete_session(&k).await?;
                ended = true;
            }
            None => ended = true,
        }
    }

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
    // Only pages show the count; form posts and assets do not need the query.
    let unread = match &session {
        Some(s) if req.method() == axum::http::Method::GET => {
            state.store.unread_notifications(s.user.user_id).await?
        }
        _ => 0,
    };
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
    Ok(response)
}
