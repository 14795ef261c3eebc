//! A person's own account: changing their password (required after a one-time password).

use axum::Form;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::access::Access;
use super::form::FormErrors;
use super::session::Visitor;
use super::{AppState, Route};
use crate::domain::{FieldError, check_new_password};
use crate::error::AppResult;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/account/password",
            Access::SelfService,
            get(show),
        ),
        Route::new(
            Method::POST,
            "/account/password",
            Access::SelfService,
            post(change),
        ),
    ]
}

async fn show(State(state): State<AppState>, v: Visitor) -> AppResult<Response> {
    let mut ctx = state.context(&v);
    ctx.insert("errors", &FormErrors::default());
    ctx.insert("must_change", &v.user()?.must_change_password);
    Ok(state.page("account/password.html", &ctx)?.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

async fn change(
    State(state): State<AppState>,
    v: Visitor,
    Form(form): Form<PasswordForm>,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let (i18n, lang) = (&state.i18n, v.lang);
    let mut errors = FormErrors::default();
    let (_, hash) = state.store.user_for_login(&user.username).await?;
    if !crate::auth::verify_password_blocking(form.current.clone(), hash).await {
        errors.add(
            i18n,
            lang,
            &FieldError::new("current", "err_current_password"),
        );
    }
    if let Err(e) = check_new_password("new", &form.new, &user.username) {
        errors.add(i18n, lang, &e);
    } else if form.new != form.confirm {
        errors.add(
            i18n,
            lang,
            &FieldError::new("confirm", "err_password_mismatch"),
        );
    } else if form.new == form.current {
        errors.add(
            i18n,
            lang,
            &FieldError::new("new", "err_password_unchanged"),
        );
    }
    if !errors.is_empty() {
        let mut ctx = state.context(&v);
        ctx.insert("errors", &errors);
        ctx.insert("must_change", &user.must_change_password);
        return state.page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "account/password.html",
            &ctx,
        );
    }
    let hash = crate::auth::hash_password_blocking(form.new).await;
    // Other sessions end (a stolen one stops working); this one stays.
    state
        .store
        .set_password(
            user.user_id,
            &hash,
            false,
            v.session_key.as_deref(),
            &crate::store::Effects::audited(
                Some(user.user_id),
                "password_changed",
                &format!("user:{}", user.username),
                "",
            ),
        )
        .await?;
    Ok(Redirect::to("/?notice=password_changed").into_response())
}
