//! Turns the rollup queries into report rows: one per unit of the level shown, with posts,
//! engagement, population, KPI attainment and the change against the previous period.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{ReportQuery, RollupRow, day_start_ms};
use crate::store::{Area, AreaFilter, Scope, Store, StoreResult};

/// Sums over a period. Add a column here and in `add` and every table, total and export
/// carries it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Measures {
    /// Posts the city published for this unit (city posts of campaigns targeting it).
    pub posts_city: i64,
    /// Posts the unit published itself.
    pub posts_own: i64,
    pub views: i64,
    pub reach: i64,
    pub reactions: i64,
    pub comments: i64,
    pub shares: i64,
    /// People's clicks on tracked links (robots excluded).
    pub link_clicks: i64,
    pub qr_scans: i64,
    pub unique_visitors: i64,
    /// Robot clicks left out of every count, shown so the exclusion is visible.
    pub bot_clicks: i64,
}

impl Measures {
    fn add_rollup(&mut self, r: &RollupRow) {
        self.link_clicks += r.link_clicks;
        self.qr_scans += r.qr_scans;
        self.unique_visitors += r.unique_visitors;
        self.bot_clicks += r.bot_clicks;
        self.views += r.views;
        self.reach += r.reach;
        self.reactions += r.reactions;
        self.comments += r.comments;
        self.shares += r.shares;
    }

    pub fn add(&mut self, o: &Measures) {
        self.posts_city += o.posts_city;
        self.posts_own += o.posts_own;
        self.views += o.views;
        self.reach += o.reach;
        self.reactions += o.reactions;
        self.comments += o.comments;
        self.shares += o.shares;
        self.link_clicks += o.link_clicks;
        self.qr_scans += o.qr_scans;
        self.unique_visitors += o.unique_visitors;
        self.bot_clicks += o.bot_clicks;
    }

    /// What citizens did: reactions, comments, shares, link clicks and QR scans.
    pub fn engagement(&self) -> i64 {
        self.reactions + self.comments + self.shares + self.link_clicks + self.qr_scans
    }
}

/// One unit's line of the report. Extend with new fields freely: pages and exports read them
/// by name.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReportRow {
    /// 0 for the city's own channels.
    pub area_id: i64,
    pub code: String,
    pub name: String,
    /// The row has units under it to drill down to.
    pub has_children: bool,
    #[serde(flatten)]
    pub m: Measures,
    pub engagement: i64,
    /// No survey source is connected yet: always `None`, shown as "—".
    pub survey_responses: Option<i64>,
    pub population: Option<i64>,
    pub population_source: Option<String>,
    pub per_thousand: Option<f64>,
    /// Mean over (campaign, KPI) targets of actual / target, each capped at 100 %.
    pub kpi_attainment: Option<f64>,
    /// Share kits whose deadline falls in the period: offered to the unit, shared by it (its
    /// local version reached scheduling), and shared by the deadline.
    pub kits_targeted: i64,
    pub kits_shared: i64,
    pub kits_on_time: i64,
    pub previous_engagement: i64,
    /// Engagement against the previous period of the same length, in percent.
    pub change_pct: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WeekPoint {
    /// Monday of the week.
    pub week: String,
    #[serde(flatten)]
    pub m: Measures,
}

/// The rows and what the pictures need, all from one pass over the rollups.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DistrictReport {
    pub rows: Vec<ReportRow>,
    pub total: ReportRow,
    pub weeks: Vec<WeekPoint>,
    /// Measures per campaign (for the dimension breakdown).
    pub by_campaign: BTreeMap<i64, Measures>,
    pub metrics_polled_at: Option<i64>,
}

impl Store {
    /// One row per district (or per commune where the map has no districts), or with
    /// `district` set, that unit and its wards. Rows outside `scope` are left out.
    pub async fn district_report(&self, q: &ReportQuery) -> StoreResult<Vec<ReportRow>> {
        Ok(self.district_report_full(q).await?.rows)
    }

