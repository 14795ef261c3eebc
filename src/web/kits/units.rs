//! A unit's local fields (hotline, address, e-mail) that kit templates are filled with. The
//! unit's own staff and the city's officers change them; everyone else may read the city's
//! units, and district staff only their own (another unit answers 404).

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::store::Area;
use crate::web::access::{AUTHORS, Access};
use crate::web::form::NoticeQuery;
use crate::web::form::pairs;
use crate::web::session::Visitor;
use crate::web::{AppState, Route};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            Method::GET,
            "/units/{code}/fields",
            Access::SignedIn,
            get(show),
        ),
        Route::new(Method::POST, "/units/{code}/fields", AUTHORS, post(save)),
    ]
}

/// The unit, if the visitor may see it: district staff only their own.
async fn unit_for(state: &AppState, v: &Visitor, code: &str) -> AppResult<Area> {
    let user = v.user()?;
    let snapshot = state.store.active_snapshot().await?;
    let unit = state.store.area_by_code(&snapshot, code).await?;
    if user.role == Role::District && user.unit_id != Some(unit.area_id) {
        return Err(AppError::NotFound);
    }
    Ok(unit)
}

fn render(
    state: &AppState,
    v: &Visitor,
    unit: &Area,
    values: &std::collections::BTreeMap<String, String>,
    errors: &[crate::domain::FieldError],
    notice: Option<&str>,
) -> AppResult<Response> {
    let mut ctx = state.context(v);
    ctx.insert("unit_name", &unit.name);
    ctx.insert("unit_code", &unit.code);
    ctx.insert("values", values);
    let names: Vec<(&str, &str)> = crate::kits::LOCAL_FIELDS
        .iter()
        .map(|n| (*n, crate::kits::alias(n)))
        .collect();
    ctx.insert("names", &names);
    ctx.insert("editable", &!v.user()?.role.is_read_only());
    ctx.insert("errors", &state.form_errors(v, errors));
    if let Some(n) = notice {
        ctx.insert("notice", n);
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    state.page_with_status(status, "kits/unit_fields.html", &ctx)
}

async fn show(
    State(state): State<AppState>,
    v: Visitor,
    Path(code): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let unit = unit_for(&state, &v, &code).await?;
    let values = state.store.unit_fields(unit.area_id).await?;
    let notice = q.key().map(|k| state.i18n.text(v.lang, k));
    render(&state, &v, &unit, &values, &[], notice)
}

async fn save(
    State(state): State<AppState>,
    v: Visitor,
    Path(code): Path<String>,
    RawForm(raw): RawForm,
) -> AppResult<Response> {
    let unit = unit_for(&state, &v, &code).await?;
    let user = v.user()?;
    let sent = pairs(&raw);
    let fields: Vec<(String, String)> = crate::kits::LOCAL_FIELDS
        .iter()
        .map(|name| {
            let value = sent
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_default();
            (name.to_string(), value)
        })
        .collect();
    let errors = crate::kits::check_local_fields(&fields);
    if !errors.is_empty() {
        let values = fields.into_iter().collect();
        return render(&state, &v, &unit, &values, &errors, None);
    }
    state
        .store
        .set_unit_fields(
            unit.area_id,
            &fields,
            user.user_id,
            &crate::store::Effects::audited(
                Some(user.user_id),
                "unit.fields",
                &format!("unit:{}", unit.code),
                "",
            ),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/units/{}/fields?notice=settings_saved",
        unit.code
    ))
    .into_response())
}
