//! Channel accounts: connect the city's and units' portal, Facebook pages, Zalo OAs, Telegram
//! channels, Mastodon accounts and webhooks; test a connection; reconnect one that needs it
//! (its paused deliveries resume); disable. Credentials are sealed and never shown back.

use std::collections::HashMap;

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::access::{Access, PLANNERS};
use super::form::FormErrors;
use super::form::pairs;
use super::problems;
use super::session::Visitor;
use super::{AppState, Route};
use crate::channel_accounts::credentials;
use crate::connectors::{self, Credentials, Kind};
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::store::{ChannelAccount, Effects, NewAccount};

mod view;

pub use view::shown_state;
use view::{class_of, form_context, show_context};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/accounts", Access::SignedIn, get(list)),
        Route::new(Method::GET, "/accounts/new", PLANNERS, get(new_form)),
        Route::new(Method::POST, "/accounts/new", PLANNERS, post(create)),
        Route::new(Method::GET, "/accounts/{id}", Access::SignedIn, get(show)),
        Route::new(
            Method::POST,
            "/accounts/{id}/credentials",
            PLANNERS,
            post(reconnect),
        ),
        Route::new(Method::POST, "/accounts/{id}/test", PLANNERS, post(test)),
        Route::new(
            Method::POST,
            "/accounts/{id}/status",
            PLANNERS,
            post(set_status),
        ),
    ]
}

async fn visible(state: &AppState, v: &Visitor, id: i64) -> AppResult<ChannelAccount> {
    crate::app::accounts::visible(&state.store, v.user()?, id).await
}

async fn list(State(state): State<AppState>, v: Visitor) -> AppResult<Response> {
    let user = v.user()?;
    let accounts = if user.role == Role::District {
        state
            .store
            .list_accounts(Some(user.unit_id.unwrap_or(-1)))
            .await?
    } else {
        state.store.list_accounts(None).await?
    };
    let units: HashMap<String, String> = super::campaigns::reporting_units(&state)
        .await?
        .into_iter()
        .collect();
    let mut rows = Vec::new();
    for a in &accounts {
        let unit = match a.unit_id {
            Some(id) => state
                .store
                .area_by_id(id)
                .await
                .map(|u| u.name)
                .unwrap_or_default(),
            None => String::new(),
        };
        rows.push(serde_json::json!({"account": a, "unit": unit, "state": shown_state(a)}));
    }
    let mut ctx = state.context(&v);
    ctx.insert("rows", &rows);
    ctx.insert("unit_count", &units.len());
    Ok(state.page("accounts/list.html", &ctx)?.into_response())
}

#[derive(Deserialize, Default)]
struct NewQuery {
    kind: Option<String>,
}

async fn new_form(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    let kind = q
        .kind
        .as_deref()
        .and_then(Kind::parse)
        .unwrap_or(Kind::Wordpress);
    let ctx = form_context(&state, &v, kind, &HashMap::new(), &FormErrors::default()).await?;
    Ok(state.page("accounts/new.html", &ctx)?.into_response())
}

async fn create(
    State(state): State<AppState>,
    v: Visitor,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let form: HashMap<String, String> = pairs(&body).into_iter().collect();
    let kind = form
        .get("kind")
        .and_then(|k| Kind::parse(k))
        .ok_or(AppError::BadRequest("err_bad_request"))?;
    let mut errors = Vec::new();
    let (name, unit_id) = owner(&state, &form, &mut errors).await?;
    let creds = credentials(kind, &form, None)
        .map_err(|e| errors.extend(e))
        .ok();
    let (Some(creds), true) = (creds, errors.is_empty()) else {
        return new_form_again(&state, &v, kind, &form, &errors).await;
    };
    let sandbox = form.get("sandbox").is_some_and(|s| s == "1");
    let id = store_new(&state, user.user_id, kind, &name, unit_id, sandbox, &creds).await?;
    Ok(Redirect::to(&format!("/accounts/{id}")).into_response())
}

/// The display name and owning unit (`None`: the city) of a new account, with their errors.
pub(super) async fn owner(
    state: &AppState,
    form: &HashMap<String, String>,
    errors: &mut Vec<FieldError>,
) -> AppResult<(String, Option<i64>)> {
    let name = form
        .get("name")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    if name.is_empty() || name.chars().count() > 120 {
        errors.push(FieldError::new("name", "err_required"));
    }
    let unit_code = form.get("unit_code").map(|s| s.trim()).unwrap_or("");
    let mut unit_id = None;
    if !unit_code.is_empty() {
        let snapshot = state.store.active_snapshot().await?;
        match state.store.area_by_code(&snapshot, unit_code).await {
            Ok(a) => unit_id = Some(a.area_id),
            Err(_) => errors
                .push(FieldError::new("unit_code", "err_target_unknown").arg("value", unit_code)),
        }
    }
    Ok((name, unit_id))
}

