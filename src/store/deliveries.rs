//! Deliveries: one per (post, channel account), the unit of exactly-once publishing.
//!
//! A worker *claims* due deliveries by writing its name and a lease into them in one statement
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so several instances never take the same row; SQLite:
//! the single writer makes the update atomic). The claim marks the delivery `sending` before any
//! call leaves Loa, and remembers whether an earlier attempt may have reached the channel
//! (`reconcile`): a delivery found `sending` with an expired lease (its worker died mid-call) or
//! `unconfirmed` must be looked up on the channel before anything is sent again. The outcome is
//! written only by the lease holder, with the remote id in the same transaction as success.

use serde::Serialize;

use super::{Db, Store, StoreResult, Tx, on_pool, on_tx};
use crate::content::PostStatus;
use crate::states::{Decision, DeliveryState};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Delivery {
    pub delivery_id: i64,
    pub post_id: i64,
    pub account_id: i64,
    pub nonce: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub due_at: i64,
    pub reconcile: bool,
    pub remote_id: Option<String>,
    pub remote_url: Option<String>,
    pub last_error: String,
    pub last_error_class: String,
    pub published_at: Option<i64>,
    /// When the first publish request of this delivery was sent: lookups take nothing older.
    pub first_sent_at: Option<i64>,
    /// When the last publish request was sent: nothing is sent again until it cannot land.
    pub sent_at: Option<i64>,
    /// Publish requests sent so far (lookups do not count).
    pub sends: i64,
}

/// What happened to one claimed delivery.
#[derive(Clone, Debug, PartialEq)]
pub enum DeliveryResult {
    Published {
        remote_id: String,
        url: Option<String>,
    },
    /// Try again at `due_at` (did not take effect, or needs reconciling first).
    Again {
        state: DeliveryState,
        due_at: i64,
        class: &'static str,
        error: String,
    },
    /// The account needs a person; the delivery waits for it.
    Paused {
        error: String,
    },
    Failed {
        class: &'static str,
        error: String,
    },
}

const DELIVERY_COLUMNS: &str = "delivery_id, post_id, account_id, nonce, state, attempts, due_at, \
     reconcile, remote_id, remote_url, last_error, last_error_class, published_at, first_sent_at, \
     sent_at, sends";

/// Due: waiting and its time has come, or `sending` under a lease that ran out (a worker died).
const DUE: &str = "((d.state in ('pending', 'retry', 'unconfirmed') and d.due_at <= $3) \
     or (d.state = 'sending' and d.lease_until < $3))";

impl Store {
    /// Claims up to `limit` due deliveries of active accounts for `owner` until `lease_until`.
    pub async fn claim_deliveries(
        &self,
        owner: &str,
        lease_until: i64,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<Delivery>> {
        // Per account: free concurrency slots (calls in flight) and the rate budget left in the
        // last minute; each account gets at most that many of its earliest due deliveries. The
        // two kinds of due delivery are found by two plain index scans (`due`) rather than one
        // OR: a bitmap scan over the OR revisited entries of rows updated since, until vacuum.
        // Whatever a delivery row says, only a post in a sendable state is sent: a post
        // cancelled or unscheduled by a step that failed half-way (or by hand) never goes out.
        // The same condition is in the final WHERE, which PostgreSQL re-checks under the lock.
        let sendable = format!(
            "exists (select 1 from post p where p.post_id = d.post_id and p.status in {})",
            PostStatus::sql_list(&PostStatus::SENDABLE)
        );
        let pick = format!(
            "with busy as materialized (select a.account_id, \
               a.concurrency - (select count(*) from delivery x where x.account_id = a.account_id \
                 and x.state = 'sending' and x.lease_until >= $3) as slots, \
               a.rate_per_minute - (select count(*) from delivery_attempt t where t.account_id = a.account_id \
                 and t.started_at > $3 - 60000) \
                 - (select count(*) from delivery x where x.account_id = a.account_id \
                 and x.state = 'sending' and x.lease_until >= $3) as budget \
               from channel_account a where a.status = 'active'), \
             due as (select delivery_id, account_id, due_at from delivery d \
               where state in ('pending', 'retry', 'unconfirmed') and due_at <= $3 and {sendable} \
               union all select delivery_id, account_id, due_at from delivery d \
               where state = 'sending' and lease_until < $3 and {sendable}), \
             ranked as (select d.delivery_id, d.due_at, b.slots, b.budget, \
               row_number() over (partition by d.account_id order by d.due_at, d.delivery_id) as rn \
               from due d join busy b on b.account_id = d.account_id \
               where b.slots > 0 and b.budget > 0) \
             select delivery_id from ranked where rn <= slots and rn <= budget \
             order by due_at, delivery_id limit $4"
        );
        // In SET, `state` and `reconcile` are the row's values before the update. A claim
        // that is not a lookup sends at once: it is recorded as a send here, before the call.
        let set = "state = 'sending', lease_owner = $1, lease_until = $2, attempts = attempts + 1, \
                   updated_at = $3, reconcile = (reconcile or state in ('sending', 'unconfirmed')), \
                   sends = case when reconcile or state in ('sending', 'unconfirmed') then sends else sends + 1 end, \
                   sent_at = case when reconcile or state in ('sending', 'unconfirmed') then sent_at else $3 end, \
                   first_sent_at = case when reconcile or state in ('sending', 'unconfirmed') then first_sent_at \
                                   else coalesce(first_sent_at, $3) end";
        let rows = match &self.db {
            Db::Postgres(pool) => {
                let sql = format!(
                    "update delivery set {set} where delivery_id in (select d.delivery_id from delivery d \
                     where d.delivery_id in ({pick}) and {DUE} and {sendable} for update skip locked) \
                     returning {DELIVERY_COLUMNS}"
                );
                sqlx::query_as(&sql)
                    .bind(owner)
                    .bind(lease_until)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
            Db::Sqlite(pool) => {
                let sql = format!(
                    "update delivery set {set} where delivery_id in ({pick}) returning {DELIVERY_COLUMNS}"
                );
                sqlx::query_as(&sql)
                    .bind(owner)
                    .bind(lease_until)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
            }
        };
        Ok(rows)
    }

    /// Moves every pending delivery to `due_at` (benchmarks start all of them at one instant,
    /// after seeding).
    pub async fn set_pending_due(&self, due_at: i64) -> StoreResult<u64> {
        Ok(
            on_pool!(self, pool => sqlx::query("update delivery set due_at = $1 where state = 'pending'")
            .bind(due_at).execute(pool).await.map(|r| r.rows_affected()))?,
        )
    }

    /// Deliveries through the accounts of one unit (benchmarks, reports).
    pub async fn deliveries_of_unit(&self, unit_id: i64) -> StoreResult<Vec<Delivery>> {
        let sql = format!(
            "select {DELIVERY_COLUMNS} from delivery where account_id in \
             (select account_id from channel_account where unit_id = $1) order by delivery_id"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(unit_id).fetch_all(pool).await)?)
    }

    pub async fn deliveries_of_post(&self, post_id: i64) -> StoreResult<Vec<Delivery>> {
        let sql = format!(
            "select {DELIVERY_COLUMNS} from delivery where post_id = $1 order by delivery_id"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(post_id).fetch_all(pool).await)?)
    }

