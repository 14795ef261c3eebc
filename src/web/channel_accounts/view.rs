//! What the account pages show: the form of a kind (prefilled with saved non-secret values on
//! reconnect, with the simulators' values to paste for a sandbox account), the state an
//! account is shown in, and its problems explained.

use std::collections::HashMap;

use super::opened;
use crate::channel_accounts::{default_value, fields};
use crate::connectors::{Credentials, Failure, Kind};
use crate::error::AppResult;
use crate::store::ChannelAccount;
use crate::web::AppState;
use crate::web::form::FormErrors;
use crate::web::problems;
use crate::web::session::Visitor;

pub(super) async fn form_context(
    state: &AppState,
    v: &Visitor,
    kind: Kind,
    values: &HashMap<String, String>,
    errors: &FormErrors,
) -> AppResult<tera::Context> {
    let mut ctx = state.context(v);
    let specs: Vec<serde_json::Value> = fields(kind)
        .iter()
        .map(|(name, label, secret)| {
            let value = values
                .get(*name)
                .cloned()
                .unwrap_or_else(|| default_value(kind, name).to_string());
            serde_json::json!({"name": name, "label": label, "secret": secret,
                "value": if *secret { String::new() } else { value }})
        })
        .collect();
    ctx.insert("kind", kind.as_str());
    ctx.insert("kinds", &Kind::ALL.map(|k| k.as_str()));
    ctx.insert("fields", &specs);
    ctx.insert("form", values);
    ctx.insert("errors", errors);
    ctx.insert(
        "units",
        &crate::web::campaigns::reporting_units(state).await?,
    );
    ctx.insert("sandbox_values", &sandbox_values(state, kind).await?);
    Ok(ctx)
}

/// How an account is shown. Its stored status is what the dispatcher reads; on top of it an
/// active account that was never tested since its credentials were saved, or whose last test
/// failed, says so, so nobody takes it for a working connection. Publishing through it goes
/// on: the channel's own answer (a refused token pauses the account) is the authority, and a
/// test can fail for a passing reason.
pub fn shown_state(a: &ChannelAccount) -> &'static str {
    match a.status.as_str() {
        "disabled" => "disabled",
        "needs_reauth" => "needs_reauth",
        _ if !a.check_error.is_empty() => "check_failed",
        _ if a.checked_at.is_none() => "unchecked",
        _ => "active",
    }
}

/// The values to paste for a sandbox account of `kind`, when this Loa runs beside the channel
/// simulators (`loa demo` records them): (field, catalog label, value).
async fn sandbox_values(state: &AppState, kind: Kind) -> AppResult<Vec<(String, String, String)>> {
    let Some(raw) = state
        .store
        .setting(crate::channel_accounts::SANDBOX_VALUES)
        .await?
    else {
        return Ok(Vec::new());
    };
    let all: serde_json::Value = serde_json::from_str(&raw).unwrap_or_default();
    Ok(fields(kind)
        .iter()
        .filter_map(|(name, label, _)| {
            let v = all.get(kind.as_str())?.get(*name)?;
            let v = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            Some((name.to_string(), label.to_string(), v))
        })
        .collect())
}

/// The saved values of an account's non-secret fields (addresses, IDs), to prefill the
/// reconnect form: changing only a token must not need them typed again.
fn saved_values(kind: Kind, creds: &Credentials) -> HashMap<String, String> {
    let all = serde_json::to_value(creds).unwrap_or_default();
    fields(kind)
        .iter()
        .filter(|(_, _, secret)| !secret)
        .filter_map(|(name, _, _)| {
            let v = all.get(*name)?.as_str()?;
            Some((name.to_string(), v.to_string()))
        })
        .collect()
}

/// The account page's context: its state explained, the reconnect form prefilled with the
/// saved non-secret values.
pub(super) async fn show_context(
    state: &AppState,
    v: &Visitor,
    account: &ChannelAccount,
    kind: Kind,
) -> AppResult<tera::Context> {
    let saved = saved_values(kind, &opened(state, account)?);
    let mut ctx = form_context(state, v, kind, &saved, &FormErrors::default()).await?;
    ctx.insert("account", account);
    ctx.insert("shown_state", shown_state(account));
    let now = crate::clock::now_ms();
    if account.status == crate::states::AccountStatus::NeedsReauth {
        let e = problems::for_test("needs_reauth", &account.status_reason);
        ctx.insert(
            "paused_problem",
            &problems::show(&state.i18n, v.lang, &e, &account.status_reason, now),
        );
    }
    if !account.check_error.is_empty() {
        let e = problems::for_test("", &account.check_error);
        ctx.insert(
            "check_problem",
            &problems::show(&state.i18n, v.lang, &e, &account.check_error, now),
        );
    }
    Ok(ctx)
}

/// The class name the dispatcher would record for a failure.
pub(super) fn class_of(f: &Failure) -> &'static str {
    match f {
        Failure::Retryable { .. } => "retryable",
        Failure::TokenExpired { .. } => "token_expired",
        Failure::NeedsReauth { .. } => "needs_reauth",
        Failure::Permanent { .. } => "permanent",
        Failure::Ambiguous { .. } => "ambiguous",
    }
}
