//! "Connect with Zalo": a Zalo OA's first authorization through OAuth v4 with PKCE
//! (channel-apis.md B.1) instead of pasted tokens.
//!
//! `POST /accounts/zalo/connect` (CSRF-checked like every form) validates the new-account form
//! without tokens, keeps the request server-side (the app secret and the PKCE verifier sealed,
//! under a random `state` bound to this session, ten minutes) and sends the browser to Zalo's
//! permission page. `GET /accounts/zalo/callback` is where Zalo sends it back: `state` must
//! name a request this session started (it is its CSRF defence, and good once); then the code
//! is exchanged with the verifier and the account created with sealed credentials.

use std::collections::HashMap;

use axum::extract::{Query, RawForm, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::access::PLANNERS;
use super::channel_accounts::{new_form_again, owner, store_new};
use super::form::pairs;
use super::session::Visitor;
use super::{AppState, Route};
use crate::channel_accounts::credentials;
use crate::connectors::zalo::{self, ZaloApp};
use crate::connectors::{self, Credentials, Kind};
use crate::error::{AppError, AppResult};

/// As long as Zalo's authorization code is valid.
const PENDING_MS: i64 = 10 * 60 * 1000;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::POST,
            "/accounts/zalo/connect",
            PLANNERS,
            post(start),
        ),
        Route::new(
            Method::GET,
            "/accounts/zalo/callback",
            PLANNERS,
            get(callback),
        ),
    ]
}

/// What the callback needs to create the account; stored sealed, never in a URL.
#[derive(Serialize, Deserialize)]
struct Pending {
    name: String,
    unit_id: Option<i64>,
    sandbox: bool,
    api_base: String,
    oauth_base: String,
    app_id: String,
    secret_key: String,
    code_verifier: String,
}

async fn start(
    State(state): State<AppState>,
    v: Visitor,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let session = v
        .session_key
        .clone()
        .ok_or(AppError::SignInRequired { expired: false })?;
    let form: HashMap<String, String> = pairs(&body).into_iter().collect();
    let mut errors = Vec::new();
    let (name, unit_id) = owner(&state, &form, &mut errors).await?;
    // The same rules as pasted credentials, less the tokens the exchange will supply.
    let mut app_form = form.clone();
    for token in ["access_token", "refresh_token"] {
        app_form.insert(token.into(), "-".into());
    }
    let app = match credentials(Kind::Zalo, &app_form, None) {
        Ok(Credentials::Zalo {
            api_base,
            oauth_base,
            app_id,
            secret_key,
            ..
        }) => Some((api_base, oauth_base, app_id, secret_key)),
        Ok(_) => None,
        Err(list) => {
            errors.extend(list);
            None
        }
    };
    let (Some((api_base, oauth_base, app_id, secret_key)), true) = (app, errors.is_empty()) else {
        return new_form_again(&state, &v, Kind::Zalo, &form, &errors).await;
    };
    let pending = Pending {
        name,
        unit_id,
        sandbox: form.get("sandbox").is_some_and(|s| s == "1"),
        api_base,
        oauth_base,
        app_id,
        secret_key,
        code_verifier: zalo::code_verifier(),
    };
    let oauth_state = crate::secrets::random_token();
    let sealed = state
        .secret
        .seal(&serde_json::to_vec(&pending).map_err(|e| AppError::Internal(e.into()))?);
    let expires_at = crate::clock::now_ms() + PENDING_MS;
    state
        .store
        .put_oauth_pending(&oauth_state, &session, user.user_id, &sealed, expires_at)
        .await?;
    let app = ZaloApp {
        oauth_base: &pending.oauth_base,
        app_id: &pending.app_id,
        secret_key: &pending.secret_key,
    };
    let url = zalo::permission_url(
        &app,
        &redirect_uri(&state),
        &zalo::code_challenge(&pending.code_verifier),
        &oauth_state,
    );
    Ok(Redirect::to(&url).into_response())
}

/// Where Zalo sends the browser back: this Loa's public address.
fn redirect_uri(state: &AppState) -> String {
    format!(
        "{}/accounts/zalo/callback",
        state.config.public_url.trim_end_matches('/')
    )
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<Callback>,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let session = v.session_key.clone().unwrap_or_default();
    let given = q.state.as_deref().unwrap_or_default();
    let taken = if given.is_empty() {
        None
    } else {
        state.store.take_oauth_pending(given, &session).await?
    };
    let Some(taken) = taken.filter(|t| t.expires_at >= crate::clock::now_ms()) else {
        return failed(&state, &v, "err_oauth_state", String::new());
    };
    let plain = state
        .secret
        .open(&taken.sealed_request)
        .map_err(AppError::Internal)?;
    let pending: Pending =
        serde_json::from_slice(&plain).map_err(|e| AppError::Internal(e.into()))?;
    let code = q.code.as_deref().unwrap_or_default();
    if q.error.is_some() || code.is_empty() {
        let why = q.error_description.or(q.error).unwrap_or_default();
        return failed(&state, &v, "err_oauth_denied", why);
    }
    let app = ZaloApp {
        oauth_base: &pending.oauth_base,
        app_id: &pending.app_id,
        secret_key: &pending.secret_key,
    };
    let http = connectors::http_client(std::time::Duration::from_secs(10));
    let tokens = match zalo::exchange_code(&http, &app, code, &pending.code_verifier).await {
        Ok(tokens) => tokens,
        Err(failure) => {
            return failed(&state, &v, "err_oauth_exchange", failure.reason().into());
        }
    };
    let creds = Credentials::Zalo {
        api_base: pending.api_base,
        oauth_base: pending.oauth_base,
        app_id: pending.app_id,
        secret_key: pending.secret_key,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: tokens.expires_at,
    };
    let id = store_new(
        &state,
        user.user_id,
        Kind::Zalo,
        &pending.name,
        pending.unit_id,
        pending.sandbox,
        &creds,
    )
    .await?;
    Ok(Redirect::to(&format!("/accounts/{id}?notice=account_saved")).into_response())
}

/// Why the connection did not happen, with a way to start again.
fn failed(state: &AppState, v: &Visitor, key: &str, detail: String) -> AppResult<Response> {
    let mut ctx = state.context(v);
    let message = state.i18n.format(v.lang, key, &[("value", detail)]);
    ctx.insert("message", &message);
    Ok(state
        .page_with_status(StatusCode::BAD_REQUEST, "accounts/oauth_failed.html", &ctx)?
        .into_response())
}
