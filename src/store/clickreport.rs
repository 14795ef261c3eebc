//! What folded clicks add to the report rollups (`report_daily`, `post_engagement`). The click
//! fold (see `clicklog`) reads a run of new clicks as counts per (link, day) with each link's
//! attribution, and this module turns those into rollup rows, taken in key order: two folds
//! adding to the same rows cannot deadlock.
//!
//! Each click counts four times in `report_daily`: tier `unit` under the unit its link is
//! attributed to and tier `top` under the unit a city-wide report shows (a ward's district),
//! each under its campaign and under campaign 0 (all campaigns).

use std::collections::BTreeMap;

use super::{Store, StoreResult, on_pool};
use crate::engagement::clicks::ClickTarget;

/// New clicks on one link on one day, as a fold reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct LinkDay {
    pub link_id: i64,
    pub day: String,
    /// Clicks by people (robots and flagged floods are not).
    pub people: i64,
    pub robots: i64,
    /// People not seen on this link this day before.
    pub uniques: i64,
    pub to: ClickTarget,
}

/// (tier, day, campaign, unit) of a `report_daily` row.
pub(super) type ReportKey<'a> = (&'static str, &'a str, i64, i64);

/// What a fold adds to one `report_daily` row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct ReportDelta {
    pub link_clicks: i64,
    pub qr_scans: i64,
    pub unique_visitors: i64,
    pub bot_clicks: i64,
}

/// The four rows a link's clicks count in.
pub(super) fn report_keys(r: &LinkDay) -> [ReportKey<'_>; 4] {
    let unit = r.to.unit_id.unwrap_or(0);
    let top = r.to.report_unit_id.or(r.to.unit_id).unwrap_or(0);
    let day = r.day.as_str();
    [
        ("top", day, 0, top),
        ("top", day, r.to.campaign_id, top),
        ("unit", day, 0, unit),
        ("unit", day, r.to.campaign_id, unit),
    ]
}

/// Rollup rows added by `rows`, in key order.
pub(super) fn report_deltas(rows: &[LinkDay]) -> BTreeMap<ReportKey<'_>, ReportDelta> {
    let mut out: BTreeMap<ReportKey, ReportDelta> = BTreeMap::new();
    for r in rows {
        for key in report_keys(r) {
            let d = out.entry(key).or_default();
            if r.to.qr {
                d.qr_scans += r.people;
            } else {
                d.link_clicks += r.people;
            }
            d.bot_clicks += r.robots;
            d.unique_visitors += r.uniques;
        }
    }
    out
}

/// People's clicks per post (robots are left out, as in `click_daily.clicks`), in key order.
pub(super) fn post_deltas(rows: &[LinkDay]) -> BTreeMap<i64, i64> {
    let mut posts = BTreeMap::new();
    for r in rows.iter().filter(|r| r.people > 0) {
        if let Some(p) = r.to.post_id {
            *posts.entry(p).or_default() += r.people;
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

    fn row(link: i64, unit: Option<i64>, top: Option<i64>, qr: bool, counts: [i64; 3]) -> LinkDay {
        LinkDay {
            link_id: link,
            day: "2026-11-26".into(),
            people: counts[0],
            robots: counts[1],
            uniques: counts[2],
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
        let rows = [
            row(1, Some(100), Some(10), true, [1, 0, 1]),
            row(2, Some(10), Some(10), false, [1, 1, 1]),
        ];
        let out = report_deltas(&rows);
        let top = out[&("top", "2026-11-26", 7, 10)];
        assert_eq!(
            (
                top.link_clicks,
                top.qr_scans,
                top.unique_visitors,
                top.bot_clicks
            ),
            (1, 1, 2, 1)
        );
        assert_eq!(out[&("top", "2026-11-26", 0, 10)], top);
        let ward = out[&("unit", "2026-11-26", 7, 100)];
        assert_eq!(
            (ward.link_clicks, ward.qr_scans, ward.unique_visitors),
            (0, 1, 1)
        );
        assert_eq!(out[&("unit", "2026-11-26", 7, 10)].link_clicks, 1);
        assert_eq!(
            out.len(),
            6,
            "two units at tier unit, one district at tier top, each twice"
        );
        // Keys come out in order: the order in which rows are locked.
        let keys: Vec<_> = out.keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(post_deltas(&rows), BTreeMap::from([(2, 1)]));
    }

    #[test]
    fn the_city_s_own_links_count_under_unit_zero() {
        let rows = [row(3, None, None, false, [1, 0, 0])];
        let out = report_deltas(&rows);
        assert!(out.contains_key(&("top", "2026-11-26", 7, 0)));
        assert!(out.contains_key(&("unit", "2026-11-26", 0, 0)));
    }

    #[test]
    fn robots_only_add_robot_clicks() {
        let rows = [row(4, Some(10), Some(10), false, [0, 3, 0])];
        let out = report_deltas(&rows);
        assert_eq!(
            out[&("unit", "2026-11-26", 7, 10)],
            ReportDelta {
                bot_clicks: 3,
                ..Default::default()
            }
        );
        assert!(post_deltas(&rows).is_empty());
    }
}