    pub async fn district_report_full(&self, q: &ReportQuery) -> StoreResult<DistrictReport> {
        self.fold_clicks().await?;
        let areas = self.report_areas(q).await?;
        let shown: HashMap<i64, &Area> = areas.iter().map(|a| (a.area_id, a)).collect();
        let lift = |area_id: i64| -> Option<i64> {
            if area_id == 0 {
                return (q.district.is_none() && q.scope == Scope::City).then_some(0);
            }
            shown.contains_key(&area_id).then_some(area_id)
        };
        let (from, to) = (q.from, q.to);
        let (from_ms, to_ms) = (
            day_start_ms(from),
            day_start_ms(to.next_day().unwrap_or(to)),
        );

        // The city-wide view reads every top row; a drill-down or a unit's own view only its units.
        let ids: Vec<i64> = areas.iter().map(|a| a.area_id).collect();
        let only = (q.district.is_some() || q.scope != Scope::City).then_some(ids.as_slice());
        // Independent reads, each on its own pooled connection, so they overlap.
        let (daily, per_campaign, previous, own, for_unit, targets, population, polled, kits) = tokio::try_join!(
            self.report_rollup(q, (from, to), "day", only),
            self.report_rollup(q, (from, to), "campaign_id", only),
            self.report_rollup(q, q.previous(), "day", only),
            self.report_posts_own(q, from_ms, to_ms),
            self.report_posts_for(q, from_ms, to_ms),
            self.report_targets(q),
            self.populations(&q.snapshot),
            self.metrics_last_polled(),
            self.share_rates(from_ms, to_ms),
        )?;
        let mut kit_rates: HashMap<i64, (i64, i64, i64)> = HashMap::new();
        for k in &kits {
            if let Some(id) = lift(k.unit_id) {
                let e = kit_rates.entry(id).or_default();
                e.0 += k.kits_targeted;
                e.1 += k.shared;
                e.2 += k.shared_on_time;
            }
        }

        let mut rows: BTreeMap<i64, Measures> = BTreeMap::new();
        let mut weeks: BTreeMap<String, Measures> = BTreeMap::new();
        for r in &daily {
            let Some(id) = lift(r.area_id) else { continue };
            rows.entry(id).or_default().add_rollup(r);
            let week = week_of(&r.key);
            weeks.entry(week).or_default().add_rollup(r);
        }
        let mut by_campaign: BTreeMap<i64, Measures> = BTreeMap::new();
        let mut actual: HashMap<(i64, i64), Measures> = HashMap::new();
        for r in &per_campaign {
            let Some(id) = lift(r.area_id) else { continue };
            let campaign: i64 = r.key.parse().unwrap_or_default();
            by_campaign.entry(campaign).or_default().add_rollup(r);
            actual.entry((campaign, id)).or_default().add_rollup(r);
        }
        for p in &own {
            let Some(id) = lift(p.area_id) else { continue };
            rows.entry(id).or_default().posts_own += p.posts;
            by_campaign.entry(p.campaign_id).or_default().posts_own += p.posts;
            actual.entry((p.campaign_id, id)).or_default().posts_own += p.posts;
        }
        for p in &for_unit {
            let Some(id) = lift(p.area_id) else { continue };
            rows.entry(id).or_default().posts_city += p.posts;
            actual.entry((p.campaign_id, id)).or_default().posts_city += p.posts;
        }
        let mut prev: HashMap<i64, Measures> = HashMap::new();
        for r in &previous {
            if let Some(id) = lift(r.area_id) {
                prev.entry(id).or_default().add_rollup(r);
            }
        }
        // Attainment: every (campaign, KPI) target of the unit, actual / target capped at 1.
        let mut ratios: HashMap<i64, Vec<f64>> = HashMap::new();
        for t in &targets {
            let Some(id) = lift(t.area_id) else { continue };
            let a = actual
                .get(&(t.campaign_id, id))
                .cloned()
                .unwrap_or_default();
            for (target, got) in [
                (t.kpi_posts, a.posts_own + a.posts_city),
                (t.kpi_reach, a.reach),
                (t.kpi_clicks, a.link_clicks),
                (t.kpi_scans, a.qr_scans),
            ] {
                if let Some(target) = target.filter(|t| *t > 0) {
                    ratios
                        .entry(id)
                        .or_default()
                        .push((got as f64 / target as f64).min(1.0));
                }
            }
        }

        let mut out = Vec::new();
        let mut list: Vec<(i64, String, String, bool)> = areas
            .iter()
            .map(|a| {
                (
                    a.area_id,
                    a.code.clone(),
                    a.name.clone(),
                    q.district.is_none() && a.level == "district",
                )
            })
            .collect();
        if lift(0).is_some() {
            list.insert(0, (0, String::new(), String::new(), false));
        }
        let mut total = ReportRow::default();
        for (id, code, name, has_children) in list {
            let m = rows.remove(&id).unwrap_or_default();
            let before = prev.get(&id).map(|p| p.engagement()).unwrap_or(0);
            let pop = population.iter().find(|p| p.area_id == id);
            let engagement = m.engagement();
            let (kits_targeted, kits_shared, kits_on_time) =
                kit_rates.get(&id).copied().unwrap_or_default();
            total.kits_targeted += kits_targeted;
            total.kits_shared += kits_shared;
            total.kits_on_time += kits_on_time;
            total.m.add(&m);
            total.previous_engagement += before;
            out.push(ReportRow {
                area_id: id,
                code,
                name,
                has_children,
                engagement,
                survey_responses: None,
                population: pop.map(|p| p.population),
                population_source: pop.map(|p| p.source.clone()),
                per_thousand: pop.map(|p| engagement as f64 * 1000.0 / p.population as f64),
                kpi_attainment: ratios
                    .get(&id)
                    .map(|r| 100.0 * r.iter().sum::<f64>() / r.len() as f64),
                kits_targeted,
                kits_shared,
                kits_on_time,
                previous_engagement: before,
                change_pct: change(engagement, before),
                m,
            });
        }
        total.engagement = total.m.engagement();
        total.change_pct = change(total.engagement, total.previous_engagement);
        Ok(DistrictReport {
            rows: out,
            total,
            weeks: weeks
                .into_iter()
                .map(|(week, m)| WeekPoint { week, m })
                .collect(),
            by_campaign,
            metrics_polled_at: polled,
        })
    }

