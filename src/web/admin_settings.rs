//! Instance settings (the active snapshot of the administrative map) and the audit log.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::access::ADMIN;
use super::form::NoticeQuery;
use super::form::{FormErrors, PER_PAGE, Pagination};
use super::session::Visitor;
use super::{AppState, Route};
use crate::domain::{FieldError, Role};
use crate::error::AppResult;
use crate::store::UserFilter;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/admin/settings", ADMIN, get(show)),
        Route::new(Method::POST, "/admin/settings", ADMIN, post(save)),
        Route::new(Method::GET, "/admin/audit", ADMIN, get(audit)),
    ]
}

async fn settings_page(
    state: &AppState,
    v: &Visitor,
    errors: &FormErrors,
    notice: Option<&str>,
) -> AppResult<tera::Context> {
    let active = state.store.active_snapshot().await?;
    let snapshots = state.store.snapshots().await?;
    // District staff bound to a unit outside the active snapshot see nothing until rebound.
    let (staff, _) = state
        .store
        .list_users(
            &UserFilter {
                query: None,
                role: Some(Role::District),
            },
            10_000,
            0,
        )
        .await?;
    let stranded = staff
        .iter()
        .filter(|u| u.unit_snapshot.as_deref() != Some(active.as_str()))
        .count();
    let mut ctx = state.context(v);
    ctx.insert("active", &active);
    ctx.insert("snapshots", &snapshots);
    if stranded > 0 {
        ctx.insert(
            "stranded",
            &state
                .i18n
                .format(v.lang, "settings_stranded", &[("n", stranded.to_string())]),
        );
    }
    ctx.insert("errors", errors);
    if let Some(n) = notice {
        ctx.insert("notice", state.i18n.text(v.lang, n));
    }
    Ok(ctx)
}

async fn show(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let ctx = settings_page(&state, &v, &FormErrors::default(), q.key()).await?;
    Ok(state.page("admin/settings.html", &ctx)?.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    active_snapshot: String,
}

async fn save(
    State(state): State<AppState>,
    v: Visitor,
    Form(form): Form<SettingsForm>,
) -> AppResult<Response> {
    let actor = v.user()?.user_id;
    let wanted = form.active_snapshot.trim();
    let known = state
        .store
        .snapshots()
        .await?
        .into_iter()
        .any(|(s, _, _)| s == wanted);
    if !known {
        let mut errors = FormErrors::default();
        errors.add(
            &state.i18n,
            v.lang,
            &FieldError::new("active_snapshot", "err_snapshot_unknown").arg("value", wanted),
        );
        let ctx = settings_page(&state, &v, &errors, None).await?;
        return state.page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin/settings.html",
            &ctx,
        );
    }
    let before = state.store.active_snapshot().await?;
    let audit = crate::store::Effects::audited(
        Some(actor),
        "setting_changed",
        "active_snapshot",
        &format!("{before} → {wanted}"),
    );
    state
        .store
        .set_setting_with(crate::store::ACTIVE_SNAPSHOT, wanted, &audit)
        .await?;
    Ok(Redirect::to("/admin/settings?notice=settings_saved").into_response())
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    page: Option<String>,
}

async fn audit(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<AuditQuery>,
) -> AppResult<Response> {
    let page = Pagination::requested(q.page.as_deref());
    let (entries, total) = state
        .store
        .recent_audit(PER_PAGE, Pagination::offset(page))
        .await?;
    let mut ctx = state.context(&v);
    ctx.insert("entries", &entries);
    ctx.insert("pagination", &Pagination::new(page, total, entries.len()));
    Ok(state.page("admin/audit.html", &ctx)?.into_response())
}
