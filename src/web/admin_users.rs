//! Admin pages for accounts: list, create, edit, disable and enable, reset a password.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tera::Context;

use super::access::ADMIN;
use super::form::NoticeQuery;
use super::form::{FormErrors, PER_PAGE, Pagination};
use super::session::Visitor;
use super::{AppState, Route};
use crate::accounts::{AccountError, AccountInput};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::store::{Area, AreaFilter, Scope, UserFilter};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/admin/users", ADMIN, get(list)),
        Route::new(Method::GET, "/admin/users/new", ADMIN, get(new_form)),
        Route::new(Method::POST, "/admin/users/new", ADMIN, post(create)),
        Route::new(Method::GET, "/admin/users/{id}", ADMIN, get(edit_form)),
        Route::new(Method::POST, "/admin/users/{id}", ADMIN, post(update)),
        Route::new(
            Method::POST,
            "/admin/users/{id}/disable",
            ADMIN,
            post(disable),
        ),
        Route::new(
            Method::POST,
            "/admin/users/{id}/enable",
            ADMIN,
            post(enable),
        ),
        Route::new(
            Method::POST,
            "/admin/users/{id}/reset-password",
            ADMIN,
            post(reset_password),
        ),
    ]
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    page: Option<String>,
    notice: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let query =
        q.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(100).collect::<String>());
    let role = q.role.as_deref().and_then(|r| Role::parse("role", r).ok());
    let page = Pagination::requested(q.page.as_deref());
    let filter = UserFilter {
        query: query.clone(),
        role,
    };
    let (users, total) = state
        .store
        .list_users(&filter, PER_PAGE, Pagination::offset(page))
        .await?;
    let snapshot = state.store.active_snapshot().await?;
    let mut ctx = state.context(&v);
    ctx.insert("users", &users);
    ctx.insert("q", &query.unwrap_or_default());
    ctx.insert("role", &role.map(|r| r.as_str()).unwrap_or(""));
    ctx.insert("roles", &Role::ALL.map(|r| r.as_str()));
    ctx.insert("snapshot", &snapshot);
    ctx.insert("pagination", &Pagination::new(page, total, users.len()));
    if let Some(key) = (NoticeQuery { notice: q.notice }).key() {
        ctx.insert("notice", state.i18n.text(v.lang, key));
    }
    Ok(state.page("admin/users.html", &ctx)?.into_response())
}

/// The units district staff can be bound to in the active snapshot.
async fn unit_choices(state: &AppState) -> AppResult<Vec<Area>> {
    let snapshot = state.store.active_snapshot().await?;
    let level = state.store.reporting_level(&snapshot).await?;
    let filter = AreaFilter {
        level: Some(level.into()),
        ..AreaFilter::default()
    };
    Ok(state
        .store
        .list_areas(&snapshot, &Scope::City, &filter, 1000, 0)
        .await?
        .0)
}

async fn form_context(
    state: &AppState,
    v: &Visitor,
    input: &AccountInput,
    errors: &FormErrors,
) -> AppResult<Context> {
    let mut ctx = state.context(v);
    ctx.insert(
        "form",
        &serde_json::json!({
            "username": input.username, "display_name": input.display_name,
            "role": input.role, "unit_code": input.unit_code,
        }),
    );
    ctx.insert("errors", errors);
    ctx.insert("roles", &Role::ALL.map(|r| r.as_str()));
    ctx.insert("units", &unit_choices(state).await?);
    Ok(ctx)
}

