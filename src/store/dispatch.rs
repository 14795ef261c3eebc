//! What the dispatcher reads and writes per batch rather than per delivery: the accounts and the
//! content of a claimed batch in three queries, and outcomes written by group commit (every
//! outcome that is ready goes into one transaction). Per-delivery round trips, not channel
//! latency, were what held a burst of thousands of due deliveries back.
//!
//! Group commit does not weaken exactly once: until its transaction commits, a delivery stays
//! `sending` under its lease, and a delivery found that way after a crash is looked up on the
//! channel before anything is sent again.

use std::collections::HashMap;

use super::accounts::ACCOUNT_COLUMNS;
use super::{
    ChannelAccount, Db, DeliveryResult, Store, StoreResult, VariantRow, on_pool, placeholders,
};
use crate::content::PostStatus;
use crate::content::workflow::{Action, settle};
use crate::states::DeliveryState;

/// The parts of a post a connector needs.
#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub struct PostContent {
    pub post_id: i64,
    pub campaign_id: i64,
    pub unit_id: Option<i64>,
    pub link: Option<String>,
    pub hashtags: String,
    pub media_id: Option<i64>,
}

/// One delivery's outcome, waiting for its group's transaction.
#[derive(Clone, Debug)]
pub struct Finished {
    pub delivery_id: i64,
    pub account_id: i64,
    pub started_at: i64,
    /// When the channel answered: `published_at` for a success, not the commit time.
    pub finished_at: i64,
    pub operation: &'static str,
    pub result: DeliveryResult,
    /// An image this publish uploaded to the channel: (blob key, the channel's media id).
    pub uploaded: Option<(String, String)>,
}

/// A variant row with its post: post, channel, title, summary, body, edited.
type VariantOf = (i64, String, String, String, String, bool);

/// A post status change: from, to, and the transition's action.
type Move = (PostStatus, PostStatus, Action);

/// The stored columns of an outcome: state, due, remote id, url, class, error.
type Columns<'a> = (
    DeliveryState,
    Option<i64>,
    Option<&'a str>,
    Option<&'a str>,
    &'static str,
    &'a str,
);

fn columns(result: &DeliveryResult) -> Columns<'_> {
    match result {
        DeliveryResult::Published { remote_id, url } => (
            DeliveryState::Published,
            None,
            Some(remote_id.as_str()),
            url.as_deref(),
            "",
            "",
        ),
        DeliveryResult::Again {
            state,
            due_at,
            class,
            error,
        } => (*state, Some(*due_at), None, None, class, error),
        DeliveryResult::Paused { error } => (
            DeliveryState::Paused,
            None,
            None,
            None,
            "needs_reauth",
            error,
        ),
        DeliveryResult::Failed { class, error } => {
            (DeliveryState::Failed, None, None, None, class, error)
        }
    }
}