    /// The units shown: the reporting level of the snapshot, or one unit and its wards.
    async fn report_areas(&self, q: &ReportQuery) -> StoreResult<Vec<Area>> {
        let filter = match &q.district {
            Some(code) => AreaFilter {
                parent_code: Some(code.clone()),
                ..Default::default()
            },
            None => AreaFilter {
                level: Some(self.reporting_level(&q.snapshot).await?.to_string()),
                ..Default::default()
            },
        };
        let (mut areas, _) = self
            .list_areas(&q.snapshot, &q.scope, &filter, 5000, 0)
            .await?;
        if let Some(code) = &q.district {
            match self.area_by_code(&q.snapshot, code).await {
                Ok(unit) if q.scope.allows(&unit) => areas.insert(0, unit),
                Ok(_) | Err(crate::store::StoreError::NotFound) => areas.clear(),
                Err(e) => return Err(e),
            }
        }
        Ok(areas)
    }
}

fn change(now: i64, before: i64) -> Option<f64> {
    (before > 0).then(|| 100.0 * (now - before) as f64 / before as f64)
}

/// The Monday of the week of a `YYYY-MM-DD` day.
fn week_of(day: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(day, format) {
        Ok(d) => {
            (d - time::Duration::days(d.weekday().number_days_from_monday() as i64)).to_string()
        }
        Err(_) => day.to_string(),
    }
}
