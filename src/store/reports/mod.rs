//! Manager reports read the rollups kept by triggers (`report_daily`, `post_engagement`,
//! `metric_latest`; see the `reports` migration), never raw clicks or snapshots, so a quarter's
//! district report costs the same at a million clicks as at ten million. This file holds the
//! queries; `build` turns them into rows.

mod build;
mod extras;

pub use build::{DistrictReport, Measures, ReportRow, WeekPoint};
pub use extras::{Population, ShareLink, TopPost};

use super::{Scope, Store, StoreResult, on_pool};

/// What a report covers. Days are Hanoi calendar days, both ends included.
#[derive(Clone, Debug)]
pub struct ReportQuery {
    pub snapshot: String,
    pub from: time::Date,
    pub to: time::Date,
    pub campaign_id: Option<i64>,
    /// A PAPI dimension code (`D1`…`D8`): campaigns working on it.
    pub dimension: Option<String>,
    /// Drill-down: this unit's code; rows are the unit itself and the units under it.
    pub district: Option<String>,
    pub scope: Scope,
    /// The period the change column compares with (see `reports::period`); `None`: the days
    /// of the same length just before.
    pub compare: Option<(time::Date, time::Date)>,
}

impl ReportQuery {
    /// The period this one is compared with.
    pub fn previous(&self) -> (time::Date, time::Date) {
        self.compare
            .unwrap_or_else(|| crate::reports::period::just_before(self.from, self.to))
    }

    fn tier(&self) -> &'static str {
        if self.district.is_some() {
            "unit"
        } else {
            "top"
        }
    }

    /// ` and …` conditions on campaign_id for the filters, with binds from `$first`.
    fn campaign_filter(&self, column: &str, first: usize) -> (String, Vec<String>) {
        let mut sql = String::new();
        let mut binds = Vec::new();
        let mut n = first;
        if let Some(c) = self.campaign_id {
            sql.push_str(&format!(" and {column} = cast(${n} as bigint)"));
            binds.push(c.to_string());
            n += 1;
        }
        if let Some(d) = &self.dimension {
            sql.push_str(&format!(
                " and {column} in (select campaign_id from campaign_dimension where dimension_code = ${n})"
            ));
            binds.push(d.clone());
        }
        (sql, binds)
    }
}

/// Hanoi midnight at the start of `day`, in UTC milliseconds.
pub fn day_start_ms(day: time::Date) -> i64 {
    day.midnight()
        .assume_offset(crate::clock::HANOI)
        .unix_timestamp()
        * 1000
}

/// One rollup sum: per (area, day) or per (area, campaign).
#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub(crate) struct RollupRow {
    pub area_id: i64,
    pub key: String,
    pub link_clicks: i64,
    pub qr_scans: i64,
    pub unique_visitors: i64,
    pub bot_clicks: i64,
    pub views: i64,
    pub reach: i64,
    pub reactions: i64,
    pub comments: i64,
    pub shares: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct PostCount {
    pub area_id: i64,
    pub campaign_id: i64,
    pub posts: i64,
}

#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub(crate) struct TargetRow {
    pub campaign_id: i64,
    pub area_id: i64,
    pub kpi_posts: Option<i64>,
    pub kpi_reach: Option<i64>,
    pub kpi_clicks: Option<i64>,
    pub kpi_scans: Option<i64>,
}

const SUMS: &str = "cast(sum(link_clicks) as bigint) as link_clicks, cast(sum(qr_scans) as bigint) as qr_scans, \
     cast(sum(unique_visitors) as bigint) as unique_visitors, cast(sum(bot_clicks) as bigint) as bot_clicks, \
     cast(sum(views) as bigint) as views, cast(sum(reach) as bigint) as reach, \
     cast(sum(reactions) as bigint) as reactions, cast(sum(comments) as bigint) as comments, \
     cast(sum(shares) as bigint) as shares";

