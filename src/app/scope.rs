//! Who sees what. City roles see the whole city; district staff see their own unit (and, for
//! posts, the city's posts of campaigns that target them) and nothing else. Every step and
//! every page asks here, so a unit never sees another's work by any route.

use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::store::{Campaign, Post, Scope, Store, UnitScope, User};

/// What part of the map `user` may see. Unit-bound staff whose unit is not in the active
/// snapshot (after a switch) see nothing until an admin binds them to a current unit.
pub async fn scope_of(store: &Store, user: &User) -> AppResult<Scope> {
    if user.role != Role::District {
        return Ok(Scope::City);
    }
    let active = store.active_snapshot().await?;
    Ok(match (&user.unit_snapshot, &user.unit_code) {
        (Some(snapshot), Some(code)) if *snapshot == active => Scope::Unit {
            snapshot: snapshot.clone(),
            code: code.clone(),
        },
        _ => Scope::Nothing,
    })
}

/// The unit a reader is confined to (`None`: the whole city). Staff without a current unit
/// get a scope that matches nothing.
pub async fn unit_scope(store: &Store, user: &User) -> AppResult<Option<UnitScope>> {
    Ok(match scope_of(store, user).await? {
        Scope::City => None,
        Scope::Unit { code, .. } => Some(UnitScope {
            unit_id: user.unit_id.unwrap_or(-1),
            code,
        }),
        Scope::Nothing => Some(UnitScope {
            unit_id: -1,
            code: String::new(),
        }),
    })
}

/// Loads a post the reader may read: district staff read their unit's posts and the city's
/// posts of campaigns targeting them; anything else answers 404, as if it did not exist.
pub async fn readable_post(store: &Store, user: &User, id: i64) -> AppResult<Post> {
    let post = store.post(id).await?;
    if let Some(scope) = unit_scope(store, user).await? {
        let own = post.unit_id == Some(scope.unit_id);
        let city_for_us = post.unit_id.is_none()
            && store
                .campaign_targets_unit(post.campaign_id, &scope.code)
                .await?;
        if !(own || city_for_us) {
            return Err(AppError::NotFound);
        }
    }
    Ok(post)
}

/// Planning steps (campaigns, kits, decisions on deliveries and proposals) are the city
/// officers' and admins'; anyone else is refused, whatever route they came by.
pub fn require_planner(user: &User) -> AppResult<()> {
    if matches!(user.role, Role::Admin | Role::Officer) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// District staff change only their own unit's posts; a city post they can read is 403.
pub fn may_edit(user: &User, post: &Post) -> bool {
    match user.role {
        Role::Admin | Role::Officer => true,
        Role::District => post.unit_id.is_some() && post.unit_id == user.unit_id,
        Role::Manager => false,
    }
}

/// Loads a campaign the reader may see: district staff see the campaigns that target them.
pub async fn visible_campaign(store: &Store, user: &User, id: i64) -> AppResult<Campaign> {
    let campaign = store.campaign(id).await?;
    if let Some(scope) = unit_scope(store, user).await?
        && !store.campaign_targets_unit(id, &scope.code).await?
    {
        return Err(AppError::NotFound);
    }
    Ok(campaign)
}
