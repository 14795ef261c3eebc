//! Campaign rules shared by the pages and the tests: what a valid campaign is. Input arrives as
//! the strings a form sent; `validate` returns either a record that is valid by construction
//! or every problem at once, each naming its field (a KPI names its unit and its measure).

use std::collections::{BTreeSet, HashMap};

use crate::domain::FieldError;
use crate::store::{CampaignRecord, CampaignTarget, KPIS, Store, StoreResult};

pub const STATUSES: [&str; 4] = ["planning", "active", "finished", "archived"];

/// Largest KPI a form accepts: a billion views is beyond any Hanoi campaign.
const KPI_MAX: i64 = 1_000_000_000;

#[derive(Clone, Debug, Default)]
pub struct CampaignInput {
    pub title: String,
    pub objective: String,
    pub owner_code: String,
    pub status: String,
    pub starts_on: String,
    pub ends_on: String,
    pub dimensions: Vec<String>,
    /// Target unit codes in the order the form listed them.
    pub targets: Vec<String>,
    /// (unit code, KPI name) → the number typed, possibly empty.
    pub kpis: HashMap<(String, String), String>,
}

impl CampaignInput {
    /// Reads the url-encoded pairs of the campaign form: repeated `dimension` and `target`
    /// fields, and `kpi_<name>_<code>` per target.
    pub fn from_pairs(pairs: &[(String, String)]) -> CampaignInput {
        let mut input = CampaignInput::default();
        for (k, v) in pairs {
            match k.as_str() {
                "title" => input.title = v.clone(),
                "objective" => input.objective = v.clone(),
                "owner_code" => input.owner_code = v.clone(),
                "status" => input.status = v.clone(),
                "starts_on" => input.starts_on = v.clone(),
                "ends_on" => input.ends_on = v.clone(),
                "dimension" => input.dimensions.push(v.clone()),
                "target" => input.targets.push(v.clone()),
                other => {
                    if let Some(rest) = other.strip_prefix("kpi_")
                        && let Some((name, code)) = rest.split_once('_')
                    {
                        input
                            .kpis
                            .insert((code.to_string(), name.to_string()), v.clone());
                    }
                }
            }
        }
        input
    }

    pub fn kpi(&self, code: &str, name: &str) -> &str {
        self.kpis
            .get(&(code.to_string(), name.to_string()))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// A calendar day `YYYY-MM-DD`, checked to exist.
pub fn parse_day(field: &str, value: &str) -> Result<time::Date, FieldError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value.trim(), &fmt)
        .map_err(|_| FieldError::new(field, "err_date_invalid").arg("value", value.trim()))
}

/// Campaign dates fall in these years: year 0 or 9999 is a typing slip, and every report,
/// calendar and export would otherwise have to cope with it.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;
/// The longest campaign; a longer plan is several campaigns.
pub const MAX_YEARS: i32 = 5;

fn within_years(field: &str, day: time::Date) -> Result<time::Date, FieldError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&day.year()) {
        Ok(day)
    } else {
        Err(FieldError::new(field, "err_campaign_year")
            // Not `min`/`max`: those are counts and would be grouped ("2.000").
            .arg("year", day.year())
            .arg("first", FIRST_YEAR)
            .arg("last", LAST_YEAR))
    }
}

/// The same day `years` later (28 February for a 29 February that year lacks).
fn years_after(day: time::Date, years: i32) -> time::Date {
    let year = day.year() + years;
    day.replace_year(year)
        .or_else(|_| time::Date::from_calendar_date(year, time::Month::February, 28))
        .unwrap_or(day)
}

fn text(field: &str, value: &str, min: usize, max: usize, errors: &mut Vec<FieldError>) -> String {
    let v = value.trim().to_string();
    let len = v.chars().count();
    if len < min {
        errors.push(FieldError::new(field, "err_required"));
    } else if len > max {
        errors.push(
            FieldError::new(field, "err_too_long")
                .arg("max", max)
                .arg("len", len),
        );
    }
    v
}

