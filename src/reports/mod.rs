//! Manager reports: periods, the emulation (thi đua) score, server-side SVG pictures and
//! CSV/XLSX exports. The numbers come from `Store::district_report_full`.

pub mod export;
pub mod period;
pub mod svg;
pub mod xlsx;

use serde::Serialize;

use crate::store::ReportRow;

/// One unit's place in the emulation ranking.
#[derive(Clone, Debug, Serialize)]
pub struct Standing {
    pub rank: usize,
    pub code: String,
    pub name: String,
    pub score: f64,
    pub kpi_part: f64,
    pub reach_part: f64,
    pub posts_part: f64,
    /// Points for share kits shared by their deadline; `None` when the unit was offered none.
    pub kits_part: Option<f64>,
}

/// The rule, stated on the page: 50 points for KPI attainment (mean of the unit's targets,
/// each capped at 100 %), 30 for engagement per 1,000 residents against the best unit (0 where
/// no population is recorded), 20 for the unit's own posts against the most active unit. A unit
/// offered share kits in the period keeps 80 % of that and gains up to 20 points for the share
/// of those kits it shared by their deadline. Ties go to the lower official code.
pub fn standings(rows: &[ReportRow]) -> Vec<Standing> {
    let units: Vec<&ReportRow> = rows.iter().filter(|r| r.area_id != 0).collect();
    let best_rate = units
        .iter()
        .filter_map(|r| r.per_thousand)
        .fold(0.0, f64::max);
    let best_posts = units.iter().map(|r| r.m.posts_own).max().unwrap_or(0);
    let mut out: Vec<Standing> = units
        .iter()
        .map(|r| {
            let kpi_part = 50.0 * r.kpi_attainment.unwrap_or(0.0) / 100.0;
            let reach_part = match r.per_thousand {
                Some(v) if best_rate > 0.0 => 30.0 * v / best_rate,
                _ => 0.0,
            };
            let posts_part = if best_posts > 0 {
                20.0 * r.m.posts_own as f64 / best_posts as f64
            } else {
                0.0
            };
            let base = kpi_part + reach_part + posts_part;
            let kits_part = (r.kits_targeted > 0)
                .then(|| 20.0 * r.kits_on_time as f64 / r.kits_targeted as f64);
            Standing {
                rank: 0,
                code: r.code.clone(),
                name: r.name.clone(),
                score: match kits_part {
                    Some(k) => 0.8 * base + k,
                    None => base,
                },
                kits_part,
                kpi_part,
                reach_part,
                posts_part,
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.code.cmp(&b.code)));
    for (i, s) in out.iter_mut().enumerate() {
        s.rank = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, kpi: Option<f64>, per_thousand: Option<f64>, posts: i64) -> ReportRow {
        let mut r = ReportRow {
            area_id: code.parse().unwrap_or(1),
            code: code.into(),
            kpi_attainment: kpi,
            per_thousand,
            ..Default::default()
        };
        r.m.posts_own = posts;
        r
    }

    #[test]
    fn the_ranking_follows_its_stated_rule() {
        let rows = vec![
            row("001", Some(100.0), Some(2.0), 5),
            row("002", Some(50.0), Some(4.0), 10),
            row("003", None, None, 0),
            row("004", None, None, 0),
        ];
        let s = standings(&rows);
        // 001: 50 + 15 + 10 = 75; 002: 25 + 30 + 20 = 75: a tie goes to the lower code.
        assert_eq!((s[0].code.as_str(), s[0].score), ("001", 75.0));
        assert_eq!((s[1].code.as_str(), s[1].score), ("002", 75.0));
        assert_eq!((s[2].code.as_str(), s[2].rank, s[2].score), ("003", 3, 0.0));
    }

    #[test]
    fn kits_shared_by_their_deadline_earn_up_to_twenty_points() {
        let mut a = row("001", Some(100.0), Some(2.0), 5);
        (a.kits_targeted, a.kits_shared, a.kits_on_time) = (4, 3, 2);
        let b = row("002", Some(50.0), Some(4.0), 10);
        let s = standings(&[a, b]);
        // 002 was offered no kit: 75 as before. 001: 0.8 × 75 + 20 × 2/4 = 70.
        assert_eq!(
            (s[0].code.as_str(), s[0].score, s[0].kits_part),
            ("002", 75.0, None)
        );
        assert_eq!(
            (s[1].code.as_str(), s[1].score, s[1].kits_part),
            ("001", 70.0, Some(10.0))
        );
    }
}
