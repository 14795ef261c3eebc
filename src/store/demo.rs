//! Demo and backfill writes, used only by `loa demo` to give a fresh workspace some history.
//! Past publishing cannot go through the dispatcher (the channels would have to travel back in
//! time), so these functions write what the dispatcher, the poller and the click recorder would
//! have written: published posts and deliveries, metric snapshots, daily click rollups. Nothing
//! else in Loa calls them; they never touch rows they did not create.

use super::{Store, StoreResult, on_pool, placeholders};

/// One delivery as the dispatcher would have left it after publishing.
pub struct BackfillDelivery {
    pub account_id: i64,
    pub remote_id: String,
    pub remote_url: String,
}

/// One metric snapshot as the poller would have stored it.
pub struct BackfillSnapshot {
    pub delivery_id: i64,
    pub at: i64,
    pub views: i64,
    pub reach: i64,
    pub reactions: i64,
    pub comments: i64,
    pub shares: i64,
    pub clicks: i64,
}

/// One day of one tracked link as the click recorder would have rolled it up.
pub struct BackfillClicks {
    pub link_id: i64,
    pub day: String,
    pub clicks: i64,
    pub unique_visitors: i64,
    pub bot_clicks: i64,
}

/// Rows per multi-row insert: well under both drivers' bind limits.
const CHUNK: usize = 400;

impl Store {
    /// Marks a post published at `at` with one published delivery per account (demo backfill).
    /// Returns the delivery ids in the order given.
    pub async fn backfill_published(
        &self,
        post_id: i64,
        at: i64,
        actor: i64,
        deliveries: &[BackfillDelivery],
    ) -> StoreResult<Vec<i64>> {
        Ok(on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("update post set status = 'published', scheduled_at = $1, published_at = $1, \
                         updated_at = $1 where post_id = $2")
                .bind(at).bind(post_id).execute(&mut *tx).await?;
            for (action, from, to, when) in [
                ("submit", "draft", "submitted", at - 86_400_000),
                ("approve", "submitted", "approved", at - 43_200_000),
                ("schedule", "approved", "scheduled", at - 40_000_000),
            ] {
                super::posts::record_transition!(tx, post_id, Some(actor), when, action, Some(from), to, "");
            }
            let mut ids = Vec::with_capacity(deliveries.len());
            for d in deliveries {
                let nonce = format!("demo-{post_id}-{}", d.account_id);
                let id: i64 = sqlx::query_scalar(
                    "insert into delivery (post_id, account_id, nonce, state, attempts, due_at, remote_id, \
                     remote_url, created_at, updated_at, published_at) \
                     values ($1, $2, $3, 'published', 1, $4, $5, $6, $7, $4, $4) returning delivery_id")
                    .bind(post_id).bind(d.account_id).bind(&nonce).bind(at).bind(&d.remote_id)
                    .bind(&d.remote_url).bind(at - 40_000_000)
                    .fetch_one(&mut *tx).await?;
                sqlx::query("insert into delivery_attempt (delivery_id, started_at, finished_at, operation, outcome) \
                             values ($1, $2, $3, 'publish', 'published')")
                    .bind(id).bind(at).bind(at + 800).execute(&mut *tx).await?;
                ids.push(id);
            }
            tx.commit().await?;
            ids
        }))
    }

    /// Stores past metric snapshots (demo backfill), in a few multi-row statements.
    pub async fn backfill_snapshots(&self, rows: &[BackfillSnapshot]) -> StoreResult<()> {
        for chunk in rows.chunks(CHUNK) {
            let values = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * 8 + 1, 8)))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "insert into metric_snapshot (delivery_id, at, views, reach, reactions, comments, shares, clicks) \
                 values {values}"
            );
            on_pool!(self, pool => {
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q.bind(r.delivery_id).bind(r.at).bind(r.views).bind(r.reach).bind(r.reactions)
                        .bind(r.comments).bind(r.shares).bind(r.clicks);
                }
                q.execute(pool).await?;
            });
        }
        Ok(())
    }

    /// Sets past daily click rollups (demo backfill); a day already there is replaced, so
    /// loading twice does not double the counts.
    pub async fn backfill_click_daily(&self, rows: &[BackfillClicks]) -> StoreResult<()> {
        for chunk in rows.chunks(CHUNK) {
            let values = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * 5 + 1, 5)))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "insert into click_daily (link_id, day, clicks, unique_visitors, bot_clicks) values {values} \
                 on conflict (link_id, day) do update set clicks = excluded.clicks, \
                 unique_visitors = excluded.unique_visitors, bot_clicks = excluded.bot_clicks"
            );
            on_pool!(self, pool => {
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    q = q.bind(r.link_id).bind(&r.day).bind(r.clicks).bind(r.unique_visitors).bind(r.bot_clicks);
                }
                q.execute(pool).await?;
            });
        }
        // Loaded rather than clicked: the report rollups are recomputed from click_daily.
        self.rebuild_click_reports().await
    }

    /// Up to `limit` wards (communes) of a district, by code: where the demo hangs QR posters.
    pub async fn demo_wards(
        &self,
        snapshot: &str,
        district_code: &str,
        limit: i64,
    ) -> StoreResult<Vec<(i64, String)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select area_id, name from area where snapshot = $1 and parent_code = $2 and level = 'commune' \
             order by code limit $3")
            .bind(snapshot).bind(district_code).bind(limit).fetch_all(pool).await)?)
    }
}
