//! A campaign's results against its targets, for the campaign page: per target unit and KPI
//! the actual figure, the target and the share reached, and the unit's attainment. The figures
//! are the report's own (`Store::district_report_full` filtered to this campaign over its
//! days; days still to come have no figures), so the campaign page and the manager's report
//! never disagree.

use std::collections::HashMap;

use serde::Serialize;

use crate::store::{
    Campaign, CampaignTarget, KPIS, ReportQuery, ReportRow, Scope, Store, StoreResult,
};

/// One KPI of one unit: `actual` is `None` where Loa does not measure it yet (survey answers).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct KpiResult {
    pub target: Option<i64>,
    pub actual: Option<i64>,
    /// actual / target × 100, not capped (a unit may do better than asked); the attainment
    /// below caps each KPI at 100 % as the report does.
    pub pct: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UnitResult {
    pub code: String,
    pub name: String,
    pub kpis: Vec<KpiResult>,
    pub attainment: Option<f64>,
}

fn target_of(t: &CampaignTarget, kpi: &str) -> Option<i64> {
    match kpi {
        "posts" => t.kpi_posts,
        "reach" => t.kpi_reach,
        "clicks" => t.kpi_clicks,
        "scans" => t.kpi_scans,
        "responses" => t.kpi_responses,
        _ => None,
    }
}

fn actual_of(row: &ReportRow, kpi: &str) -> Option<i64> {
    match kpi {
        "posts" => Some(row.m.posts_own + row.m.posts_city),
        "reach" => Some(row.m.reach),
        "clicks" => Some(row.m.link_clicks),
        "scans" => Some(row.m.qr_scans),
        _ => None,
    }
}

/// The campaign's target units with their results over the campaign's days. Before the
/// campaign starts, or for units the report has no row for, only the targets are given.
pub async fn results(
    store: &Store,
    campaign: &Campaign,
    targets: &[CampaignTarget],
    today: time::Date,
) -> StoreResult<Vec<UnitResult>> {
    let day = |s: &str| super::period::parse_day("day", s).ok();
    let rows: HashMap<String, ReportRow> = match (day(&campaign.starts_on), day(&campaign.ends_on))
    {
        (Some(from), Some(to)) if from <= today => {
            let q = ReportQuery {
                snapshot: campaign.snapshot.clone(),
                from,
                to,
                campaign_id: Some(campaign.campaign_id),
                dimension: None,
                district: None,
                scope: Scope::City,
                compare: None,
            };
            let report = store.district_report_full(&q).await?;
            report
                .rows
                .into_iter()
                .map(|r| (r.code.clone(), r))
                .collect()
        }
        _ => HashMap::new(),
    };
    Ok(targets
        .iter()
        .map(|t| {
            let row = rows.get(&t.code);
            let kpis = KPIS
                .iter()
                .map(|k| {
                    let target = target_of(t, k);
                    let actual = row.and_then(|r| actual_of(r, k));
                    let pct = match (target, actual) {
                        (Some(t), Some(a)) if t > 0 => Some(100.0 * a as f64 / t as f64),
                        _ => None,
                    };
                    KpiResult {
                        target,
                        actual,
                        pct,
                    }
                })
                .collect();
            UnitResult {
                code: t.code.clone(),
                name: t.name.clone(),
                kpis,
                attainment: row.and_then(|r| r.kpi_attainment),
            }
        })
        .collect())
}
