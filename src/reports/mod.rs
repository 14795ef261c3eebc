//! Manager reports: periods, the emulation (thi đua) score, server-side SVG pictures and
//! CSV/XLSX exports. The numbers come from `Store::district_report_full`.

pub mod campaign;
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
/// of those kits it shared by their deadline. Units whose scores are equal to two decimals (as
/// shown) share a rank, the next rank skipping as many places (1, 1, 3); within a tie the lower
/// official code is listed first.
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
    let shown = |score: f64| (score * 100.0).round() as i64;
    out.sort_by(|a, b| {
        shown(b.score)
            .cmp(&shown(a.score))
            .then(a.code.cmp(&b.code))
    });
    for i in 0..out.len() {
        out[i].rank = if i > 0 && shown(out[i].score) == shown(out[i - 1].score) {
            out[i - 1].rank
        } else {
            i + 1
        };
    }
    out
}

/// A unit with nothing to show in the period: no posts, no engagement, no target, no share kit.
/// The report lists such units in one line under the table instead of as rows of zeros.
pub fn is_quiet(r: &ReportRow) -> bool {
    r.m.posts_city == 0
        && r.m.posts_own == 0
        && r.m.views == 0
        && r.m.reach == 0
        && r.engagement == 0
        && r.kpi_attainment.is_none()
        && r.kits_targeted == 0
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
        // 001: 50 + 15 + 10 = 75; 002: 25 + 30 + 20 = 75: a tie shares the rank, the lower
        // code listed first; the next unit is third, not second.
        assert_eq!(
            (s[0].code.as_str(), s[0].rank, s[0].score),
            ("001", 1, 75.0)
        );
        assert_eq!(
            (s[1].code.as_str(), s[1].rank, s[1].score),
            ("002", 1, 75.0)
        );
        assert_eq!((s[2].code.as_str(), s[2].rank, s[2].score), ("003", 3, 0.0));
        assert_eq!((s[3].code.as_str(), s[3].rank), ("004", 3));
    }

    #[test]
    fn scores_apart_in_the_second_decimal_rank_apart_equal_ones_share() {
        // 27,91 against 27,88 (the demo's Cầu Giấy and Ba Đình): shown with two decimals and
        // ranked 1 and 2 as the reader sees them; 27,904 and 27,90 both show 27,90 and share 1.
        let s = standings(&[
            row("001", Some(55.76), None, 0),
            row("005", Some(55.82), None, 0),
        ]);
        assert_eq!((s[0].code.as_str(), s[0].rank), ("005", 1));
        assert_eq!((s[1].code.as_str(), s[1].rank), ("001", 2));
        assert!((s[0].score - 27.91).abs() < 1e-9 && (s[1].score - 27.88).abs() < 1e-9);
        let s = standings(&[
            row("005", Some(55.808), None, 0),
            row("001", Some(55.8), None, 0),
        ]);
        assert_eq!((s[0].code.as_str(), s[0].rank), ("001", 1));
        assert_eq!((s[1].code.as_str(), s[1].rank), ("005", 1));
    }
}
