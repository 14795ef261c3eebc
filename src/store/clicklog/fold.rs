//! Folding clicks into the daily rollups, after they are stored. The redirect only appends to
//! the click log (one insert per click, in groups); a fold then reads a run of a writer's new
//! clicks as counts per (link, day) and adds them to `click_daily`, `report_daily` and
//! `post_engagement` in one transaction, together with the writer's folded mark. A thousand
//! clicks on a hundred links become a few hundred rollup updates instead of several thousand,
//! and none of them waits in front of a citizen's redirect.
//!
//! Why a mark per writer: each writer numbers its own clicks (`seq`) and commits one group
//! after the other, so its clicks become visible in `seq` order and "everything up to the
//! mark is folded" is exact. A sequence shared by concurrent writers would not be: a lower
//! number may commit after a higher one has been folded past. A crashed writer's clicks are
//! folded by whoever folds next; its last group, if the database finished it after the crash,
//! lies past the mark and is folded too.
//!
//! Pages that read the rollups fold first, so they always include every answered click.

use std::collections::HashMap;

use crate::engagement::clicks::ClickTarget;
use crate::store::clickreport::LinkDay;

/// The unit a city-wide report counts a `tracked_link` row under: a ward's district, else its
/// own unit. A macro so each query splices it in at compile time (the fold's below, the link
/// columns in `store::links`).
macro_rules! report_unit {
    () => {
        "coalesce((select up.area_id from area u join area up on up.snapshot = u.snapshot \
           and up.code = u.parent_code and up.level = 'district' where u.area_id = tracked_link.unit_id), \
           tracked_link.unit_id)"
    };
}
pub(in crate::store) use report_unit;

/// The end of the next run of writer $1 past mark $2: its next $3 clicks (or fewer). Counted in
/// rows, not numbers, since a failed group leaves a gap in a writer's numbers.
pub(super) const FOLD_HI: &str = "select max(seq) from \
     (select seq from click where writer_id = $1 and seq > $2 order by seq limit $3) run";

/// The run ($2, $3] of writer $1's clicks by people: who read which link on which day.
pub(super) const FOLD_READERS: &str = "select link_id, day, visitor from click \
     where writer_id = $1 and seq > $2 and seq <= $3 and not bot";

/// The run's clicks per (link, day), with each link's attribution.
pub(super) const FOLD_COUNTS: &str = concat!(
    "select g.link_id, g.day, g.people, g.robots, tracked_link.campaign_id, tracked_link.post_id, \
       tracked_link.unit_id, ",
    report_unit!(),
    " as report_unit_id, tracked_link.source \
     from (select link_id, day, cast(sum(case when bot then 0 else 1 end) as bigint) as people, \
             cast(sum(case when bot then 1 else 0 end) as bigint) as robots \
           from click where writer_id = $1 and seq > $2 and seq <= $3 group by link_id, day) g \
     join tracked_link on tracked_link.link_id = g.link_id"
);

/// The attribution of the links $1, as `FOLD_COUNTS` rows without counts (a run counted in
/// memory, see `ledger`; an inner join there too, so both drop the same clicks).
pub(super) const LINK_TARGETS: &str = concat!(
    "select link_id, '' as day, cast(0 as bigint) as people, cast(0 as bigint) as robots, campaign_id, \
       post_id, unit_id, ",
    report_unit!(),
    " as report_unit_id, source from tracked_link where link_id = any($1)"
);

/// Moves a writer's mark.
pub(super) const FOLD_MARK: &str = "update click_writer set folded_seq = $2 where writer_id = $1";

/// Adds a (link, day) row to `click_daily`.
pub(super) const ADD_DAILY: &str = "insert into click_daily (link_id, day, clicks, unique_visitors, bot_clicks) \
     values ($1, $2, $3, $4, $5) on conflict (link_id, day) do update set \
     clicks = click_daily.clicks + excluded.clicks, \
     unique_visitors = click_daily.unique_visitors + excluded.unique_visitors, \
     bot_clicks = click_daily.bot_clicks + excluded.bot_clicks";

/// One row of `FOLD_COUNTS`.
#[derive(sqlx::FromRow)]
pub(super) struct Counted {
    pub link_id: i64,
    pub day: String,
    pub people: i64,
    pub robots: i64,
    pub campaign_id: i64,
    pub post_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub report_unit_id: Option<i64>,
    pub source: String,
}

/// The run's rows with their new readers (`added`: one (link, day) per new reader), in
/// (link, day) order: the order `click_daily` rows are locked in.
pub(super) fn link_days(counted: Vec<Counted>, added: &[(i64, String)]) -> Vec<LinkDay> {
    let mut uniques: HashMap<(i64, &str), i64> = HashMap::new();
    for (link, day) in added {
        *uniques.entry((*link, day.as_str())).or_default() += 1;
    }
    let mut rows: Vec<LinkDay> = counted
        .into_iter()
        .map(|c| LinkDay {
            uniques: uniques
                .get(&(c.link_id, c.day.as_str()))
                .copied()
                .unwrap_or(0),
            link_id: c.link_id,
            people: c.people,
            robots: c.robots,
            to: ClickTarget {
                campaign_id: c.campaign_id,
                post_id: c.post_id,
                unit_id: c.unit_id,
                report_unit_id: c.report_unit_id,
                qr: c.source == "qr",
            },
            day: c.day,
        })
        .collect();
    rows.sort_by(|a, b| (a.link_id, &a.day).cmp(&(b.link_id, &b.day)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(link: i64, day: &str, people: i64) -> Counted {
        Counted {
            link_id: link,
            day: day.into(),
            people,
            robots: 1,
            campaign_id: 3,
            post_id: Some(9),
            unit_id: Some(10),
            report_unit_id: Some(10),
            source: "post".into(),
        }
    }

    #[test]
    fn new_readers_are_counted_per_link_and_day_in_key_order() {
        let rows = link_days(
            vec![
                counted(2, "2026-11-26", 4),
                counted(1, "2026-11-27", 1),
                counted(1, "2026-11-26", 2),
            ],
            &[
                (1, "2026-11-26".into()),
                (1, "2026-11-26".into()),
                (2, "2026-11-26".into()),
            ],
        );
        let got: Vec<(i64, &str, i64, i64)> = rows
            .iter()
            .map(|r| (r.link_id, r.day.as_str(), r.people, r.uniques))
            .collect();
        assert_eq!(
            got,
            [
                (1, "2026-11-26", 2, 2),
                (1, "2026-11-27", 1, 0),
                (2, "2026-11-26", 4, 1)
            ]
        );
        assert!(!rows[0].to.qr && rows[0].to.post_id == Some(9));
    }
}