    /// Failed deliveries, newest first, with their post and account: the dead letters.
    pub async fn dead_letters(&self, limit: i64) -> StoreResult<Vec<DeadLetter>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select d.delivery_id, d.post_id, p.title, a.name as account, d.last_error, d.last_error_class, d.updated_at \
             from delivery d join post p on p.post_id = d.post_id join channel_account a on a.account_id = d.account_id \
             where d.state = 'failed' order by d.updated_at desc limit $1")
            .bind(limit).fetch_all(pool).await)?)
    }

    /// Attempts by operation (publish, reconcile, reconcile+publish) and outcome.
    pub async fn attempt_counts(&self) -> StoreResult<Vec<(String, String, i64)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select operation, outcome, count(*) from delivery_attempt group by operation, outcome \
             order by operation, outcome")
            .fetch_all(pool).await)?)
    }

    /// Counts by state, for `/metrics` and the health page.
    pub async fn delivery_counts(&self) -> StoreResult<Vec<(String, i64)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select state, count(*) from delivery group by state order by state")
            .fetch_all(pool).await)?)
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DeadLetter {
    pub delivery_id: i64,
    pub post_id: i64,
    pub title: String,
    pub account: String,
    pub last_error: String,
    pub last_error_class: String,
    pub updated_at: i64,
}

impl Tx {
    /// A person's decision on one delivery of `post_id`, from the state it is in now (the
    /// table is `DeliveryState::decide`). `Ok(None)`: the delivery is not this post's;
    /// `Ok(Some(false))`: the decision makes no sense from its state.
    pub async fn decide_delivery(
        &mut self,
        post_id: i64,
        delivery_id: i64,
        decision: Decision,
        url: Option<&str>,
    ) -> StoreResult<Option<bool>> {
        let now = self.now;
        let row: Option<(DeliveryState, bool, String)> = on_tx!(self, c => sqlx::query_as(
            "select d.state, d.reconcile, a.kind from delivery d join channel_account a on a.account_id = d.account_id \
             where d.delivery_id = $1 and d.post_id = $2")
            .bind(delivery_id).bind(post_id).fetch_optional(&mut *c).await?);
        let Some((current, reconcile, kind)) = row else {
            return Ok(None);
        };
        // Where the channel can be asked, a delivery whose last answer was lost is still
        // looked up first; where it cannot (Telegram), looking up would only fail again.
        let lookup = crate::connectors::Kind::parse(&kind)
            .is_some_and(|k| k.lookup() == crate::connectors::Lookup::Listing);
        let Some(to) = current.decide(decision, reconcile, lookup) else {
            return Ok(Some(false));
        };
        self.point("delivery decision")?;
        let sql = match decision {
            // Attempts are counted afresh: the person has checked the channel.
            Decision::Retry => {
                "update delivery set state = $1, reconcile = (reconcile and $1 = 'unconfirmed'), \
                 due_at = $2, attempts = 0, sends = 0, updated_at = $2 where delivery_id = $3 and state = $4 \
                 and coalesce($5, '') = coalesce($5, '')"
            }
            Decision::Cancel => {
                "update delivery set state = $1, updated_at = $2 where delivery_id = $3 and state = $4 \
                 and coalesce($5, '') = coalesce($5, '')"
            }
            Decision::MarkPublished => {
                "update delivery set state = $1, published_at = $2, updated_at = $2, \
                 remote_url = coalesce($5, remote_url), last_error = 'marked published by hand' \
                 where delivery_id = $3 and state = $4"
            }
        };
        let n = on_tx!(self, c => sqlx::query(sql).bind(to).bind(now).bind(delivery_id).bind(current).bind(url)
            .execute(&mut *c).await?.rows_affected());
        Ok(Some(n == 1))
    }
}