/// The new-account form again, with what was typed (secrets excepted) and the errors.
pub(super) async fn new_form_again(
    state: &AppState,
    v: &Visitor,
    kind: Kind,
    form: &HashMap<String, String>,
    errors: &[FieldError],
) -> AppResult<Response> {
    let ctx = form_context(state, v, kind, form, &state.form_errors(v, errors)).await?;
    Ok(state
        .page_with_status(StatusCode::UNPROCESSABLE_ENTITY, "accounts/new.html", &ctx)?
        .into_response())
}

/// Stores a new account with its credentials sealed, and audits it: the account's id.
pub(super) async fn store_new(
    state: &AppState,
    user_id: i64,
    kind: Kind,
    name: &str,
    unit_id: Option<i64>,
    sandbox: bool,
    creds: &Credentials,
) -> AppResult<i64> {
    let sealed = state
        .secret
        .seal(&serde_json::to_vec(creds).map_err(|e| AppError::Internal(e.into()))?);
    let new = NewAccount {
        kind: kind.as_str(),
        name,
        unit_id,
        sealed_credentials: &sealed,
        sandbox,
        rate_per_minute: 30,
        concurrency: 2,
    };
    let audit = |id: i64| {
        Effects::audited(
            Some(user_id),
            "account.create",
            &format!("account:{id}"),
            name,
        )
    };
    Ok(state.store.create_account_with(&new, audit).await?)
}

async fn show(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let account = visible(&state, &v, id).await?;
    let kind = Kind::parse(&account.kind).ok_or(AppError::NotFound)?;
    let ctx = show_context(&state, &v, &account, kind).await?;
    Ok(state.page("accounts/show.html", &ctx)?.into_response())
}

pub(super) fn opened(state: &AppState, account: &ChannelAccount) -> AppResult<Credentials> {
    crate::app::accounts::opened(&state.secret, account)
}

/// New credentials (a reconnect): stored, the account active again, paused deliveries resumed.
async fn reconnect(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let form: HashMap<String, String> = pairs(&body).into_iter().collect();
    let list = match crate::app::accounts::reconnect(&state, &user, id, &form).await {
        Ok(_) => {
            return Ok(
                Redirect::to(&format!("/accounts/{id}?notice=account_saved")).into_response(),
            );
        }
        Err(crate::app::Refused::Stale) => return Err(AppError::Conflict("err_stale")),
        Err(refused) => refused.into_errors()?,
    };
    let account = visible(&state, &v, id).await?;
    let kind = Kind::parse(&account.kind).ok_or(AppError::NotFound)?;
    let mut ctx = form_context(&state, &v, kind, &form, &state.form_errors(&v, &list)).await?;
    ctx.insert("account", &account);
    ctx.insert("shown_state", shown_state(&account));
    Ok(state
        .page_with_status(StatusCode::UNPROCESSABLE_ENTITY, "accounts/show.html", &ctx)?
        .into_response())
}

/// Tests the connection, records the result (the account's shown state follows it) and
/// explains a failure with what to change.
async fn test(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let account = visible(&state, &v, id).await?;
    let creds = opened(&state, &account)?;
    let http = connectors::http_client(std::time::Duration::from_secs(10));
    let result = connectors::connector(&http, &creds).test_connection().await;
    let error = match &result {
        Ok(_) => String::new(),
        Err(f) => f.reason().to_string(),
    };
    state.store.record_account_check(id, &error).await?;
    let account = state.store.account(id).await?;
    let kind = Kind::parse(&account.kind).ok_or(AppError::NotFound)?;
    let mut ctx = show_context(&state, &v, &account, kind).await?;
    match result {
        Ok(name) => ctx.insert("test_ok", &name),
        Err(f) => {
            let e = problems::for_test(class_of(&f), f.reason());
            let now = crate::clock::now_ms();
            ctx.insert(
                "test_error",
                &problems::show(&state.i18n, v.lang, &e, f.reason(), now),
            );
            // The page already says it; the stored failure is not shown twice.
            ctx.remove("check_problem");
        }
    }
    Ok(state.page("accounts/show.html", &ctx)?.into_response())
}

async fn set_status(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let account = visible(&state, &v, id).await?;
    let form: HashMap<String, String> = pairs(&body).into_iter().collect();
    let status = match form.get("status").map(String::as_str) {
        Some("active") => crate::states::AccountStatus::Active,
        Some("disabled") => crate::states::AccountStatus::Disabled,
        _ => return Err(AppError::BadRequest("err_bad_request")),
    };
    let audit = Effects::audited(
        Some(user.user_id),
        &format!("account.{status}"),
        &format!("account:{id}"),
        &account.name,
    );
    state
        .store
        .set_account_status_with(id, status, "", &audit)
        .await?;
    Ok(Redirect::to(&format!("/accounts/{id}?notice=account_saved")).into_response())
}
