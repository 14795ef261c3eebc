//! Campaigns: PAPI dimensions they serve, the units they target and the KPI targets per unit.
//! A campaign is written whole (row, dimensions, targets) in one transaction guarded by its
//! version, so two officers editing at once never silently overwrite each other.

use serde::Serialize;

use super::{Store, StoreError, StoreResult, on_pool};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Campaign {
    pub campaign_id: i64,
    pub title: String,
    pub objective: String,
    pub owner_code: String,
    pub owner_name_vi: String,
    pub owner_name_en: String,
    pub snapshot: String,
    pub status: String,
    pub starts_on: String,
    pub ends_on: String,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Department {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
}

/// The KPI names, in the order forms and reports show them.
pub const KPIS: [&str; 5] = ["posts", "reach", "clicks", "scans", "responses"];

#[derive(Clone, Debug, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct CampaignTarget {
    pub area_id: i64,
    pub code: String,
    pub name: String,
    pub kpi_posts: Option<i64>,
    pub kpi_reach: Option<i64>,
    pub kpi_clicks: Option<i64>,
    pub kpi_scans: Option<i64>,
    pub kpi_responses: Option<i64>,
}

/// A validated campaign ready to write (see `campaigns::CampaignInput`).
#[derive(Clone, Debug, Default)]
pub struct CampaignRecord {
    pub title: String,
    pub objective: String,
    pub owner_code: String,
    pub snapshot: String,
    pub status: String,
    pub starts_on: String,
    pub ends_on: String,
    pub dimensions: Vec<String>,
    /// `code` and `name` are ignored on write; `area_id` and the KPIs are stored.
    pub targets: Vec<CampaignTarget>,
}

#[derive(Clone, Debug, Default)]
pub struct CampaignFilter {
    pub query: Option<String>,
    pub dimension: Option<String>,
    /// Campaigns targeting this unit (or a commune under it).
    pub unit_code: Option<String>,
    pub status: Option<String>,
    /// Campaigns running on this day ('YYYY-MM-DD').
    pub date: Option<String>,
}

const SELECT_CAMPAIGN: &str = "select c.campaign_id, c.title, c.objective, c.owner_code, \
     d.name_vi as owner_name_vi, d.name_en as owner_name_en, c.snapshot, c.status, c.starts_on, \
     c.ends_on, c.created_by, c.created_at, c.updated_at, c.version \
     from campaign c join department d on d.code = c.owner_code";

/// True when campaign `c` targets unit `$N` of snapshot `c.snapshot` or a commune under it.
fn targets_unit(param: usize) -> String {
    format!(
        "exists (select 1 from campaign_target t join area a on a.area_id = t.area_id \
         where t.campaign_id = c.campaign_id and (a.code = ${param} or a.parent_code = ${param}))"
    )
}

