//! The officers' side of a share kit: offering an approved city post to its target units with
//! a deadline and edit limits, and withdrawing it. Each is one transaction with its audit line
//! and the units' notices; a repeated offer form makes one kit.

use serde::Serialize;

use super::scope::require_planner;
use super::{App, Once, Refused, StepResult};
use crate::content::PostStatus;
use crate::domain::FieldError;
use crate::error::{AppError, AppResult};
use crate::store::{Audience, Effects, NewKit, Notice, Post, Store, User};

/// Statuses of a city post from which it may be offered to the districts.
pub const KIT_SOURCES: [PostStatus; 5] = [
    PostStatus::Approved,
    PostStatus::Scheduled,
    PostStatus::Publishing,
    PostStatus::Published,
    PostStatus::PartiallyPublished,
];

/// The city post a kit is made from (a unit's own post is never a master).
pub async fn source_post(store: &Store, id: i64) -> AppResult<Post> {
    let post = store.post(id).await?;
    if post.unit_id.is_some() {
        return Err(AppError::NotFound);
    }
    Ok(post)
}

/// The offer form as submitted.
#[derive(Clone, Debug, Default)]
pub struct KitInput {
    /// Hanoi time.
    pub deadline: String,
    pub hints: String,
    pub allow_title: bool,
    pub allow_body: bool,
    /// Empty: no limit.
    pub max_length: String,
    /// Unit ids as sent.
    pub targets: Vec<String>,
    pub once: Once,
}

#[derive(Clone, Debug, Serialize)]
pub enum Offered {
    Created { kit_id: i64 },
    Repeat { location: String },
}

/// Offers city post `post_id` to the chosen target units of its campaign.
pub async fn create(app: &App, user: &User, post_id: i64, input: &KitInput) -> StepResult<Offered> {
    require_planner(user)?;
    let post = source_post(&app.store, post_id).await?;
    let mut errors = Vec::new();
    if !KIT_SOURCES.contains(&post.status) {
        errors.push(FieldError::new("form", "err_kit_post_not_approved"));
    }
    let raw_deadline = input.deadline.trim();
    let deadline = match crate::posts::parse_hanoi_time("deadline", raw_deadline) {
        _ if raw_deadline.is_empty() => {
            errors.push(FieldError::new("deadline", "err_kit_deadline_required"));
            None
        }
        Ok(at) if at <= crate::clock::now_ms() => {
            errors.push(FieldError::new("deadline", "err_schedule_past"));
            None
        }
        Ok(at) => Some(at),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let hints = input.hints.trim().to_string();
    if hints.chars().count() > 2000 {
        errors.push(FieldError::new("hints", "err_too_long").arg("max", 2000));
    }
    let raw_max = input.max_length.trim();
    let max_length = if raw_max.is_empty() {
        None
    } else {
        match raw_max.parse::<i64>() {
            Ok(n) if (20..=63_206).contains(&n) => Some(n),
            _ => {
                errors.push(
                    FieldError::new("max_length", "err_kit_max_length").arg("value", raw_max),
                );
                None
            }
        }
    };
    let targets = app.store.campaign_targets(post.campaign_id).await?;
    let mut unit_ids = Vec::new();
    for raw in &input.targets {
        match targets.iter().find(|t| t.area_id.to_string() == *raw) {
            Some(t) if !unit_ids.contains(&t.area_id) => unit_ids.push(t.area_id),
            Some(_) => {}
            None => errors.push(FieldError::new("target", "err_kit_target").arg("value", raw)),
        }
    }
    if unit_ids.is_empty() {
        errors.push(FieldError::new("target", "err_kit_no_target"));
    }
    let Some(deadline) = deadline.filter(|_| errors.is_empty()) else {
        return Err(Refused::Invalid(errors));
    };
    // Each unit reads the title filled for it, as on its share page.
    let mut args = Vec::new();
    for unit in &unit_ids {
        let values = crate::kits::values_for_unit(&app.store, *unit).await?;
        args.push(
            serde_json::json!({"title": crate::kits::fill(&post.title, &values),
            "deadline": crate::clock::format_hanoi(deadline)}),
        );
    }
    let new = NewKit {
        post_id,
        campaign_id: post.campaign_id,
        deadline_at: deadline,
        hints,
        allow_title: input.allow_title,
        allow_body: input.allow_body,
        max_length,
        unit_ids: unit_ids.clone(),
        created_by: user.user_id,
    };
    let mut tx = app.store.begin().await?;
    if let Some(location) = input.once.claim(&mut tx, user.user_id).await? {
        return Ok(Offered::Repeat { location });
    }
    let kit_id = tx.create_kit(&new).await?;
    let mut effects = Effects::audited(
        Some(user.user_id),
        "kit.create",
        &format!("kit:{kit_id}"),
        &format!("post:{post_id}"),
    );
    for (unit, args) in unit_ids.iter().zip(args) {
        effects = effects.notify(Notice::new(
            Audience::Unit(*unit),
            "kit_new",
            "notice_kit_new",
            args,
            &format!("/kits/{kit_id}/share"),
        ));
    }
    tx.write_effects(&effects).await?;
    let location = format!("/kits/{kit_id}?notice=kit_created");
    input.once.finish(&mut tx, user.user_id, &location).await?;
    tx.commit().await?;
    Ok(Offered::Created { kit_id })
}

/// Withdraws open kit `id`: local versions not yet out are cancelled with their waiting
/// deliveries and the units told. False when the kit was not open.
pub async fn withdraw(app: &App, user: &User, id: i64) -> StepResult<bool> {
    require_planner(user)?;
    let kit = app.store.kit(id).await?;
    let args = serde_json::json!({"title": kit.title});
    let withdrawn = app
        .store
        .withdraw_kit(id, user.user_id, |units| {
            let mut effects =
                Effects::audited(Some(user.user_id), "kit.withdraw", &format!("kit:{id}"), "");
            for unit in units {
                effects = effects.notify(Notice::new(
                    Audience::Unit(*unit),
                    "kit_withdrawn",
                    "notice_kit_withdrawn",
                    args.clone(),
                    "/",
                ));
            }
            effects
        })
        .await?;
    Ok(withdrawn.is_some())
}

/// Reminds now every unit of open kit `id` that has not shared yet (an officer's nudge, on top
/// of the worker's one reminder after the deadline). Each unit's reminder is its own step —
/// the mail goes out, then the stamp is written — so a failure half-way reminds no unit twice.
/// `None` when the kit is not open.
pub async fn remind(
    app: &App,
    i18n: &crate::i18n::I18n,
    user: &User,
    id: i64,
) -> StepResult<Option<usize>> {
    require_planner(user)?;
    let kit = app.store.kit(id).await?;
    if kit.status != crate::states::KitStatus::Open {
        return Ok(None);
    }
    let now = crate::clock::now_ms();
    let mailer = crate::mail::Mailer::from_config(&app.config);
    let mut reminded = 0;
    for t in app.store.kit_targets(id).await? {
        if crate::kits::unit_state(&kit, &t, now).is_pending() {
            crate::kits::remind(&app.store, mailer.as_ref(), i18n, &kit, t.unit_id).await?;
            app.store.stamp_reminder(id, t.unit_id, now, false).await?;
            reminded += 1;
        }
    }
    app.store
        .audit(
            Some(user.user_id),
            "kit.remind",
            &format!("kit:{id}"),
            &reminded.to_string(),
        )
        .await?;
    Ok(Some(reminded))
}
