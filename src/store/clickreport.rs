//! What a group of clicks adds to the report rollups (`report_daily`, `post_engagement`). The
//! click writers add it in the same transaction as the clicks themselves, from the attribution
//! each click carries, so reports stay exact without a trigger per rollup row. Rows are taken
//! in key order: two writers adding to the same rows cannot deadlock.
//!
//! Each click counts four times in `report_daily`: tier `unit` under the unit its link is
//! attributed to and tier `top` under the unit a city-wide report shows (a ward's district),
//! each under its campaign and under campaign 0 (all campaigns).

use std::collections::BTreeMap;

use super::{Store, StoreResult, on_pool};
use crate::engagement::clicks::NewClick;

/// (tier, day, campaign, unit) of a `report_daily` row.
pub(super) type ReportKey<'a> = (&'static str, &'a str, i64, i64);

/// What a group adds to one `report_daily` row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct ReportDelta {
    pub link_clicks: i64,
    pub qr_scans: i64,
    pub unique_visitors: i64,
    pub bot_clicks: i64,
}

/// The four rows a click counts in.
pub(super) fn report_keys(c: &NewClick) -> [ReportKey<'_>; 4] {
    let unit = c.to.unit_id.unwrap_or(0);
    let top = c.to.report_unit_id.or(c.to.unit_id).unwrap_or(0);
    let day = c.day.as_str();
    [
        ("top", day, 0, top),
        ("top", day, c.to.campaign_id, top),
        ("unit", day, 0, unit),
        ("unit", day, c.to.campaign_id, unit),
    ]
}

/// Rollup rows added by `clicks`; `new_visitor[i]` says whether click i was a new visitor of its
/// link that day (SQLite knows it here; PostgreSQL passes all false and counts them in SQL).
pub(super) fn report_deltas<'a>(
    clicks: &'a [NewClick],
    new_visitor: &[bool],
) -> BTreeMap<ReportKey<'a>, ReportDelta> {
    let mut rows: BTreeMap<ReportKey, ReportDelta> = BTreeMap::new();
    for (i, c) in clicks.iter().enumerate() {
        for key in report_keys(c) {
            let d = rows.entry(key).or_default();
            if c.bot {
                d.bot_clicks += 1;
            } else if c.to.qr {
                d.qr_scans += 1;
            } else {
                d.link_clicks += 1;
            }
            if new_visitor.get(i).copied().unwrap_or(false) {
                d.unique_visitors += 1;
            }
        }
    }
    rows
}

/// People's clicks per post (robots are left out, as in `click_daily.clicks`).
pub(super) fn post_deltas(clicks: &[NewClick]) -> BTreeMap<i64, i64> {
    let mut posts = BTreeMap::new();
    for c in clicks.iter().filter(|c| !c.bot) {
        if let Some(p) = c.to.post_id {
            *posts.entry(p).or_default() += 1;
        }
    }
    posts
}

pub(super) const ADD_REPORT_ROW: &str = "insert into report_daily \
     (tier, day, campaign_id, area_id, link_clicks, qr_scans, unique_visitors, bot_clicks) \
     values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) on conflict (tier, day, campaign_id, area_id) do update set \
     link_clicks = link_clicks + excluded.link_clicks, qr_scans = qr_scans + excluded.qr_scans, \
     unique_visitors = unique_visitors + excluded.unique_visitors, bot_clicks = bot_clicks + excluded.bot_clicks";

pub(super) const ADD_POST_CLICKS: &str = "insert into post_engagement (post_id, link_clicks) values (?1, ?2) \
     on conflict (post_id) do update set link_clicks = link_clicks + excluded.link_clicks";