/// Checks everything against the store's departments, dimensions and the active snapshot's
/// units at its reporting level.
pub async fn validate(
    store: &Store,
    input: &CampaignInput,
) -> StoreResult<Result<CampaignRecord, Vec<FieldError>>> {
    let mut errors = Vec::new();
    let title = text("title", &input.title, 1, 200, &mut errors);
    let objective = text("objective", &input.objective, 0, 4000, &mut errors);
    let departments = store.departments().await?;
    if !departments.iter().any(|d| d.code == input.owner_code) {
        errors.push(FieldError::new("owner_code", "err_choose_one"));
    }
    if !STATUSES.contains(&input.status.as_str()) {
        errors.push(FieldError::new("status", "err_choose_one"));
    }
    let starts = parse_day("starts_on", &input.starts_on)
        .and_then(|d| within_years("starts_on", d))
        .map_err(|e| errors.push(e));
    let ends = parse_day("ends_on", &input.ends_on)
        .and_then(|d| within_years("ends_on", d))
        .map_err(|e| errors.push(e));
    if let (Ok(s), Ok(e)) = (starts, ends) {
        if e < s {
            errors.push(FieldError::new("ends_on", "err_end_before_start"));
        } else if e > years_after(s, MAX_YEARS) {
            errors
                .push(FieldError::new("ends_on", "err_campaign_too_long").arg("years", MAX_YEARS));
        }
    }

    let known: BTreeSet<String> = store
        .papi_dimensions()
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    let mut dimensions: Vec<String> = Vec::new();
    for d in &input.dimensions {
        let d = d.trim();
        if !known.contains(d) {
            errors.push(FieldError::new("dimension", "err_dimension_unknown").arg("value", d));
        } else if !dimensions.iter().any(|x| x == d) {
            dimensions.push(d.to_string());
        }
    }
    if input.dimensions.is_empty() {
        errors.push(FieldError::new("dimension", "err_choose_at_least_one"));
    }

    let snapshot = store.active_snapshot().await?;
    let level = store.reporting_level(&snapshot).await?;
    let units: HashMap<String, (i64, String)> = store
        .area_codes_at_level(&snapshot, level)
        .await?
        .into_iter()
        .map(|(id, code, name)| (code, (id, name)))
        .collect();
    let mut targets: Vec<CampaignTarget> = Vec::new();
    for code in &input.targets {
        let Some((area_id, name)) = units.get(code.trim()) else {
            errors.push(FieldError::new("target", "err_target_unknown").arg("value", code));
            continue;
        };
        if targets.iter().any(|t| t.area_id == *area_id) {
            continue;
        }
        let mut t = CampaignTarget {
            area_id: *area_id,
            code: code.trim().to_string(),
            name: name.clone(),
            ..CampaignTarget::default()
        };
        for name in KPIS {
            let raw = input.kpi(&t.code, name).trim();
            if raw.is_empty() {
                continue;
            }
            let field = format!("kpi_{name}_{}", t.code);
            match raw.replace(['.', ',', ' '], "").parse::<i64>() {
                Ok(n) if (0..=KPI_MAX).contains(&n) => *kpi_slot(&mut t, name) = Some(n),
                _ => errors.push(
                    FieldError::new(&field, "err_kpi_invalid")
                        .arg("unit", &t.name)
                        .arg("value", raw),
                ),
            }
        }
        targets.push(t);
    }
    if input.targets.is_empty() {
        errors.push(FieldError::new("target", "err_choose_at_least_one"));
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    Ok(Ok(CampaignRecord {
        title,
        objective,
        owner_code: input.owner_code.clone(),
        snapshot,
        status: input.status.clone(),
        starts_on: input.starts_on.trim().to_string(),
        ends_on: input.ends_on.trim().to_string(),
        dimensions,
        targets,
    }))
}

fn kpi_slot<'a>(t: &'a mut CampaignTarget, name: &str) -> &'a mut Option<i64> {
    match name {
        "posts" => &mut t.kpi_posts,
        "reach" => &mut t.kpi_reach,
        "clicks" => &mut t.kpi_clicks,
        "scans" => &mut t.kpi_scans,
        _ => &mut t.kpi_responses,
    }
}

/// The KPI values of a stored target by name, for forms and pages.
pub fn kpi_value(t: &CampaignTarget, name: &str) -> Option<i64> {
    let mut t = t.clone();
    *kpi_slot(&mut t, name)
}

/// The instants (UTC ms) a campaign's days cover in Hanoi: [first day 00:00, day after last 00:00).
pub fn window_ms(starts_on: &str, ends_on: &str) -> Option<(i64, i64)> {
    let s = parse_day("starts_on", starts_on).ok()?;
    let e = parse_day("ends_on", ends_on).ok()?.next_day()?;
    let at = |d: time::Date| {
        d.midnight()
            .assume_offset(crate::clock::HANOI)
            .unix_timestamp()
            * 1000
    };
    Some((at(s), at(e)))
}
