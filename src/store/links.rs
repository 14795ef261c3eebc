//! Tracked links, the click log and its daily rollups. Clicks arrive in groups from the
//! recorder; each group is one transaction that appends the clicks. Folds add them to the
//! rollups shortly after, so a report reads `click_daily` and never scans raw clicks.

use std::collections::HashMap;

use serde::Serialize;

use std::sync::Arc;

use super::clicklog::report_unit;
use super::{Db, Store, StoreError, StoreResult, on_pool, placeholders};
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
    /// The unit a city-wide report counts this link under: a ward's district, else `unit_id`.
    pub report_unit_id: Option<i64>,
}

impl TrackedLink {
    /// Where a click on this link counts in reports.
    pub fn target(&self) -> crate::engagement::clicks::ClickTarget {
        crate::engagement::clicks::ClickTarget {
            campaign_id: self.campaign_id,
            post_id: self.post_id,
            unit_id: self.unit_id,
            report_unit_id: self.report_unit_id,
            qr: self.source == "qr",
        }
    }
}

const LINK_COLUMNS: &str = concat!(
    "link_id, slug, campaign_id, post_id, account_id, unit_id, source, destination, created_at, ",
    report_unit!(),
    " as report_unit_id"
);

/// One spec with its UTM-tagged destination and a candidate slug.
pub struct LinkRow<'a> {
    pub spec: &'a LinkSpec,
    pub destination: String,
    pub slug: String,
}