/// Inserts a campaign's dimensions and targets inside the open transaction `$tx`.
macro_rules! write_children {
    ($tx:ident, $id:expr, $rec:expr) => {
        for code in &$rec.dimensions {
            sqlx::query("insert into campaign_dimension (campaign_id, dimension_code) values ($1, $2)")
                .bind($id)
                .bind(code)
                .execute(&mut *$tx)
                .await?;
        }
        for t in &$rec.targets {
            sqlx::query(
                "insert into campaign_target (campaign_id, area_id, kpi_posts, kpi_reach, kpi_clicks, \
                 kpi_scans, kpi_responses) values ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind($id)
            .bind(t.area_id)
            .bind(t.kpi_posts)
            .bind(t.kpi_reach)
            .bind(t.kpi_clicks)
            .bind(t.kpi_scans)
            .bind(t.kpi_responses)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

impl Store {
    pub async fn departments(&self) -> StoreResult<Vec<Department>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select code, name_vi, name_en from department order by position, code")
            .fetch_all(pool).await)?)
    }

    /// Creates a campaign in a transaction of its own (seeding and benchmarks; a person's
    /// step is `crate::app::campaigns::create`). `effects` gets the new id.
    pub async fn create_campaign(
        &self,
        rec: &CampaignRecord,
        by: i64,
        effects: impl Fn(i64) -> super::Effects,
    ) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        let id = tx.create_campaign(rec, by).await?;
        tx.write_effects(&effects(id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn campaign(&self, campaign_id: i64) -> StoreResult<Campaign> {
        let sql = format!("{SELECT_CAMPAIGN} where c.campaign_id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(campaign_id).fetch_one(pool).await)?)
    }

    pub async fn campaign_dimensions(&self, campaign_id: i64) -> StoreResult<Vec<String>> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "select cd.dimension_code from campaign_dimension cd join papi_dimension p on p.code = cd.dimension_code \
             where cd.campaign_id = $1 order by p.position")
            .bind(campaign_id).fetch_all(pool).await)?)
    }

    pub async fn campaign_targets(&self, campaign_id: i64) -> StoreResult<Vec<CampaignTarget>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select t.area_id, a.code, a.name, t.kpi_posts, t.kpi_reach, t.kpi_clicks, t.kpi_scans, t.kpi_responses \
             from campaign_target t join area a on a.area_id = t.area_id where t.campaign_id = $1 order by a.code")
            .bind(campaign_id).fetch_all(pool).await)?)
    }

    /// Whether the campaign targets the unit `code` or a commune under it (district scoping).
    pub async fn campaign_targets_unit(&self, campaign_id: i64, code: &str) -> StoreResult<bool> {
        let sql = format!(
            "select count(*) from campaign c where c.campaign_id = $2 and {}",
            targets_unit(1)
        );
        let n: i64 = on_pool!(self, pool => sqlx::query_scalar(&sql).bind(code).bind(campaign_id).fetch_one(pool).await)?;
        Ok(n > 0)
    }

    /// One page of campaigns, newest start first, and the total that match. `scope_unit`
    /// limits the list to campaigns targeting that unit (district staff).
    pub async fn list_campaigns(
        &self,
        filter: &CampaignFilter,
        scope_unit: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<Campaign>, i64)> {
        let pattern = filter
            .query
            .as_deref()
            .map(|q| format!("%{}%", q.to_lowercase()));
        let cond = format!(
            "($1 is null or lower(c.title) like $1) \
             and ($2 is null or exists (select 1 from campaign_dimension cd where cd.campaign_id = c.campaign_id \
                  and (cd.dimension_code = $2 or cd.dimension_code like $2 || '.%'))) \
             and ($3 is null or {}) and ($4 is null or c.status = $4) \
             and ($5 is null or (c.starts_on <= $5 and c.ends_on >= $5)) and ($6 is null or {})",
            targets_unit(3),
            targets_unit(6)
        );
        let sql = format!(
            "{SELECT_CAMPAIGN} where {cond} order by c.starts_on desc, c.campaign_id desc limit $7 offset $8"
        );
        let count_sql = format!("select count(*) from campaign c where {cond}");
        let rows: Vec<Campaign> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(&pattern).bind(&filter.dimension).bind(&filter.unit_code).bind(&filter.status)
            .bind(&filter.date).bind(scope_unit).bind(limit).bind(offset).fetch_all(pool).await)?;
        let total: i64 = on_pool!(self, pool => sqlx::query_scalar(&count_sql)
            .bind(&pattern).bind(&filter.dimension).bind(&filter.unit_code).bind(&filter.status)
            .bind(&filter.date).bind(scope_unit).fetch_one(pool).await)?;
        Ok((rows, total))
    }
}

impl super::Tx {
    /// Creates a campaign with its dimensions and targets.
    pub async fn create_campaign(&mut self, rec: &CampaignRecord, by: i64) -> StoreResult<i64> {
        let now = self.now;
        self.point("campaign")?;
        Ok(super::on_tx!(self, c => {
            let id: i64 = sqlx::query_scalar(
                "insert into campaign (title, objective, owner_code, snapshot, status, starts_on, ends_on, \
                 created_by, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 returning campaign_id")
                .bind(&rec.title).bind(&rec.objective).bind(&rec.owner_code).bind(&rec.snapshot)
                .bind(&rec.status).bind(&rec.starts_on).bind(&rec.ends_on).bind(by).bind(now)
                .fetch_one(&mut *c).await?;
            write_children!(c, id, rec);
            id
        }))
    }

    /// Replaces the campaign's fields, dimensions and targets if `version` is still current.
    pub async fn update_campaign(
        &mut self,
        campaign_id: i64,
        version: i64,
        rec: &CampaignRecord,
    ) -> StoreResult<()> {
        let now = self.now;
        self.point("campaign")?;
        super::on_tx!(self, c => {
            let done = sqlx::query(
                "update campaign set title = $1, objective = $2, owner_code = $3, status = $4, \
                 starts_on = $5, ends_on = $6, updated_at = $7, version = version + 1 \
                 where campaign_id = $8 and version = $9")
                .bind(&rec.title).bind(&rec.objective).bind(&rec.owner_code).bind(&rec.status)
                .bind(&rec.starts_on).bind(&rec.ends_on).bind(now).bind(campaign_id).bind(version)
                .execute(&mut *c).await?;
            if done.rows_affected() == 0 {
                let exists: Option<i64> = sqlx::query_scalar("select campaign_id from campaign where campaign_id = $1")
                    .bind(campaign_id).fetch_optional(&mut *c).await?;
                return Err(if exists.is_some() { StoreError::Stale } else { StoreError::NotFound });
            }
            sqlx::query("delete from campaign_dimension where campaign_id = $1").bind(campaign_id).execute(&mut *c).await?;
            sqlx::query("delete from campaign_target where campaign_id = $1").bind(campaign_id).execute(&mut *c).await?;
            write_children!(c, campaign_id, rec);
        });
        Ok(())
    }
}