/// Rebuilds the click columns of the report rollups from `click_daily`, for tools that load
/// `click_daily` in bulk (the report benchmark, the demo's history) instead of clicking.
const REBUILD: [&str; 4] = [
    "update report_daily set link_clicks = 0, qr_scans = 0, unique_visitors = 0, bot_clicks = 0",
    "update post_engagement set link_clicks = 0",
    "insert into report_daily (tier, day, campaign_id, area_id, link_clicks, qr_scans, unique_visitors, bot_clicks) \
     select t.tier, cd.day, case when t.whole = 1 then 0 else l.campaign_id end, \
       case t.tier when 'unit' then coalesce(l.unit_id, 0) else coalesce(up.area_id, l.unit_id, 0) end, \
       sum(case when l.source = 'post' then cd.clicks else 0 end), sum(case when l.source = 'qr' then cd.clicks else 0 end), \
       sum(cd.unique_visitors), sum(cd.bot_clicks) \
     from click_daily cd join tracked_link l on l.link_id = cd.link_id \
     cross join (select 'unit' as tier, 0 as whole union all select 'top', 0 union all select 'unit', 1 union all select 'top', 1) t \
     left join area u on u.area_id = l.unit_id \
     left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district' \
     group by 1, 2, 3, 4 \
     on conflict (tier, day, campaign_id, area_id) do update set link_clicks = excluded.link_clicks, \
       qr_scans = excluded.qr_scans, unique_visitors = excluded.unique_visitors, bot_clicks = excluded.bot_clicks",
    "insert into post_engagement (post_id, link_clicks) \
     select l.post_id, sum(cd.clicks) from click_daily cd join tracked_link l on l.link_id = cd.link_id \
     where l.post_id is not null group by l.post_id \
     on conflict (post_id) do update set link_clicks = excluded.link_clicks",
];

impl Store {
    /// Recomputes the click part of the report rollups from `click_daily`, in one transaction.
    pub async fn rebuild_click_reports(&self) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for sql in REBUILD {
                sqlx::query(sql).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engagement::clicks::ClickTarget;

    fn click(link: i64, unit: Option<i64>, top: Option<i64>, qr: bool, bot: bool) -> NewClick {
        NewClick {
            link_id: link,
            at: 0,
            day: "2026-11-26".into(),
            referrer_host: String::new(),
            device: "mobile",
            bot,
            visitor: format!("v{link}"),
            to: ClickTarget {
                campaign_id: 7,
                post_id: if qr { None } else { Some(link) },
                unit_id: unit,
                report_unit_id: top,
                qr,
            },
        }
    }

    #[test]
    fn a_ward_scan_counts_under_the_ward_and_its_district() {
        let clicks = [
            click(1, Some(100), Some(10), true, false),
            click(2, Some(10), Some(10), false, false),
            click(2, Some(10), Some(10), false, true),
        ];
        let rows = report_deltas(&clicks, &[true, true, false]);
        let top = rows[&("top", "2026-11-26", 7, 10)];
        assert_eq!(
            (
                top.link_clicks,
                top.qr_scans,
                top.unique_visitors,
                top.bot_clicks
            ),
            (1, 1, 2, 1)
        );
        assert_eq!(rows[&("top", "2026-11-26", 0, 10)], top);
        let ward = rows[&("unit", "2026-11-26", 7, 100)];
        assert_eq!(
            (ward.link_clicks, ward.qr_scans, ward.unique_visitors),
            (0, 1, 1)
        );
        assert_eq!(rows[&("unit", "2026-11-26", 7, 10)].link_clicks, 1);
        assert_eq!(
            rows.len(),
            6,
            "two units at tier unit, one district at tier top, each twice"
        );
        // Keys come out in order: the order in which rows are locked.
        let keys: Vec<_> = rows.keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(post_deltas(&clicks), BTreeMap::from([(2, 1)]));
    }

    #[test]
    fn the_city_s_own_links_count_under_unit_zero() {
        let clicks = [click(3, None, None, false, false)];
        let rows = report_deltas(&clicks, &[false]);
        assert!(rows.contains_key(&("top", "2026-11-26", 7, 0)));
        assert!(rows.contains_key(&("unit", "2026-11-26", 0, 0)));
    }
}
