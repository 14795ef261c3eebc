//! Channel accounts (sealed credentials, status) and the links between posts and deliveries:
//! scheduling a post creates its deliveries; the deliveries' states sum up to the post's status.

use serde::Serialize;

use super::effects::write_effects;
use super::{Audience, Effects, Notice, Store, StoreError, StoreResult, Tx, on_pool, on_tx};
use crate::content::PostStatus;
use crate::states::{AccountStatus, DeliveryState};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ChannelAccount {
    pub account_id: i64,
    pub kind: String,
    pub name: String,
    pub unit_id: Option<i64>,
    #[serde(skip)]
    pub sealed_credentials: String,
    pub sandbox: bool,
    pub status: AccountStatus,
    pub status_reason: String,
    pub rate_per_minute: i64,
    pub concurrency: i64,
    pub version: i64,
    /// When its connection was last tested (`None`: never since its credentials were saved).
    pub checked_at: Option<i64>,
    /// What that test reported; empty when it worked.
    pub check_error: String,
}

pub struct NewAccount<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub unit_id: Option<i64>,
    pub sealed_credentials: &'a str,
    pub sandbox: bool,
    pub rate_per_minute: i64,
    pub concurrency: i64,
}

pub(super) const ACCOUNT_COLUMNS: &str = "account_id, kind, name, unit_id, sealed_credentials, sandbox, status, \
     status_reason, rate_per_minute, concurrency, version, checked_at, check_error";

/// The kind of account that carries each content channel's variant.
pub fn kind_for_channel(channel: &str) -> Option<&'static str> {
    Some(match channel {
        "portal" => "wordpress",
        "facebook" => "facebook",
        "zalo" => "zalo",
        "telegram" => "telegram",
        "mastodon" => "mastodon",
        "webhook" => "webhook",
        _ => return None,
    })
}