async fn new_form(State(state): State<AppState>, v: Visitor) -> AppResult<Response> {
    let input = AccountInput {
        role: "district".into(),
        ..AccountInput::default()
    };
    let ctx = form_context(&state, &v, &input, &FormErrors::default()).await?;
    Ok(state.page("admin/user_new.html", &ctx)?.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserForm {
    username: String,
    display_name: String,
    role: String,
    unit_code: String,
    password: String,
}

impl From<UserForm> for AccountInput {
    fn from(f: UserForm) -> AccountInput {
        AccountInput {
            username: f.username,
            display_name: f.display_name,
            role: f.role,
            unit_code: f.unit_code,
            password: f.password,
        }
    }
}

fn errors_of(state: &AppState, v: &Visitor, e: AccountError) -> AppResult<FormErrors> {
    match e {
        AccountError::Invalid(list) => {
            let mut errors = FormErrors::default();
            for fe in &list {
                errors.add(&state.i18n, v.lang, fe);
            }
            Ok(errors)
        }
        AccountError::NotFound => Err(AppError::NotFound),
        AccountError::Other(e) => Err(AppError::Internal(e)),
    }
}

async fn create(
    State(state): State<AppState>,
    v: Visitor,
    Form(form): Form<UserForm>,
) -> AppResult<Response> {
    let actor = v.user()?.user_id;
    let input: AccountInput = form.into();
    match crate::accounts::create(&state.store, Some(actor), &input).await {
        Ok(created) => {
            // The one-time password is shown on this answer and nowhere else: no redirect
            // that would put it in a URL or a second request.
            let user = state.store.user_by_id(created.user_id).await?;
            let mut ctx = state.context(&v);
            ctx.insert("created", &user);
            ctx.insert("one_time_password", &created.one_time_password);
            Ok(no_store(state.page("admin/user_created.html", &ctx)?))
        }
        Err(e) => {
            let errors = errors_of(&state, &v, e)?;
            let ctx = form_context(
                &state,
                &v,
                &AccountInput {
                    password: String::new(),
                    ..input
                },
                &errors,
            )
            .await?;
            state.page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/user_new.html",
                &ctx,
            )
        }
    }
}

fn parse_id(id: &str) -> AppResult<i64> {
    id.parse().map_err(|_| AppError::NotFound)
}

async fn edit_context(
    state: &AppState,
    v: &Visitor,
    user_id: i64,
    input: Option<&AccountInput>,
    errors: &FormErrors,
) -> AppResult<Context> {
    let user = state.store.user_by_id(user_id).await?;
    let default_input = AccountInput {
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: user.role.as_str().into(),
        unit_code: user.unit_code.clone().unwrap_or_default(),
        password: String::new(),
    };
    let mut ctx = form_context(state, v, input.unwrap_or(&default_input), errors).await?;
    ctx.insert("target", &user);
    ctx.insert("snapshot", &state.store.active_snapshot().await?);
    Ok(ctx)
}

async fn edit_form(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let mut ctx = edit_context(&state, &v, parse_id(&id)?, None, &FormErrors::default()).await?;
    if let Some(key) = q.key() {
        ctx.insert("notice", state.i18n.text(v.lang, key));
    }
    Ok(state.page("admin/user_edit.html", &ctx)?.into_response())
}

async fn update(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(form): Form<UserForm>,
) -> AppResult<Response> {
    let user_id = parse_id(&id)?;
    let actor = v.user()?.user_id;
    let input: AccountInput = form.into();
    match crate::accounts::update(&state.store, actor, user_id, &input).await {
        Ok(()) => Ok(
            Redirect::to(&format!("/admin/users/{user_id}?notice=user_updated")).into_response(),
        ),
        Err(e) => {
            let errors = errors_of(&state, &v, e)?;
            let ctx = edit_context(&state, &v, user_id, Some(&input), &errors).await?;
            state.page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/user_edit.html",
                &ctx,
            )
        }
    }
}

async fn set_disabled(
    state: AppState,
    v: Visitor,
    id: String,
    disabled: bool,
) -> AppResult<Response> {
    let user_id = parse_id(&id)?;
    let actor = v.user()?.user_id;
    match crate::accounts::set_disabled(&state.store, actor, user_id, disabled).await {
        Ok(()) => {
            let notice = if disabled {
                "user_disabled"
            } else {
                "user_enabled"
            };
            Ok(Redirect::to(&format!("/admin/users/{user_id}?notice={notice}")).into_response())
        }
        Err(e) => {
            let errors = errors_of(&state, &v, e)?;
            let ctx = edit_context(&state, &v, user_id, None, &errors).await?;
            state.page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/user_edit.html",
                &ctx,
            )
        }
    }
}

async fn disable(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
) -> AppResult<Response> {
    set_disabled(state, v, id, true).await
}

async fn enable(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
) -> AppResult<Response> {
    set_disabled(state, v, id, false).await
}

async fn reset_password(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let user_id = parse_id(&id)?;
    let actor = v.user()?.user_id;
    let password = match crate::accounts::reset_password(&state.store, actor, user_id).await {
        Ok(p) => p,
        Err(e) => {
            errors_of(&state, &v, e)?;
            return Err(AppError::NotFound);
        }
    };
    let mut ctx = state.context(&v);
    ctx.insert("created", &state.store.user_by_id(user_id).await?);
    ctx.insert("one_time_password", &Some(password));
    ctx.insert("reset", &true);
    Ok(no_store(state.page("admin/user_created.html", &ctx)?))
}

/// A page showing a one-time password must not stay in any cache.
fn no_store(page: axum::response::Html<String>) -> Response {
    ([(axum::http::header::CACHE_CONTROL, "no-store")], page).into_response()
}
