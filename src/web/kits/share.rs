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
use crate::domain::FieldError;
use crate::error::{AppError, AppResult};
use crate::store::{
    Area, Audience, ChannelAccount, Effects, Kit, KitTarget, MediaItem, Notice, Post, User,
};
use crate::web::posts::pairs;
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

/// Everything the share page works from, loaded for the visitor's own unit only.
struct Ctx {
    kit: Kit,
    target: KitTarget,
    unit: Area,
    master: Post,
    title: String,
    body: String,
    accounts: Vec<ChannelAccount>,
    trusted: bool,
    /// The unit's template values: filled into the master and into what staff type.
    values: BTreeMap<String, String>,
    media: Option<MediaItem>,
}

async fn load(state: &AppState, user: &User, id: i64) -> AppResult<Ctx> {
    let unit_id = user.unit_id.ok_or(AppError::NotFound)?;
    let kit = state.store.kit(id).await?;
    let target = state
        .store
        .kit_target(id, unit_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let unit = state.store.area_by_id(unit_id).await?;
    let values = crate::kits::values_for_unit(&state.store, unit_id).await?;
    let master = state.store.post(kit.post_id).await?;
    let accounts = state
        .store
        .list_accounts(Some(unit_id))
        .await?
        .into_iter()
        .filter(|a| a.status != "disabled")
        .collect();
    let media = match master.media_id {
        Some(m) => Some(state.store.media(m).await?),
        None => None,
    };
    Ok(Ctx {
        title: crate::kits::fill(&master.title, &values),
        body: crate::kits::fill(&master.body, &values),
        trusted: state.store.trusted_units().await?.contains(&unit_id),
        kit,
        target,
        unit,
        master,
        accounts,
        values,
        media,
    })
}

fn render(
    state: &AppState,
    v: &Visitor,
    c: &Ctx,
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
    ctx.insert("state", crate::kits::unit_state(&c.kit, &c.target, now));
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
        .as_deref()
        .is_some_and(|s| s != "cancelled");
    ctx.insert(
        "can_share",
        &(c.kit.status == "open" && c.target.declined_at.is_none() && !live),
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
    let c = load(&state, user, id).await?;
    if c.kit.status == "open" {
        state.store.mark_kit_opened(id, c.unit.area_id).await?;
    }
    let form = serde_json::json!({
        "title": c.title, "body": c.body, "mode": "now", "scheduled_at": "", "reason": "",
        "accounts": c.accounts.iter().map(|a| a.account_id).collect::<Vec<_>>(),
    });
    render(&state, &v, &c, &form, &[], StatusCode::OK)
}

/// The officer's edit limits still hold when unit staff edit their local version in the post
/// editor later: checked against the master filled for the unit.
pub async fn local_edit_limits(
    state: &AppState,
    user: &User,
    post: &Post,
    (title, body): (&str, &str),
) -> AppResult<Vec<FieldError>> {
    let (Some(unit), crate::domain::Role::District) = (post.unit_id, user.role) else {
        return Ok(Vec::new());
    };
    let Some(kit) = state.store.kit_of_local_post(post.post_id).await? else {
        return Ok(Vec::new());
    };
    let master = state.store.post(kit.post_id).await?;
    let values = crate::kits::values_for_unit(&state.store, unit).await?;
    let filled = (
        crate::kits::fill(&master.title, &values),
        crate::kits::fill(&master.body, &values),
    );
    // The editor names its master fields `master_title` and `master_body`.
    Ok(
        crate::kits::check_edits(&kit, (filled.0.as_str(), filled.1.as_str()), (title, body))
            .into_iter()
            .map(|mut e| {
                e.field = format!("master_{}", e.field);
                e
            })
            .collect(),
    )
}

/// The channel an account kind publishes.
fn channel_of(kind: &str) -> Option<&'static str> {
    crate::connectors::Kind::parse(kind).map(|k| k.channel().as_str())
}

async fn share(
    State(state): State<AppState>,
    v: Visitor,
    Path(id): Path<i64>,
    RawForm(raw): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let c = load(&state, &user, id).await?;
    let pairs = pairs(&raw);
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.replace("\r\n", "\n").trim().to_string())
            .unwrap_or_default()
    };
    // Fields typed by staff in their own words are filled like the master's: `{hotline}` in
    // their text means their unit's hotline too.
    let (title, body, mode) = (
        crate::kits::fill(&field("title"), &c.values),
        crate::kits::fill(&field("body"), &c.values),
        field("mode"),
    );
    let chosen: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "account")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let mut errors = Vec::new();
    if c.kit.status != "open" {
        errors.push(FieldError::new("form", "err_kit_withdrawn"));
    }
    errors.extend(crate::kits::check_edits(
        &c.kit,
        (c.title.as_str(), c.body.as_str()),
        (title.as_str(), body.as_str()),
    ));
    let accounts: Vec<&ChannelAccount> = c
        .accounts
        .iter()
        .filter(|a| chosen.contains(&a.account_id))
        .collect();
    if accounts.len() != chosen.len() {
        return Err(AppError::NotFound);
    }
    if accounts.is_empty() {
        errors.push(FieldError::new("account", "err_kit_choose_account"));
    }
    let edited = title != c.title.trim() || body != c.body.trim();
    let direct = mode != "review";
    // The master was approved by the city; a unit's own changes are reviewed unless the
    // officers trust the unit.
    if direct && edited && !c.trusted {
        errors.push(FieldError::new("form", "err_kit_review_needed"));
    }
    let campaign = state.store.campaign(c.kit.campaign_id).await?;
    let now = crate::clock::now_ms();
    let mut at = None;
    if direct {
        let when = if mode == "at" {
            crate::posts::parse_hanoi_time("scheduled_at", &field("scheduled_at"))
        } else {
            Ok(now + 1)
        };
        match when {
            Ok(t) => {
                errors.extend(crate::posts::check_schedule(
                    "scheduled_at",
                    t,
                    now,
                    &campaign,
                ));
                at = Some(t);
            }
            Err(e) => errors.push(e),
        }
    }
    let media = c.media.clone();
    let mut channels: Vec<String> = accounts
        .iter()
        .filter_map(|a| channel_of(&a.kind).map(str::to_string))
        .collect();
    channels.sort();
    channels.dedup();
    let input = crate::posts::PostInput {
        title: title.clone(),
        body: body.clone(),
        link: c.master.link.clone().unwrap_or_default(),
        hashtags: c.master.hashtags.clone(),
        media_id: String::new(),
        channels,
        ..Default::default()
    };
    let mut record = None;
    if errors.is_empty() {
        match crate::posts::build(&input, media.as_ref()) {
            Ok(mut rec) => {
                if direct {
                    errors.extend(crate::posts::ready_to_publish(
                        &rec.variants,
                        media.as_ref(),
                    ));
                }
                rec.unit_id = Some(c.unit.area_id);
                rec.scheduled_at = at;
                record = Some(rec);
            }
            Err(list) => errors.extend(list),
        }
    }
    if let (true, Some(rec)) = (errors.is_empty(), record) {
        let status = if direct { "scheduled" } else { "submitted" };
        let (actor, unit_name, kit_id) = (user.user_id, c.unit.name.clone(), c.kit.kit_id);
        let effects = |post_id: i64| {
            let effects = Effects::audited(
                Some(actor),
                "kit.share",
                &format!("kit:{kit_id}"),
                &format!("post:{post_id} {status}"),
            );
            // A version for review is the officers' next job: tell them where it is.
            if direct {
                effects
            } else {
                effects.notify(Notice::new(
                    Audience::Officers,
                    "kit_review",
                    "notice_kit_review",
                    serde_json::json!({"unit": unit_name, "title": rec.title}),
                    &format!("/posts/{post_id}"),
                ))
            }
        };
        match state
            .store
            .create_local_version(
                &c.kit,
                c.unit.area_id,
                user.user_id,
                status,
                &rec,
                &chosen,
                effects,
            )
            .await?
        {
            Some(post_id) => {
                if let Some(at) = at {
                    state.store.schedule_deliveries(post_id, at).await?;
                }
                // The confirmation says what really happens next.
                let notice = match mode.as_str() {
                    "review" => "kit_shared_review",
                    "at" => "kit_shared_at",
                    _ => "kit_shared",
                };
                return Ok(
                    Redirect::to(&format!("/posts/{post_id}?notice={notice}")).into_response()
                );
            }
            None => errors.push(FieldError::new("form", "err_kit_already_shared")),
        }
    }
    let form = serde_json::json!({
        "title": title, "body": body, "mode": mode, "scheduled_at": field("scheduled_at"),
        "reason": "", "accounts": chosen,
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
    let c = load(&state, &user, id).await?;
    let fields: BTreeMap<String, String> = pairs(&raw).into_iter().collect();
    let reason = fields.get("reason").map(|r| r.trim()).unwrap_or_default();
    let mut errors = Vec::new();
    if reason.is_empty() {
        errors.push(FieldError::new("reason", "err_required"));
    } else if reason.chars().count() > 500 {
        errors.push(FieldError::new("reason", "err_too_long").arg("max", 500));
    } else if c.kit.status != "open" {
        errors.push(FieldError::new("form", "err_kit_withdrawn"));
    } else if state.store.decline_kit(id, c.unit.area_id, reason).await? {
        state
            .store
            .audit(
                Some(user.user_id),
                "kit.decline",
                &format!("kit:{id}"),
                reason,
            )
            .await?;
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