impl Store {
    /// Rollup sums in [from, to] grouped by area and `key` (`day` or `campaign_id`), over
    /// the units `areas` only when given (ids from the database, never from a request).
    pub(crate) async fn report_rollup(
        &self,
        q: &ReportQuery,
        (from, to): (time::Date, time::Date),
        key: &str,
        areas: Option<&[i64]>,
    ) -> StoreResult<Vec<RollupRow>> {
        let (mut filter, binds) = q.campaign_filter("campaign_id", 4);
        // Unfiltered totals come from the all-campaigns rows (campaign 0): a twelfth of the
        // rows to read with twelve campaigns. Per-campaign sums skip them.
        if binds.is_empty() {
            filter.push_str(if key == "campaign_id" {
                " and campaign_id <> 0"
            } else {
                " and campaign_id = 0"
            });
        }
        if let Some(ids) = areas {
            let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            filter.push_str(&format!(
                " and area_id in ({})",
                if ids.is_empty() {
                    "-1".into()
                } else {
                    ids.join(", ")
                }
            ));
        }
        let sql = format!(
            "select area_id, cast({key} as text) as key, {SUMS} from report_daily \
             where tier = $1 and day >= $2 and day <= $3{filter} group by area_id, {key}"
        );
        let (from, to) = (from.to_string(), to.to_string());
        Ok(on_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(q.tier()).bind(&from).bind(&to);
            for b in &binds {
                query = query.bind(b);
            }
            query.fetch_all(pool).await
        })?)
    }

    /// Posts published in the period by each unit (0: the city's own posts), per campaign.
    pub(crate) async fn report_posts_own(
        &self,
        q: &ReportQuery,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<PostCount>> {
        let (filter, binds) = q.campaign_filter("p.campaign_id", 3);
        // A ward's own post counts for its district in the city view.
        let unit = if q.district.is_some() {
            "coalesce(p.unit_id, 0)"
        } else {
            "coalesce(up.area_id, p.unit_id, 0)"
        };
        let sql = format!(
            "select {unit} as area_id, p.campaign_id, count(*) as posts from post p \
             left join area u on u.area_id = p.unit_id \
             left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district' \
             where p.published_at >= $1 and p.published_at < $2{filter} group by 1, 2"
        );
        Ok(on_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(from_ms).bind(to_ms);
            for b in &binds {
                query = query.bind(b);
            }
            query.fetch_all(pool).await
        })?)
    }

    /// City posts published in the period, counted for each target unit of their campaign.
    pub(crate) async fn report_posts_for(
        &self,
        q: &ReportQuery,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<PostCount>> {
        let (filter, binds) = q.campaign_filter("p.campaign_id", 3);
        let sql = format!(
            "select t.area_id, c.campaign_id, c.posts from (select p.campaign_id, count(*) as posts from post p \
             where p.unit_id is null and p.published_at >= $1 and p.published_at < $2{filter} group by p.campaign_id) c \
             join campaign_target t on t.campaign_id = c.campaign_id"
        );
        Ok(on_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(from_ms).bind(to_ms);
            for b in &binds {
                query = query.bind(b);
            }
            query.fetch_all(pool).await
        })?)
    }

    /// KPI targets of campaigns running during the period.
    pub(crate) async fn report_targets(&self, q: &ReportQuery) -> StoreResult<Vec<TargetRow>> {
        let (filter, binds) = q.campaign_filter("t.campaign_id", 3);
        let sql = format!(
            "select t.campaign_id, t.area_id, t.kpi_posts, t.kpi_reach, t.kpi_clicks, t.kpi_scans \
             from campaign_target t join campaign c on c.campaign_id = t.campaign_id \
             where c.starts_on <= $2 and c.ends_on >= $1{filter}"
        );
        let (from, to) = (q.from.to_string(), q.to.to_string());
        Ok(on_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(&from).bind(&to);
            for b in &binds {
                query = query.bind(b);
            }
            query.fetch_all(pool).await
        })?)
    }

    /// When channel metrics were last read back, over all deliveries.
    pub async fn metrics_last_polled(&self) -> StoreResult<Option<i64>> {
        Ok(
            on_pool!(self, pool => sqlx::query_scalar("select max(at) from metric_latest")
            .fetch_one(pool).await)?,
        )
    }
}
