//! What reports need beside the rollups: residents per unit (with their source), the top
//! posts of a period, and shareable read-only links.

use serde::Serialize;

use super::{ReportQuery, day_start_ms};
use crate::store::{Store, StoreResult, on_pool};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Population {
    pub area_id: i64,
    pub code: String,
    pub name: String,
    pub population: i64,
    pub year: i64,
    pub source: String,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct TopPost {
    pub post_id: i64,
    pub title: String,
    pub unit_name: Option<String>,
    pub published_at: Option<i64>,
    pub views: i64,
    pub reactions: i64,
    pub comments: i64,
    pub shares: i64,
    pub link_clicks: i64,
    pub engagement: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ShareLink {
    pub share_id: i64,
    pub query: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl Store {
    pub async fn populations(&self, snapshot: &str) -> StoreResult<Vec<Population>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select p.area_id, a.code, a.name, p.population, p.year, p.source, p.updated_at \
             from unit_population p join area a on a.area_id = p.area_id where a.snapshot = $1 order by a.code")
            .bind(snapshot).fetch_all(pool).await)?)
    }

    /// Sets (or replaces) the residents of each unit, all rows or none.
    pub async fn set_populations(
        &self,
        rows: &[(i64, i64, i64, String)],
        by: i64,
    ) -> StoreResult<()> {
        let now = crate::clock::now_ms();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (area_id, population, year, source) in rows {
                sqlx::query("insert into unit_population (area_id, population, year, source, updated_by, updated_at) \
                             values ($1, $2, $3, $4, $5, $6) on conflict (area_id) do update set \
                             population = excluded.population, year = excluded.year, source = excluded.source, \
                             updated_by = excluded.updated_by, updated_at = excluded.updated_at")
                    .bind(area_id).bind(population).bind(year).bind(source).bind(by).bind(now)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Posts published in the period (within the filters and the units shown), by engagement
    /// to date.
    pub async fn top_posts(
        &self,
        q: &ReportQuery,
        unit_ids: &[i64],
        limit: i64,
    ) -> StoreResult<Vec<TopPost>> {
        self.fold_clicks().await?;
        let (filter, binds) = q.campaign_filter("p.campaign_id", 4);
        let units = if unit_ids.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = unit_ids.iter().map(|i| i.to_string()).collect();
            // Ids come from the database as integers, never from the request.
            format!(
                " and (p.unit_id in ({0}) or u.parent_code in (select code from area where area_id in ({0})))",
                ids.join(", ")
            )
        };
        let sql = format!(
            "select p.post_id, p.title, u.name as unit_name, p.published_at, \
             coalesce(e.views, 0) as views, coalesce(e.reactions, 0) as reactions, \
             coalesce(e.comments, 0) as comments, coalesce(e.shares, 0) as shares, \
             coalesce(e.link_clicks, 0) as link_clicks, \
             coalesce(e.reactions + e.comments + e.shares + e.link_clicks, 0) as engagement \
             from post p left join post_engagement e on e.post_id = p.post_id \
             left join area u on u.area_id = p.unit_id \
             where p.published_at >= $1 and p.published_at < $2{units}{filter} \
             order by engagement desc, p.post_id limit $3"
        );
        let from_ms = day_start_ms(q.from);
        let to_ms = day_start_ms(q.to.next_day().unwrap_or(q.to));
        Ok(on_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(from_ms).bind(to_ms).bind(limit);
            for b in &binds {
                query = query.bind(b);
            }
            query.fetch_all(pool).await
        })?)
    }

    pub async fn create_share(
        &self,
        token_hash: &str,
        query: &str,
        by: i64,
        expires_at: i64,
    ) -> StoreResult<i64> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "insert into report_share (token_hash, query, created_by, created_at, expires_at) \
             values ($1, $2, $3, $4, $5) returning share_id")
            .bind(token_hash).bind(query).bind(by).bind(crate::clock::now_ms()).bind(expires_at)
            .fetch_one(pool).await)?)
    }

    pub async fn share_by_hash(&self, token_hash: &str) -> StoreResult<ShareLink> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select s.share_id, s.query, u.display_name as created_by, s.created_at, s.expires_at, s.revoked_at \
             from report_share s join app_user u on u.user_id = s.created_by where s.token_hash = $1")
            .bind(token_hash).fetch_one(pool).await)?)
    }

    pub async fn list_shares(&self) -> StoreResult<Vec<ShareLink>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select s.share_id, s.query, u.display_name as created_by, s.created_at, s.expires_at, s.revoked_at \
             from report_share s join app_user u on u.user_id = s.created_by order by s.share_id desc limit 50")
            .fetch_all(pool).await)?)
    }

    pub async fn revoke_share(&self, share_id: i64) -> StoreResult<()> {
        let n = on_pool!(self, pool => sqlx::query(
            "update report_share set revoked_at = $1 where share_id = $2 and revoked_at is null")
            .bind(crate::clock::now_ms()).bind(share_id).execute(pool).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(crate::store::StoreError::NotFound);
        }
        Ok(())
    }

    /// (id, title) of every campaign, newest first, for the report's filter.
    pub async fn campaign_titles(&self) -> StoreResult<Vec<(i64, String)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select campaign_id, title from campaign order by campaign_id desc")
            .fetch_all(pool).await)?)
    }

    /// (campaign, dimension code) of every campaign.
    pub async fn campaign_dimension_pairs(&self) -> StoreResult<Vec<(i64, String)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select campaign_id, dimension_code from campaign_dimension")
            .fetch_all(pool).await)?)
    }
}

/// Bulk statements for benchmarks: SQL text that Loa's own code generates (never anything from
/// a request), so `loa bench report` can seed millions of rows set-based instead of through
/// the per-record methods.
impl Store {
    /// Runs trusted, generated SQL (one or more statements); returns rows affected.
    pub async fn execute_generated(&self, sql: &str) -> StoreResult<u64> {
        Ok(
            on_pool!(self, pool => sqlx::raw_sql(sql).execute(pool).await.map(|r| r.rows_affected()))?,
        )
    }

    /// One number from trusted, generated SQL (a count, a sum).
    pub async fn scalar_generated(&self, sql: &str) -> StoreResult<i64> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(sql).fetch_one(pool).await)?)
    }

    /// Pairs of numbers from trusted, generated SQL.
    pub async fn pairs_generated(&self, sql: &str) -> StoreResult<Vec<(i64, i64)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await)?)
    }
}
