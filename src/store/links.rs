//! Tracked links, the click log and its daily rollups. Clicks arrive in groups from the one
//! recorder task: each group is one transaction that appends the clicks and adds them to the
//! rollups, so a report reads `click_daily` and never scans raw clicks.

use std::collections::HashMap;

use serde::Serialize;

use super::{Store, StoreResult, on_pool, placeholders};
use crate::engagement::clicks::NewClick;
use crate::engagement::links::LinkSpec;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct TrackedLink {
    pub link_id: i64,
    pub slug: String,
    pub campaign_id: i64,
    pub post_id: Option<i64>,
    pub account_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub source: String,
    pub destination: String,
    pub created_at: i64,
}

const LINK_COLUMNS: &str =
    "link_id, slug, campaign_id, post_id, account_id, unit_id, source, destination, created_at";

/// One spec with its UTM-tagged destination and a candidate slug.
pub struct LinkRow<'a> {
    pub spec: &'a LinkSpec,
    pub destination: String,
    pub slug: String,
}

impl Store {
    /// The short link of each spec, created when missing (the candidate slug is used then).
    /// Returns slugs keyed by `LinkSpec::key`; a spec whose candidate slug happened to be taken
    /// is absent, and the caller tries again with another.
    pub async fn ensure_links(&self, rows: &[LinkRow<'_>]) -> StoreResult<HashMap<String, String>> {
        if rows.is_empty() {
            return Ok(HashMap::new());
        }
        let now = crate::clock::now_ms();
        let keys: Vec<String> = rows.iter().map(|r| r.spec.key()).collect();
        let values = (0..rows.len())
            .map(|i| format!("({})", placeholders(i * 9 + 1, 9)))
            .collect::<Vec<_>>()
            .join(", ");
        let insert = format!(
            "insert into tracked_link (slug, campaign_id, post_id, account_id, unit_id, source, destination, \
             created_at, attribution) values {values} on conflict do nothing"
        );
        let select = format!(
            "select attribution, slug from tracked_link where attribution in ({})",
            placeholders(1, keys.len())
        );
        let found: Vec<(String, String)> = on_pool!(self, pool => {
            let mut q = sqlx::query(&insert);
            for (r, key) in rows.iter().zip(&keys) {
                q = q.bind(&r.slug).bind(r.spec.campaign_id).bind(r.spec.post_id).bind(r.spec.account_id)
                    .bind(r.spec.unit_id).bind(r.spec.source).bind(&r.destination).bind(now).bind(key);
            }
            q.execute(pool).await?;
            let mut q = sqlx::query_as(&select);
            for key in &keys {
                q = q.bind(key);
            }
            q.fetch_all(pool).await?
        });
        Ok(found.into_iter().collect())
    }

    pub async fn link_by_slug(&self, slug: &str) -> StoreResult<Option<TrackedLink>> {
        let sql = format!("select {LINK_COLUMNS} from tracked_link where slug = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(slug).fetch_optional(pool).await)?)
    }

    pub async fn link(&self, link_id: i64) -> StoreResult<TrackedLink> {
        let sql = format!("select {LINK_COLUMNS} from tracked_link where link_id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(link_id).fetch_one(pool).await)?)
    }

    /// Links of a campaign by source (`post` or `qr`), in unit then id order.
    pub async fn campaign_links(
        &self,
        campaign_id: i64,
        source: &str,
    ) -> StoreResult<Vec<TrackedLink>> {
        let sql = format!(
            "select {LINK_COLUMNS} from tracked_link where campaign_id = $1 and source = $2 \
             order by unit_id, link_id"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as(&sql).bind(campaign_id).bind(source).fetch_all(pool).await)?,
        )
    }

    /// The salt of a Hanoi day, created by whichever instance asks first.
    pub async fn daily_salt(&self, day: &str) -> StoreResult<String> {
        let fresh = crate::secrets::random_token();
        Ok(on_pool!(self, pool => {
            sqlx::query("insert into daily_salt (day, salt) values ($1, $2) on conflict (day) do nothing")
                .bind(day).bind(&fresh).execute(pool).await?;
            sqlx::query_scalar("select salt from daily_salt where day = $1").bind(day).fetch_one(pool).await?
        }))
    }

    /// Appends a group of clicks and adds them to the daily rollups, in one transaction.
    pub async fn record_clicks(&self, clicks: &[NewClick]) -> StoreResult<()> {
        if clicks.is_empty() {
            return Ok(());
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Chunks keep every statement well under the drivers' parameter limits.
            for chunk in clicks.chunks(500) {
                let values = (0..chunk.len())
                    .map(|i| format!("({})", placeholders(i * 7 + 1, 7)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!("insert into click (link_id, at, day, referrer_host, device, bot, visitor) values {values}");
                let mut q = sqlx::query(&sql);
                for c in chunk {
                    q = q.bind(c.link_id).bind(c.at).bind(&c.day).bind(&c.referrer_host).bind(c.device)
                        .bind(c.bot).bind(&c.visitor);
                }
                q.execute(&mut *tx).await?;
            }
            // New (link, day, visitor) triples are the unique visitors; robots are not readers.
            let mut people: Vec<(i64, &str, &str)> = clicks.iter().filter(|c| !c.bot)
                .map(|c| (c.link_id, c.day.as_str(), c.visitor.as_str())).collect();
            people.sort_unstable();
            people.dedup();
            let mut first_time: HashMap<(i64, String), i64> = HashMap::new();
            for chunk in people.chunks(500) {
                let values = (0..chunk.len())
                    .map(|i| format!("({})", placeholders(i * 3 + 1, 3)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!("insert into click_visitor (link_id, day, visitor) values {values} \
                                   on conflict do nothing returning link_id, day");
                let mut q = sqlx::query_as(&sql);
                for (link, day, visitor) in chunk {
                    q = q.bind(link).bind(day).bind(visitor);
                }
                let added: Vec<(i64, String)> = q.fetch_all(&mut *tx).await?;
                for key in added {
                    *first_time.entry(key).or_default() += 1;
                }
            }
            // In key order, so two instances adding to the same rows never deadlock.
            let mut daily: std::collections::BTreeMap<(i64, &str), (i64, i64)> = Default::default();
            for c in clicks {
                let e = daily.entry((c.link_id, c.day.as_str())).or_default();
                if c.bot { e.1 += 1 } else { e.0 += 1 }
            }
            for ((link, day), (n, bots)) in daily {
                let uniques = first_time.get(&(link, day.to_string())).copied().unwrap_or(0);
                sqlx::query("insert into click_daily (link_id, day, clicks, unique_visitors, bot_clicks) \
                             values ($1, $2, $3, $4, $5) on conflict (link_id, day) do update set \
                             clicks = click_daily.clicks + excluded.clicks, \
                             unique_visitors = click_daily.unique_visitors + excluded.unique_visitors, \
                             bot_clicks = click_daily.bot_clicks + excluded.bot_clicks")
                    .bind(link).bind(day).bind(n).bind(uniques).bind(bots)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Raw clicks stored (tests and benchmarks compare it with the redirects answered).
    pub async fn click_count(&self) -> StoreResult<i64> {
        Ok(
            on_pool!(self, pool => sqlx::query_scalar("select count(*) from click").fetch_one(pool).await)?,
        )
    }

    /// Drops visitor keys and salts older than `day` (they only serve same-day de-duplication).
    pub async fn purge_click_keys(&self, day: &str) -> StoreResult<u64> {
        Ok(on_pool!(self, pool => {
            let a = sqlx::query("delete from click_visitor where day < $1").bind(day).execute(pool).await?.rows_affected();
            let b = sqlx::query("delete from daily_salt where day < $1").bind(day).execute(pool).await?.rows_affected();
            a + b
        }))
    }
}
