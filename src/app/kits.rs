//! A unit's share of a kit: the master filled with the unit's fields, edited within the
//! officer's limits, published through the unit's own accounts now or at a time, or sent for
//! review. The local post, its accounts, its deliveries, the kit binding, the audit line and
//! the officers' notice are one transaction; a repeated submission answers with the first.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{App, Once, Refused, StepResult};
use crate::content::PostStatus;
use crate::domain::{FieldError, Role};
use crate::error::{AppError, AppResult};
use crate::states::{AccountStatus, KitStatus};
use crate::store::{Area, Audience, ChannelAccount, Effects, Kit, KitTarget, MediaItem, Notice};
use crate::store::{Post, Store, User};

/// Everything the share page and the share step work from, for the reader's own unit only.
pub struct ShareView {
    pub kit: Kit,
    pub target: KitTarget,
    pub unit: Area,
    pub master: Post,
    /// The master's title and text with the unit's fields filled in.
    pub title: String,
    pub body: String,
    /// The unit's usable accounts.
    pub accounts: Vec<ChannelAccount>,
    /// Officers let this unit publish its own changes without review.
    pub trusted: bool,
    /// The unit's template values: filled into the master and into what staff type.
    pub values: BTreeMap<String, String>,
    pub media: Option<MediaItem>,
}

/// Loads kit `id` as seen by the reader's unit; 404 for a kit not addressed to it.
pub async fn share_view(store: &Store, user: &User, id: i64) -> AppResult<ShareView> {
    let unit_id = match (user.role, user.unit_id) {
        (Role::District, Some(unit)) => unit,
        _ => return Err(AppError::NotFound),
    };
    let kit = store.kit(id).await?;
    let target = store
        .kit_target(id, unit_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let unit = store.area_by_id(unit_id).await?;
    let values = crate::kits::values_for_unit(store, unit_id).await?;
    let master = store.post(kit.post_id).await?;
    let accounts = store
        .list_accounts(Some(unit_id))
        .await?
        .into_iter()
        .filter(|a| a.status != AccountStatus::Disabled)
        .collect();
    let media = match master.media_id {
        Some(m) => Some(store.media(m).await?),
        None => None,
    };
    Ok(ShareView {
        title: crate::kits::fill(&master.title, &values),
        body: crate::kits::fill(&master.body, &values),
        trusted: store.trusted_units().await?.contains(&unit_id),
        kit,
        target,
        unit,
        master,
        accounts,
        values,
        media,
    })
}

/// How the unit shares: at once, at a time, or as a version for the officers to review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Now,
    At,
    Review,
}

impl Mode {
    pub fn parse(value: &str) -> Mode {
        match value {
            "review" => Mode::Review,
            "at" => Mode::At,
            _ => Mode::Now,
        }
    }
}

/// What staff submitted.
#[derive(Clone, Debug)]
pub struct ShareInput {
    pub title: String,
    pub body: String,
    pub mode: Mode,
    /// Hanoi time for `Mode::At`.
    pub scheduled_at: String,
    pub accounts: Vec<i64>,
    pub once: Once,
}

/// The local version made (or, for a repeated submission, where the first one led).
#[derive(Clone, Debug, Serialize)]
pub enum Shared {
    Created { post_id: i64, status: PostStatus },
    Repeat { location: String },
}

/// Where a share leads: the new local version, with a confirmation that says what really
/// happens next.
pub fn shared_location(post_id: i64, mode: Mode) -> String {
    let notice = match mode {
        Mode::Review => "kit_shared_review",
        Mode::At => "kit_shared_at",
        Mode::Now => "kit_shared",
    };
    format!("/posts/{post_id}?notice={notice}")
}