impl Store {
    /// Creates an account; `effects` (its audit line) gets the new id.
    pub async fn create_account_with(
        &self,
        new: &NewAccount<'_>,
        effects: impl Fn(i64) -> Effects,
    ) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        let now = tx.now;
        tx.point("account")?;
        let id: i64 = on_tx!(tx, c => sqlx::query_scalar(
            "insert into channel_account (kind, name, unit_id, sealed_credentials, sandbox, rate_per_minute, \
             concurrency, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning account_id")
            .bind(new.kind).bind(new.name).bind(new.unit_id).bind(new.sealed_credentials).bind(new.sandbox)
            .bind(new.rate_per_minute).bind(new.concurrency).bind(now)
            .fetch_one(&mut *c).await?);
        tx.write_effects(&effects(id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates an account without an audit line (seeding, benchmarks, tests).
    pub async fn create_account(&self, new: &NewAccount<'_>) -> StoreResult<i64> {
        self.create_account_with(new, |_| Effects::default()).await
    }

    pub async fn account(&self, account_id: i64) -> StoreResult<ChannelAccount> {
        let sql = format!("select {ACCOUNT_COLUMNS} from channel_account where account_id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(account_id).fetch_one(pool).await)?)
    }

    /// Accounts of the city (`unit_id` None) and of every unit, or of one unit.
    pub async fn list_accounts(&self, unit_id: Option<i64>) -> StoreResult<Vec<ChannelAccount>> {
        let sql = format!(
            "select {ACCOUNT_COLUMNS} from channel_account where ($1 is null or unit_id = $1) \
             order by unit_id nulls first, kind, name"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(unit_id).fetch_all(pool).await)?)
    }

    /// Replaces sealed credentials only if they are still `expected` (compare and swap): after a
    /// token refresh the new single-use refresh token is stored atomically or not at all.
    pub async fn swap_credentials(
        &self,
        account_id: i64,
        expected: &str,
        sealed: &str,
    ) -> StoreResult<bool> {
        let n = on_pool!(self, pool => sqlx::query(
            "update channel_account set sealed_credentials = $1, updated_at = $2, version = version + 1, \
             refresh_lease_until = null where account_id = $3 and sealed_credentials = $4")
            .bind(sealed).bind(crate::clock::now_ms()).bind(account_id).bind(expected)
            .execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Records a connection test: when, and what failed (empty: it worked).
    pub async fn record_account_check(&self, account_id: i64, error: &str) -> StoreResult<()> {
        let now = crate::clock::now_ms();
        on_pool!(self, pool => sqlx::query(
            "update channel_account set checked_at = $1, check_error = $2 where account_id = $3")
            .bind(now).bind(error).bind(account_id).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Takes the right to refresh the account's token until `until`; only one worker of all
    /// instances gets it (two refreshers would invalidate each other's single-use tokens).
    pub async fn take_refresh_lease(
        &self,
        account_id: i64,
        now: i64,
        until: i64,
    ) -> StoreResult<bool> {
        let n = on_pool!(self, pool => sqlx::query(
            "update channel_account set refresh_lease_until = $1 where account_id = $2 \
             and (refresh_lease_until is null or refresh_lease_until < $3)")
            .bind(until).bind(account_id).bind(now)
            .execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Flags or clears an account. Back to `active` releases its paused deliveries at once.
    /// The first move to `needs_reauth` tells the officers in the same transaction (the
    /// dispatcher pauses an account through here when its token is refused), so a paused
    /// account never goes unnoticed and several failing deliveries tell them once.
    pub async fn set_account_status(
        &self,
        account_id: i64,
        status: AccountStatus,
        reason: &str,
    ) -> StoreResult<()> {
        self.set_account_status_with(account_id, status, reason, &Effects::default())
            .await
    }

    /// `set_account_status` with a person's audit line in the same transaction.
    pub async fn set_account_status_with(
        &self,
        account_id: i64,
        status: AccountStatus,
        reason: &str,
        audit: &Effects,
    ) -> StoreResult<()> {
        let now = crate::clock::now_ms();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // The first statement writes, so SQLite takes its write lock at once (a read first
            // could not be upgraded once another writer commits); it also tells whether the
            // status really moved, which is when officers are told.
            let moved = sqlx::query("update channel_account set status = $1, status_reason = $2, updated_at = $3 \
                                     where account_id = $4 and status <> $1")
                .bind(status).bind(reason).bind(now).bind(account_id).execute(&mut *tx).await?.rows_affected() == 1;
            if !moved {
                let n = sqlx::query("update channel_account set status_reason = $1, updated_at = $2 where account_id = $3")
                    .bind(reason).bind(now).bind(account_id).execute(&mut *tx).await?.rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
            }
            if status == AccountStatus::Active {
                sqlx::query("update delivery set state = 'retry', due_at = $1, updated_at = $1 \
                             where account_id = $2 and state = 'paused'")
                    .bind(now).bind(account_id).execute(&mut *tx).await?;
            }
            if status == AccountStatus::NeedsReauth && moved {
                let name: String = sqlx::query_scalar("select name from channel_account where account_id = $1")
                    .bind(account_id).fetch_one(&mut *tx).await?;
                let effects = Effects::default().notify(Notice::new(
                    Audience::Officers,
                    "account_paused",
                    "notice_account_paused",
                    serde_json::json!({"account": name}),
                    &format!("/accounts/{account_id}"),
                ));
                write_effects!(tx, &effects, now);
            }
            write_effects!(tx, audit, now);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Creates (or re-arms) the deliveries of a scheduled post in a transaction of its own
    /// (seeding, benchmarks and the worker's repair sweep; see `Tx::schedule_deliveries`).
    pub async fn schedule_deliveries(&self, post_id: i64, due_at: i64) -> StoreResult<usize> {
        let mut tx = self.begin().await?;
        let n = tx.schedule_deliveries(post_id, due_at).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Scheduled posts due before `until` that have no delivery yet (a crash between the
    /// schedule and the delivery rows, or accounts connected after scheduling).
    pub async fn posts_missing_deliveries(&self, until: i64) -> StoreResult<Vec<(i64, i64)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select p.post_id, p.scheduled_at from post p where p.status = 'scheduled' \
             and p.scheduled_at is not null and p.scheduled_at <= $1 \
             and not exists (select 1 from delivery d where d.post_id = p.post_id) limit 100")
            .bind(until).fetch_all(pool).await)?)
    }
}

impl Tx {
    /// New credentials for an account, stored only if the old ones are still `expected`: the
    /// account becomes active (its paused deliveries resume) and counts as not tested again.
    /// False when someone else changed the credentials first.
    pub async fn reconnect_account(
        &mut self,
        account_id: i64,
        expected: &str,
        sealed: &str,
    ) -> StoreResult<bool> {
        let now = self.now;
        self.point("account credentials")?;
        let n = on_tx!(self, c => sqlx::query(
            "update channel_account set sealed_credentials = $1, status = 'active', status_reason = '', \
             checked_at = null, check_error = '', updated_at = $2, version = version + 1, \
             refresh_lease_until = null where account_id = $3 and sealed_credentials = $4")
            .bind(sealed).bind(now).bind(account_id).bind(expected)
            .execute(&mut *c).await?.rows_affected());
        if n == 1 {
            self.point("resume deliveries")?;
            on_tx!(self, c => sqlx::query("update delivery set state = 'retry', due_at = $1, updated_at = $1 \
                         where account_id = $2 and state = 'paused'")
                .bind(now).bind(account_id).execute(&mut *c).await?.rows_affected());
        }
        Ok(n == 1)
    }

    /// Re-sums a post's deliveries into its status (after a person's decision on one; the
    /// dispatcher does the same for a batch inside its own transaction). Returns the new status
    /// when it moved.
    pub async fn settle_post(&mut self, post_id: i64) -> StoreResult<Option<PostStatus>> {
        let (counts, status, version): (Vec<(DeliveryState, i64)>, PostStatus, i64) = on_tx!(self, c => {
            let counts = sqlx::query_as(
                "select state, count(*) from delivery where post_id = $1 and state <> 'cancelled' group by state")
                .bind(post_id).fetch_all(&mut *c).await?;
            let (status, version) = sqlx::query_as("select status, version from post where post_id = $1")
                .bind(post_id).fetch_one(&mut *c).await?;
            (counts, status, version)
        });
        let Some((target, action)) = crate::content::workflow::settle(status, &counts) else {
            return Ok(None);
        };
        let step = super::Step {
            action: action.as_str(),
            actor: None,
            comment: "",
            scheduled_at: None,
        };
        self.move_post(post_id, version, (status, target), &step)
            .await?;
        Ok(Some(target))
    }
}
