//! The unit's side of a kit: the master text filled for the unit, editable within the
//! officer's limits, the unit's own channel accounts pre-selected; one step to share it through
//! the publishing engine (now or at a time), or as a local post that goes through review; or
//! decline with a reason. Staff only ever reach their own unit's row: another unit's kit (or a
//! kit not for them) answers 404.

use std::collections::BTreeMap;

use axum::extract::{Path, RawForm, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::UNIT_STAFF;
use crate::app::Once;
use crate::app::kits::{Mode, ShareInput, ShareView, Shared, share_view};
use crate::content::PostStatus;
use crate::domain::FieldError;
use crate::error::AppResult;
use crate::states::KitStatus;
use crate::web::form::pairs;
use crate::web::session::Visitor;
use crate::web::{AppState, Route};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/kits/{id}/share", UNIT_STAFF, get(page)),
        Route::new(Method::POST, "/kits/{id}/share", UNIT_STAFF, post(share)),
        Route::new(
            Method::POST,
            "/kits/{id}/decline",
            UNIT_STAFF,
            post(decline),
        ),
    ]
}

fn render(
    state: &AppState,
    v: &Visitor,
    c: &ShareView,
    form: &serde_json::Value,
    errors: &[FieldError],
    status: StatusCode,
) -> AppResult<Response> {
    let mut ctx = state.context(v);
    let now = crate::clock::now_ms();
    ctx.insert("kit", &c.kit);
    // The kit's title is the master's, with the unit's fields filled like its text.
    ctx.insert("kit_title", &c.title);
    ctx.insert("target", &c.target);
    ctx.insert("state", &crate::kits::unit_state(&c.kit, &c.target, now));
    ctx.insert("unit", &c.unit.name);
    ctx.insert("unit_code", &c.unit.code);
    ctx.insert("master", &c.master);
    ctx.insert("media", &c.media);
    ctx.insert("accounts", &c.accounts);
    ctx.insert("trusted", &c.trusted);
    ctx.insert("form", form);
    let mut unfilled = crate::kits::unfilled(&c.title);
    unfilled.extend(crate::kits::unfilled(&c.body));
    unfilled.dedup();
    // Where the unit fills its local fields, offered wherever one is missing.
    let typed_unfilled: Vec<String> = errors
        .iter()
        .filter(|e| e.key == "err_kit_unfilled")
        .filter_map(|e| {
            e.args
                .iter()
                .find(|(k, _)| *k == "name")
                .map(|(_, v)| v.clone())
        })
        .collect();
    ctx.insert(
        "fill_link",
        &crate::kits::needs_local_fields(unfilled.iter().chain(&typed_unfilled)),
    );
    ctx.insert("unfilled", &unfilled);
    ctx.insert("errors", &state.form_errors(v, errors));
    // Shareable while the kit is open and the unit has neither declined nor a live version.
    let live = c
        .target
        .local_status
        .is_some_and(|s| s != PostStatus::Cancelled);
    ctx.insert(
        "can_share",
        &(c.kit.status == KitStatus::Open && c.target.declined_at.is_none() && !live),
    );
    Ok(state
        .page_with_status(status, "kits/share.html", &ctx)?
        .into_response())
}

async fn page(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let user = v.user()?;
    let c = share_view(&state.store, user, id).await?;
    if c.kit.status == KitStatus::Open {
        state.store.mark_kit_opened(id, c.unit.area_id).await?;
    }
    let form = serde_json::json!({
        "title": c.title, "body": c.body, "mode": "now", "scheduled_at": "", "reason": "",
        "accounts": c.accounts.iter().map(|a| a.account_id).collect::<Vec<_>>(),
    });
    render(&state, &v, &c, &form, &[], StatusCode::OK)
}

/// Parses the share form, shares (`app::kits::share`), and shows the result or the reasons.
async fn share(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let pairs = pairs(&raw);
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.replace("\r\n", "\n").trim().to_string())
            .unwrap_or_default()
    };
    let input = ShareInput {
        title: field("title"),
        body: field("body"),
        mode: Mode::parse(&field("mode")),
        scheduled_at: field("scheduled_at"),
        accounts: pairs
            .iter()
            .filter(|(k, _)| k == "account")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
        once: Once::from_field(&field("once")),
    };
    let errors = match crate::app::kits::share(&state, &user, id, &input).await {
        Ok(Shared::Created { post_id, .. }) => {
            let to = crate::app::kits::shared_location(post_id, input.mode);
            return Ok(Redirect::to(&to).into_response());
        }
        Ok(Shared::Repeat { location }) => {
            return Ok(Redirect::to(&location).into_response());
        }
        Err(refused) => refused.into_errors()?,
    };
    let c = share_view(&state.store, &user, id).await?;
    let form = serde_json::json!({
        "title": input.title, "body": input.body, "mode": field("mode"),
        "scheduled_at": input.scheduled_at, "reason": "", "accounts": input.accounts,
    });
    render(
        &state,
        &v,
        &c,
        &form,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

async fn decline(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let c = share_view(&state.store, &user, id).await?;
    let fields: BTreeMap<String, String> = pairs(&raw).into_iter().collect();
    let reason = fields.get("reason").map(|r| r.trim()).unwrap_or_default();
    let mut errors = Vec::new();
    if reason.is_empty() {
        errors.push(FieldError::new("reason", "err_required"));
    } else if reason.chars().count() > 500 {
        errors.push(FieldError::new("reason", "err_too_long").arg("max", 500));
    } else if c.kit.status != KitStatus::Open {
        errors.push(FieldError::new("form", "err_kit_withdrawn"));
    } else if state
        .store
        .decline_kit(
            id,
            c.unit.area_id,
            reason,
            &crate::store::Effects::audited(
                Some(user.user_id),
                "kit.decline",
                &format!("kit:{id}"),
                reason,
            ),
        )
        .await?
    {
        return Ok(Redirect::to("/?notice=kit_declined").into_response());
    } else {
        errors.push(FieldError::new("form", "err_kit_already_shared"));
    }
    let form = serde_json::json!({
        "title": c.title, "body": c.body, "mode": "now", "scheduled_at": "", "reason": reason,
        "accounts": c.accounts.iter().map(|a| a.account_id).collect::<Vec<_>>(),
    });
    render(
        &state,
        &v,
        &c,
        &form,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}