impl Store {
    /// The short link of each spec, created when missing with the row's candidate slug.
    /// Returns slugs keyed by `LinkSpec::key`. A candidate that happens to be taken already
    /// (56^7 slugs: rare) is drawn again, a few times.
    pub async fn ensure_links(&self, rows: &[LinkRow<'_>]) -> StoreResult<HashMap<String, String>> {
        let mut found = self.insert_links(rows).await?;
        for _ in 0..3 {
            let missing: Vec<LinkRow> = rows
                .iter()
                .filter(|r| !found.contains_key(&r.spec.key()))
                .map(|r| LinkRow {
                    spec: r.spec,
                    destination: r.destination.clone(),
                    slug: crate::engagement::links::new_slug(),
                })
                .collect();
            if missing.is_empty() {
                break;
            }
            found.extend(self.insert_links(&missing).await?);
        }
        Ok(found)
    }

    async fn insert_links(&self, rows: &[LinkRow<'_>]) -> StoreResult<HashMap<String, String>> {
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

    /// Campaign links to these destinations as given (no unit, no UTM), as `(slug,
    /// destination)`: benchmarks and tests that need many links to click.
    pub async fn plain_links(
        &self,
        campaign_id: i64,
        destinations: &[String],
    ) -> StoreResult<Vec<(String, String)>> {
        let specs: Vec<LinkSpec> = destinations
            .iter()
            .map(|d| LinkSpec {
                campaign_id,
                post_id: None,
                account_id: None,
                unit_id: None,
                source: "qr",
                destination: d.clone(),
            })
            .collect();
        let rows: Vec<LinkRow> = specs
            .iter()
            .map(|spec| LinkRow {
                spec,
                destination: spec.destination.clone(),
                slug: crate::engagement::links::new_slug(),
            })
            .collect();
        let slugs = self.ensure_links(&rows).await?;
        Ok(specs
            .iter()
            .filter_map(|s| {
                slugs
                    .get(&s.key())
                    .map(|slug| (slug.clone(), s.destination.clone()))
            })
            .collect())
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

    /// Stores a group of clicks, atomically, with the store's own writer (see `clicklog`).
    /// They reach the rollups at the next fold.
    pub async fn record_clicks(&self, clicks: Vec<NewClick>) -> StoreResult<()> {
        let writer = self
            .click_writer
            .get_or_try_init(|| self.new_click_writer())
            .await?;
        writer.write(clicks).await
    }

    /// A writer of click groups. On PostgreSQL each has a numbering of its own and writes one
    /// group at a time, so concurrent groups need several; on SQLite all share the one thread.
    pub async fn new_click_writer(&self) -> StoreResult<ClickWriter> {
        Ok(match &self.db {
            Db::Sqlite(_) => ClickWriter {
                store: self.clone(),
                pg: None,
            },
            Db::Postgres(_) => {
                let options = super::clicklog::pg_click_options(&self.path, self.click_durability)
                    .map_err(StoreError::Other)?;
                let writer = super::clicklog::PgClickWriter::connect(
                    options,
                    self.click_ledgers.clone(),
                    self.click_stats.clone(),
                )
                .await?;
                ClickWriter {
                    store: self.clone(),
                    pg: Some(Arc::new(writer)),
                }
            }
        })
    }

    fn sqlite_click_writer(&self) -> StoreResult<&super::clicklog::SqliteClickWriter> {
        let writer = self.clicklog.get_or_init(|| {
            super::clicklog::SqliteClickWriter::start(
                &self.path,
                self.click_stats.clone(),
                self.click_durability,
                self.sqlite_click_driver,
            )
        });
        writer
            .as_ref()
            .map_err(|e| StoreError::Other(anyhow::anyhow!("click writer: {e}")))
    }

    /// Adds every stored click not yet counted to the rollups, and returns how many it added.
    /// Pages that read the rollups call it first, so they count every answered click; the
    /// click writers also fold on their own as clicks come in.
    pub async fn fold_clicks(&self) -> StoreResult<i64> {
        self.fold(true).await
    }

    /// One fold pass: on PostgreSQL a run per writer (the recorder's steady background fold);
    /// SQLite folds on its writer thread and catches up here.
    pub async fn fold_clicks_once(&self) -> StoreResult<i64> {
        self.fold(false).await
    }

    async fn fold(&self, catch_up: bool) -> StoreResult<i64> {
        match &self.db {
            Db::Sqlite(_) => Ok(self.sqlite_click_writer()?.fold().await?),
            Db::Postgres(pool) => {
                let started = std::time::Instant::now();
                let n = super::clicklog::fold_pg(
                    pool,
                    &self.click_visitors,
                    &self.click_ledgers,
                    catch_up,
                )
                .await?;
                if n > 0 {
                    self.click_stats.add_fold(started);
                }
                Ok(n)
            }
        }
    }

    /// Whether `record_clicks` forms groups itself (SQLite's writer thread); otherwise callers
    /// should hand it groups (PostgreSQL).
    pub fn groups_clicks_itself(&self) -> bool {
        matches!(self.db, Db::Sqlite(_))
    }

    /// When a redirect may answer (see `ClickDurability`).
    pub fn click_durability(&self) -> super::ClickDurability {
        self.click_durability
    }

    /// Click groups written so far.
    pub fn click_stats(&self) -> &super::GroupStats {
        &self.click_stats
    }

    /// Raw clicks stored (tests and benchmarks compare it with the redirects answered).
    pub async fn click_count(&self) -> StoreResult<i64> {
        Ok(
            on_pool!(self, pool => sqlx::query_scalar("select count(*) from click").fetch_one(pool).await)?,
        )
    }

    /// Clicks counted in the daily rollups (people and robots), after a fold: equals
    /// `click_count`.
    pub async fn click_rollup_total(&self) -> StoreResult<i64> {
        self.fold_clicks().await?;
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "select cast(coalesce(sum(clicks + bot_clicks), 0) as bigint) from click_daily")
            .fetch_one(pool).await)?)
    }

    /// Drops visitor keys and salts older than `day` (they only serve same-day de-duplication).
    pub async fn purge_click_keys(&self, day: &str) -> StoreResult<u64> {
        // PostgreSQL keeps its readers in batches (see `clicklog::visitors`).
        let readers = match self.db {
            Db::Sqlite(_) => "delete from click_visitor where day < $1",
            Db::Postgres(_) => "delete from click_reader_batch where day < $1",
        };
        Ok(on_pool!(self, pool => {
            let a = sqlx::query(readers).bind(day).execute(pool).await?.rows_affected();
            let b = sqlx::query("delete from daily_salt where day < $1").bind(day).execute(pool).await?.rows_affected();
            a + b
        }))
    }
}

/// Stores click groups (see `Store::new_click_writer`).
#[derive(Clone)]
pub struct ClickWriter {
    store: Store,
    pg: Option<Arc<super::clicklog::PgClickWriter>>,
}

impl ClickWriter {
    pub async fn write(&self, clicks: Vec<NewClick>) -> StoreResult<()> {
        if clicks.is_empty() {
            return Ok(());
        }
        match &self.pg {
            Some(w) => w.write(clicks).await?,
            None => self.store.sqlite_click_writer()?.record(clicks).await?,
        }
        Ok(())
    }
}
