//! Metric snapshots polled from the channels, and the polling schedule kept on each published
//! delivery (`metrics_due_at`, `metrics_round`). Polls are claimed under a short lease like
//! deliveries, so several instances never poll one post at the same moment, and they count
//! against the account's per-minute budget (they are written to `delivery_attempt` as
//! `metrics`), so polling never eats the rate limit publishing needs.

use serde::Serialize;

use super::{Db, Store, StoreResult, on_pool};

/// A published delivery whose metrics are due.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DuePoll {
    pub delivery_id: i64,
    pub account_id: i64,
    pub remote_id: String,
    pub published_at: i64,
}

#[derive(Clone, Debug, Default, Serialize, sqlx::FromRow)]
pub struct Snapshot {
    pub delivery_id: i64,
    pub at: i64,
    pub views: Option<i64>,
    pub reach: Option<i64>,
    pub reactions: Option<i64>,
    /// `like:13 love:2`, as the channel gave it; empty when not given.
    pub reactions_by_type: String,
    pub comments: Option<i64>,
    pub shares: Option<i64>,
    pub clicks: Option<i64>,
    /// Why a value is missing (metric refused, permission), in plain words.
    pub note: String,
}

/// Kinds whose APIs report anything about a post; others rely on tracked links alone.
pub const POLLED_KINDS: &str = "('facebook', 'zalo', 'mastodon', 'wordpress')";

impl Store {
    /// Claims up to `limit` due polls; per account at most half of what its rate budget has
    /// left this minute (the other half stays for publishing), and never more than 5.
    pub async fn claim_metric_polls(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StoreResult<Vec<DuePoll>> {
        let pick = format!(
            "with budget as (select a.account_id, \
               (a.rate_per_minute - (select count(*) from delivery_attempt t where t.account_id = a.account_id \
                 and t.started_at > $1 - 60000)) / 2 as left_ \
               from channel_account a where a.status = 'active' and a.kind in {POLLED_KINDS}), \
             ranked as (select d.delivery_id, d.metrics_due_at, b.left_, \
               row_number() over (partition by d.account_id order by d.metrics_due_at, d.delivery_id) as rn \
               from delivery d join budget b on b.account_id = d.account_id \
               where d.state = 'published' and d.remote_id is not null and d.metrics_due_at <= $1 \
               and (d.metrics_lease_until is null or d.metrics_lease_until < $1)) \
             select delivery_id from ranked where rn <= left_ and rn <= 5 order by metrics_due_at limit $3"
        );
        let skip = match self.db {
            Db::Postgres(_) => " for update skip locked",
            Db::Sqlite(_) => "",
        };
        let sql = format!(
            "update delivery set metrics_lease_until = $2 where delivery_id in \
             (select d.delivery_id from delivery d where d.delivery_id in ({pick}){skip}) \
             and (metrics_lease_until is null or metrics_lease_until < $1) \
             returning delivery_id, account_id, remote_id, coalesce(published_at, 0) as published_at"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as(&sql).bind(now).bind(lease_until).bind(limit)
            .fetch_all(pool).await)?,
        )
    }

    /// Stores a poll's result and the next due time (None: polling ends) in one transaction.
    pub async fn finish_metric_poll(
        &self,
        poll: &DuePoll,
        snapshot: Option<&Snapshot>,
        started_at: i64,
        outcome: &str,
        (next_round, next_due): (i64, Option<i64>),
        now: i64,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if let Some(s) = snapshot {
                sqlx::query("insert into metric_snapshot (delivery_id, at, views, reach, reactions, reactions_by_type, \
                             comments, shares, clicks, note) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                    .bind(poll.delivery_id).bind(s.at).bind(s.views).bind(s.reach).bind(s.reactions)
                    .bind(&s.reactions_by_type).bind(s.comments).bind(s.shares).bind(s.clicks).bind(&s.note)
                    .execute(&mut *tx).await?;
            }
            sqlx::query("insert into delivery_attempt (delivery_id, account_id, started_at, finished_at, operation, outcome, detail) \
                         values ($1, $2, $3, $4, 'metrics', $5, '')")
                .bind(poll.delivery_id).bind(poll.account_id).bind(started_at).bind(now).bind(outcome)
                .execute(&mut *tx).await?;
            sqlx::query("update delivery set metrics_due_at = $1, metrics_round = $2, metrics_lease_until = null \
                         where delivery_id = $3")
                .bind(next_due).bind(next_round).bind(poll.delivery_id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// "Refresh now": the post's published deliveries are polled at the next step.
    pub async fn refresh_post_metrics(&self, post_id: i64, now: i64) -> StoreResult<u64> {
        let sql = format!(
            "update delivery set metrics_due_at = $1 where post_id = $2 and state = 'published' \
             and remote_id is not null and account_id in \
             (select account_id from channel_account where kind in {POLLED_KINDS})"
        );
        Ok(
            on_pool!(self, pool => sqlx::query(&sql).bind(now).bind(post_id).execute(pool).await.map(|r| r.rows_affected()))?,
        )
    }

    /// Every snapshot of a post's deliveries, oldest first.
    pub async fn post_snapshots(&self, post_id: i64) -> StoreResult<Vec<Snapshot>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select s.delivery_id, s.at, s.views, s.reach, s.reactions, s.reactions_by_type, s.comments, s.shares, \
             s.clicks, s.note from metric_snapshot s join delivery d on d.delivery_id = s.delivery_id \
             where d.post_id = $1 order by s.at, s.snapshot_id")
            .bind(post_id).fetch_all(pool).await)?)
    }
}