impl Store {
    pub async fn accounts_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<ChannelAccount>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "select {ACCOUNT_COLUMNS} from channel_account where account_id in ({})",
            placeholders(1, ids.len())
        );
        Ok(on_pool!(self, pool => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(pool).await
        })?)
    }

    /// Codes of units by id (UTM parameters name the unit).
    pub async fn area_code_map(&self, ids: &[i64]) -> StoreResult<HashMap<i64, String>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "select area_id, code from area where area_id in ({})",
            placeholders(1, ids.len())
        );
        let rows: Vec<(i64, String)> = on_pool!(self, pool => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(pool).await?
        });
        Ok(rows.into_iter().collect())
    }

    /// The posts of a batch and their variants, keyed by post.
    pub async fn dispatch_content(
        &self,
        post_ids: &[i64],
    ) -> StoreResult<HashMap<i64, (PostContent, Vec<VariantRow>)>> {
        if post_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let list = placeholders(1, post_ids.len());
        let post_sql = format!(
            "select post_id, campaign_id, unit_id, link, hashtags, media_id from post where post_id in ({list})"
        );
        let variant_sql = format!(
            "select post_id, channel, title, summary, body, edited from post_variant where post_id in ({list})"
        );
        let (posts, variants): (Vec<PostContent>, Vec<VariantOf>) = on_pool!(self, pool => {
            let mut q = sqlx::query_as(&post_sql);
            let mut v = sqlx::query_as(&variant_sql);
            for id in post_ids {
                q = q.bind(id);
                v = v.bind(id);
            }
            (q.fetch_all(pool).await?, v.fetch_all(pool).await?)
        });
        let mut out: HashMap<i64, (PostContent, Vec<VariantRow>)> = posts
            .into_iter()
            .map(|p| (p.post_id, (p, Vec::new())))
            .collect();
        for (post_id, channel, title, summary, body, edited) in variants {
            if let Some(entry) = out.get_mut(&post_id) {
                entry.1.push(VariantRow {
                    channel,
                    title,
                    summary,
                    body,
                    edited,
                });
            }
        }
        Ok(out)
    }

    /// Records outcomes whose lease `owner` still holds, all in one transaction, with each
    /// touched post's status as the sum of its deliveries. Returns, per outcome, whether it was
    /// recorded (false: the lease was lost and another worker decides).
    pub async fn finish_deliveries(
        &self,
        owner: &str,
        done: &[Finished],
    ) -> StoreResult<Vec<bool>> {
        if done.is_empty() {
            return Ok(Vec::new());
        }
        // Posts are locked in id order (PostgreSQL), so two lanes settling overlapping posts
        // wait for each other instead of deadlocking.
        let lock = match self.db {
            Db::Postgres(_) => " for update",
            Db::Sqlite(_) => "",
        };
        let recorded = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut recorded = Vec::with_capacity(done.len());
            for f in done {
                let (state, due, remote_id, url, class, error) = columns(&f.result);
                let post: Option<i64> = sqlx::query_scalar(
                    "update delivery set state = $1, due_at = coalesce($2, due_at), remote_id = coalesce($3, remote_id), \
                     remote_url = coalesce($4, remote_url), last_error_class = $5, last_error = $6, updated_at = $7, \
                     published_at = case when $1 = 'published' then $7 else published_at end, \
                     metrics_due_at = case when $1 = 'published' then $7 + 3600000 else metrics_due_at end, \
                     metrics_round = case when $1 = 'published' then 0 else metrics_round end, \
                     reconcile = case when $1 = 'unconfirmed' then true when $1 = 'published' then false else reconcile end, \
                     lease_owner = null, lease_until = null \
                     where delivery_id = $8 and lease_owner = $9 and state = 'sending' \
                     and ($3 is null or not exists (select 1 from delivery o where o.account_id = delivery.account_id \
                       and o.remote_id = $3 and o.delivery_id <> delivery.delivery_id)) returning post_id")
                    .bind(state).bind(due).bind(remote_id).bind(url).bind(class).bind(error).bind(f.finished_at)
                    .bind(f.delivery_id).bind(owner)
                    .fetch_optional(&mut *tx).await?;
                if post.is_some()
                    && let Some((blob_key, media)) = &f.uploaded
                {
                    sqlx::query("insert into remote_media (account_id, blob_key, remote_id, created_at) \
                                 values ($1, $2, $3, $4) on conflict (account_id, blob_key) do update \
                                 set remote_id = excluded.remote_id, created_at = excluded.created_at")
                        .bind(f.account_id).bind(blob_key).bind(media).bind(f.finished_at)
                        .execute(&mut *tx).await?;
                }
                recorded.push(post);
            }
            let kept: Vec<&Finished> = done.iter().zip(&recorded).filter(|(_, r)| r.is_some()).map(|(f, _)| f).collect();
            if !kept.is_empty() {
                // One row per outcome: six values each, the detail is the error text.
                let sql = format!("insert into delivery_attempt (delivery_id, account_id, started_at, finished_at, \
                                   operation, outcome, detail) values {}",
                    (0..kept.len()).map(|i| format!("({}, ${})", placeholders(i * 6 + 1, 6), kept.len() * 6 + i + 1))
                        .collect::<Vec<_>>().join(", "));
                let mut q = sqlx::query(&sql);
                for f in &kept {
                    q = q.bind(f.delivery_id).bind(f.account_id).bind(f.started_at).bind(f.finished_at)
                        .bind(f.operation).bind(columns(&f.result).0);
                }
                for f in &kept {
                    q = q.bind(columns(&f.result).5);
                }
                q.execute(&mut *tx).await?;
            }
            let mut posts: Vec<i64> = recorded.iter().flatten().copied().collect();
            posts.sort_unstable();
            posts.dedup();
            if !posts.is_empty() {
                let list = placeholders(1, posts.len());
                let sql = format!("select post_id, status, version from post where post_id in ({list}) order by post_id{lock}");
                let mut q = sqlx::query_as(&sql);
                for id in &posts {
                    q = q.bind(id);
                }
                let current: Vec<(i64, PostStatus, i64)> = q.fetch_all(&mut *tx).await?;
                let sql = format!("select post_id, state, count(*) from delivery where post_id in ({list}) \
                                   and state <> 'cancelled' group by post_id, state");
                let mut q = sqlx::query_as(&sql);
                for id in &posts {
                    q = q.bind(id);
                }
                let counts: Vec<(i64, DeliveryState, i64)> = q.fetch_all(&mut *tx).await?;
                let now = done.iter().map(|f| f.finished_at).max().unwrap_or_default();
                // Posts moving the same way are updated together; the rows are locked, so no
                // version check is needed beyond the status read under the lock.
                let mut moves: Vec<(Move, Vec<i64>)> = Vec::new();
                for (post_id, status, _) in current {
                    let of_post: Vec<(DeliveryState, i64)> = counts.iter()
                        .filter(|c| c.0 == post_id).map(|c| (c.1, c.2)).collect();
                    if let Some((target, action)) = settle(status, &of_post) {
                        let key = (status, target, action);
                        match moves.iter_mut().find(|m| m.0 == key) {
                            Some(m) => m.1.push(post_id),
                            None => moves.push((key, vec![post_id])),
                        }
                    }
                }
                for ((from, target, action), ids) in moves {
                    let sql = format!("update post set status = $1, updated_at = $2, version = version + 1, \
                                       published_at = case when $1 in ('published', 'partially_published') \
                                         then coalesce(published_at, $2) else published_at end \
                                       where status = $3 and post_id in ({})", placeholders(4, ids.len()));
                    let mut q = sqlx::query(&sql).bind(target).bind(now).bind(from);
                    for id in &ids {
                        q = q.bind(id);
                    }
                    q.execute(&mut *tx).await?;
                    let sql = format!("insert into post_transition (post_id, actor_id, at, action, from_status, to_status, comment) \
                                       select post_id, cast(null as bigint), $1, $2, $3, $4, '' from post where post_id in ({})",
                                      placeholders(5, ids.len()));
                    let mut q = sqlx::query(&sql).bind(now).bind(action.as_str()).bind(from).bind(target);
                    for id in &ids {
                        q = q.bind(id);
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            recorded
        });
        Ok(recorded.into_iter().map(|r| r.is_some()).collect())
    }
}
