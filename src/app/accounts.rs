//! Channel accounts: who sees which, and a person's reconnect — new credentials sealed and
//! swapped in only if nobody changed them meanwhile, the account active again, its paused
//! deliveries resumed and the audit line written, in one transaction.

use std::collections::HashMap;

use super::{App, Refused, StepResult};
use crate::channel_accounts::credentials;
use crate::connectors::{Credentials, Kind};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::secrets::SecretKey;
use crate::store::{ChannelAccount, Effects, Store, User};

/// An account the reader may see: unit staff see only their unit's (others answer 404).
pub async fn visible(store: &Store, user: &User, id: i64) -> AppResult<ChannelAccount> {
    let account = store.account(id).await?;
    if user.role == Role::District && account.unit_id != user.unit_id {
        return Err(AppError::NotFound);
    }
    Ok(account)
}

/// The account's credentials, unsealed.
pub fn opened(secret: &SecretKey, account: &ChannelAccount) -> AppResult<Credentials> {
    let plain = secret
        .open(&account.sealed_credentials)
        .map_err(AppError::Internal)?;
    serde_json::from_slice(&plain).map_err(|e| AppError::Internal(e.into()))
}

/// Replaces account `id`'s credentials with those in `form` (fields left empty keep their
/// previous secret). `Refused::Stale` when someone else reconnected it first.
pub async fn reconnect(
    app: &App,
    user: &User,
    id: i64,
    form: &HashMap<String, String>,
) -> StepResult<ChannelAccount> {
    super::scope::require_planner(user)?;
    let account = visible(&app.store, user, id).await?;
    let kind = Kind::parse(&account.kind).ok_or(AppError::NotFound)?;
    let previous = opened(&app.secret, &account)?;
    let creds = credentials(kind, form, Some(&previous)).map_err(Refused::Invalid)?;
    let sealed = app
        .secret
        .seal(&serde_json::to_vec(&creds).map_err(|e| AppError::Internal(e.into()))?);
    let mut tx = app.store.begin().await?;
    if !tx
        .reconnect_account(id, &account.sealed_credentials, &sealed)
        .await?
    {
        return Err(Refused::Stale);
    }
    tx.write_effects(&Effects::audited(
        Some(user.user_id),
        "account.reconnect",
        &format!("account:{id}"),
        &account.name,
    ))
    .await?;
    tx.commit().await?;
    Ok(account)
}