/// Shares kit `id` for the reader's unit.
pub async fn share(app: &App, user: &User, id: i64, input: &ShareInput) -> StepResult<Shared> {
    let c = share_view(&app.store, user, id).await?;
    // Fields typed by staff in their own words are filled like the master's: `{hotline}` in
    // their text means their unit's hotline too.
    let title = crate::kits::fill(&input.title, &c.values);
    let body = crate::kits::fill(&input.body, &c.values);
    let mut errors = Vec::new();
    if c.kit.status != KitStatus::Open {
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
        .filter(|a| input.accounts.contains(&a.account_id))
        .collect();
    if accounts.len() != input.accounts.len() {
        return Err(AppError::NotFound.into());
    }
    if accounts.is_empty() {
        errors.push(FieldError::new("account", "err_kit_choose_account"));
    }
    let edited = title != c.title.trim() || body != c.body.trim();
    let direct = input.mode != Mode::Review;
    // The master was approved by the city; a unit's own changes are reviewed unless the
    // officers trust the unit.
    if direct && edited && !c.trusted {
        errors.push(FieldError::new("form", "err_kit_review_needed"));
    }
    let now = crate::clock::now_ms();
    let mut at = None;
    if direct {
        let campaign = app.store.campaign(c.kit.campaign_id).await?;
        let when = match input.mode {
            Mode::At => crate::posts::parse_hanoi_time("scheduled_at", &input.scheduled_at),
            _ => Ok(now + 1),
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
    let mut channels: Vec<String> = accounts
        .iter()
        .filter_map(|a| crate::connectors::Kind::parse(&a.kind))
        .map(|k| k.channel().as_str().to_string())
        .collect();
    channels.sort();
    channels.dedup();
    let post_input = crate::posts::PostInput {
        title: title.clone(),
        body: body.clone(),
        link: c.master.link.clone().unwrap_or_default(),
        hashtags: c.master.hashtags.clone(),
        media_id: String::new(),
        channels,
        ..Default::default()
    };
    let mut rec = match crate::posts::build(&post_input, c.media.as_ref()) {
        Ok(rec) => rec,
        Err(list) => {
            errors.extend(list);
            return Err(Refused::Invalid(errors));
        }
    };
    if direct {
        errors.extend(crate::posts::ready_to_publish(
            &rec.variants,
            c.media.as_ref(),
        ));
    }
    if !errors.is_empty() {
        return Err(Refused::Invalid(errors));
    }
    rec.unit_id = Some(c.unit.area_id);
    rec.scheduled_at = at;
    let status = if direct {
        PostStatus::Scheduled
    } else {
        PostStatus::Submitted
    };
    let mut tx = app.store.begin().await?;
    if let Some(location) = input.once.claim(&mut tx, user.user_id).await? {
        return Ok(Shared::Repeat { location });
    }
    let Some(post_id) = tx
        .create_local_version(
            &c.kit,
            c.unit.area_id,
            user.user_id,
            status,
            &rec,
            &input.accounts,
        )
        .await?
    else {
        return Err(Refused::field("form", "err_kit_already_shared"));
    };
    if let Some(at) = at {
        tx.schedule_deliveries(post_id, at).await?;
    }
    let mut effects = Effects::audited(
        Some(user.user_id),
        "kit.share",
        &format!("kit:{}", c.kit.kit_id),
        &format!("post:{post_id} {status}"),
    );
    // A version for review is the officers' next job: tell them where it is.
    if !direct {
        effects = effects.notify(Notice::new(
            Audience::Officers,
            "kit_review",
            "notice_kit_review",
            serde_json::json!({"unit": c.unit.name, "title": rec.title}),
            &format!("/posts/{post_id}"),
        ));
    }
    tx.write_effects(&effects).await?;
    input
        .once
        .finish(&mut tx, user.user_id, &shared_location(post_id, input.mode))
        .await?;
    tx.commit().await?;
    Ok(Shared::Created { post_id, status })
}

/// The officer's edit limits still hold when unit staff edit their local version in the post
/// editor later: checked against the master filled for the unit.
pub async fn local_edit_limits(
    store: &Store,
    user: &User,
    post: &Post,
    (title, body): (&str, &str),
) -> AppResult<Vec<FieldError>> {
    let (Some(unit), crate::domain::Role::District) = (post.unit_id, user.role) else {
        return Ok(Vec::new());
    };
    let Some(kit) = store.kit_of_local_post(post.post_id).await? else {
        return Ok(Vec::new());
    };
    let master = store.post(kit.post_id).await?;
    let values = crate::kits::values_for_unit(store, unit).await?;
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
