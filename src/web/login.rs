//! Logging in and out, and switching the interface language.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::access::Access;
use super::form::{FormErrors, safe_next};
use super::session::{Visitor, set_cookie};
use super::{AppState, Route};
use crate::auth::{LANG_COOKIE, LoginOutcome, SESSION_COOKIE};
use crate::domain::FieldError;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/login", Access::Public, get(show)),
        Route::new(Method::POST, "/login", Access::Public, post(submit)),
        Route::new(Method::POST, "/logout", Access::SelfService, post(logout)),
        Route::new(Method::POST, "/lang", Access::Public, post(switch_lang)),
    ]
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
    logged_out: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<LoginQuery>,
) -> AppResult<Response> {
    if v.session.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    let mut ctx = state.context(&v);
    ctx.insert("next", &safe_next(q.next.as_deref()));
    ctx.insert("username", "");
    ctx.insert("errors", &FormErrors::default());
    if q.expired.is_some() || v.session_ended {
        ctx.insert("notice", state.i18n.text(v.lang, "err_session_expired"));
    } else if q.logged_out.is_some() {
        ctx.insert("notice", state.i18n.text(v.lang, "logged_out"));
    }
    Ok(state.page("login.html", &ctx)?.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    username: String,
    password: String,
    next: String,
}

async fn submit(
    State(state): State<AppState>,
    v: Visitor,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let mut errors = FormErrors::default();
    let username = form.username.trim().to_lowercase();
    if username.is_empty() {
        errors.add(
            &state.i18n,
            v.lang,
            &FieldError::new("username", "err_required"),
        );
    }
    if form.password.is_empty() {
        errors.add(
            &state.i18n,
            v.lang,
            &FieldError::new("password", "err_required"),
        );
    }
    // Over-long input, or a control character (PostgreSQL cannot even look up a NUL), is just
    // a wrong login: the answer says nothing about which field or why.
    if username.chars().count() > 64
        || form.password.chars().count() > 1024
        || super::input::has_control(&username)
        || super::input::has_control(&form.password)
    {
        errors.add(
            &state.i18n,
            v.lang,
            &FieldError::new("username", "err_wrong_credentials"),
        );
    }
    let next = safe_next(Some(&form.next));
    let again = |errors: FormErrors, status: StatusCode| -> AppResult<Response> {
        let mut ctx = state.context(&v);
        ctx.insert("next", &next);
        ctx.insert("username", &username);
        ctx.insert("errors", &errors);
        state.page_with_status(status, "login.html", &ctx)
    };
    if !errors.is_empty() {
        return again(errors, StatusCode::UNPROCESSABLE_ENTITY);
    }

    let client = client_key(&state, peer, &headers);
    let outcome = crate::auth::login(
        &state.store,
        &state.config,
        &username,
        &form.password,
        &client,
    )
    .await?;
    match outcome {
        LoginOutcome::Success { token, user } => {
            tracing::info!(user = %user.username, "logged in");
            let target = if user.must_change_password {
                "/account/password".to_string()
            } else {
                next.clone()
            };
            let mut response = Redirect::to(&target).into_response();
            response.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, SESSION_COOKIE, &token, None),
            );
            Ok(response)
        }
        LoginOutcome::WrongCredentials {
            user_id,
            now_locked,
        } => {
            record_failure(&state, &username, user_id, &client, now_locked).await?;
            let mut errors = FormErrors::default();
            errors.add(
                &state.i18n,
                v.lang,
                &FieldError::new("password", "err_wrong_credentials"),
            );
            again(errors, StatusCode::UNAUTHORIZED)
        }
        LoginOutcome::Disabled => {
            let mut errors = FormErrors::default();
            errors.add(
                &state.i18n,
                v.lang,
                &FieldError::new("username", "err_account_disabled"),
            );
            again(errors, StatusCode::FORBIDDEN)
        }
        LoginOutcome::Locked { seconds } => {
            // Attempts during a wait are only logged: the audit log got the lock when it began,
            // and someone hammering the form should not be able to fill it.
            tracing::warn!(
                username_hash = %username_hash(&state, &username),
                client = %client,
                wait_seconds = seconds,
                "login refused: too many failures"
            );
            Err(AppError::TooManyAttempts { seconds })
        }
    }
}

/// A keyed hash of a typed username, for logs: it tells attempts on one name apart without
/// writing down what was typed (people type passwords into the username field).
fn username_hash(state: &AppState, username: &str) -> String {
    state.secret.sign(format!("username:{username}").as_bytes())[..12].to_string()
}

/// Logs a failed login and writes it to the audit log, with the start of a lock if this
/// failure began one. An existing account is named (it is the subject); a username that does
/// not exist only by its hash.
async fn record_failure(
    state: &AppState,
    username: &str,
    user_id: Option<i64>,
    client: &str,
    now_locked: bool,
) -> AppResult<()> {
    let hash = username_hash(state, username);
    tracing::warn!(username_hash = %hash, client = %client, known_user = user_id.is_some(), locked = now_locked, "login failed");
    let subject = match user_id {
        Some(id) => format!("user:{id} {username}"),
        None => format!("unknown-username:{hash}"),
    };
    let detail = format!("client {client}");
    state
        .store
        .audit(None, "login.failed", &subject, &detail)
        .await?;
    if now_locked {
        tracing::warn!(username_hash = %hash, client = %client, "login locked");
        state
            .store
            .audit(None, "login.locked", &subject, &detail)
            .await?;
    }
    Ok(())
}

/// The client, for throttling: a keyed hash of its address, so no address is stored.
pub(super) fn client_key(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> String {
    let forwarded = state
        .config
        .trust_proxy
        .then(|| headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.split(',').next())
        .map(|s| s.trim().to_string());
    let ip = forwarded.unwrap_or_else(|| peer.ip().to_string());
    state.secret.sign(format!("client:{ip}").as_bytes())[..22].to_string()
}

async fn logout(State(state): State<AppState>, v: Visitor) -> AppResult<Response> {
    if let Some(key) = &v.session_key {
        state.store.delete_session(key).await?;
    }
    let mut response = Redirect::to("/login?logged_out=1").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", Some(0)),
    );
    Ok(response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LangForm {
    lang: String,
    next: String,
}

/// Remembers the choice in a cookie, and on the account when signed in.
async fn switch_lang(
    State(state): State<AppState>,
    v: Visitor,
    Form(form): Form<LangForm>,
) -> AppResult<Response> {
    let lang = Lang::parse(&form.lang).ok_or(AppError::BadRequest("err_lang_unknown"))?;
    if let Some(s) = &v.session {
        state
            .store
            .set_user_locale(s.user.user_id, lang.as_str())
            .await?;
    }
    let mut response = Redirect::to(&safe_next(Some(&form.next))).into_response();
    let year = 365 * 24 * 3600;
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, LANG_COOKIE, lang.as_str(), Some(year)),
    );
    Ok(response)
}
