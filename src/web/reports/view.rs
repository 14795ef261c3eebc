//! The report page: table, tile map, weekly trend, PAPI dimensions, top posts and the
//! emulation ranking, for a signed-in reader or for a share link (read-only, no forms).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::Params;
use crate::error::AppResult;
use crate::format;
use crate::i18n::Lang;
use crate::reports::svg;
use crate::store::{DistrictReport, Measures, ReportQuery, ReportRow, Scope};
use crate::web::AppState;
use crate::web::session::Visitor;

/// Columns a reader may sort by; anything else sorts by code.
pub const SORTABLE: &[&str] = &[
    "code",
    "name",
    "posts_city",
    "posts_own",
    "views",
    "reach",
    "reactions",
    "comments",
    "shares",
    "link_clicks",
    "qr_scans",
    "engagement",
    "per_thousand",
    "kpi_attainment",
    "change_pct",
];

/// The unit table's columns by default: a few key measures, readable on a phone and in print.
pub const KEY_COLUMNS: &[&str] = &[
    "name",
    "posts_own",
    "views",
    "engagement",
    "per_thousand",
    "kpi_attainment",
    "kits",
    "change_pct",
];

/// Every column, behind "more columns".
pub const ALL_COLUMNS: &[&str] = &[
    "code",
    "name",
    "posts_city",
    "posts_own",
    "views",
    "reach",
    "reactions",
    "comments",
    "shares",
    "link_clicks",
    "qr_scans",
    "survey",
    "engagement",
    "per_thousand",
    "kpi_attainment",
    "kits",
    "change_pct",
];

/// Measures the tile map can be coloured by.
pub const MEASURES: &[&str] = &[
    "engagement",
    "per_thousand",
    "link_clicks",
    "qr_scans",
    "views",
    "kpi_attainment",
];

pub fn value(r: &ReportRow, key: &str) -> Option<f64> {
    Some(match key {
        "posts_city" => r.m.posts_city as f64,
        "posts_own" => r.m.posts_own as f64,
        "views" => r.m.views as f64,
        "reach" => r.m.reach as f64,
        "reactions" => r.m.reactions as f64,
        "comments" => r.m.comments as f64,
        "shares" => r.m.shares as f64,
        "link_clicks" => r.m.link_clicks as f64,
        "qr_scans" => r.m.qr_scans as f64,
        "engagement" => r.engagement as f64,
        "per_thousand" => r.per_thousand?,
        "kpi_attainment" => r.kpi_attainment?,
        "change_pct" => r.change_pct?,
        _ => return None,
    })
}

/// Rows in the requested order; the city's own row stays apart.
pub fn sorted(rows: &[ReportRow], sort: &str, desc: bool) -> Vec<ReportRow> {
    let mut out: Vec<ReportRow> = rows.iter().filter(|r| r.area_id != 0).cloned().collect();
    match sort {
        "name" => out.sort_by(|a, b| a.name.cmp(&b.name)),
        k if SORTABLE.contains(&k) && k != "code" => out.sort_by(|a, b| {
            let (x, y) = (
                value(a, k).unwrap_or(f64::MIN),
                value(b, k).unwrap_or(f64::MIN),
            );
            x.total_cmp(&y).then(a.code.cmp(&b.code))
        }),
        _ => out.sort_by(|a, b| a.code.cmp(&b.code)),
    }
    if desc {
        out.reverse();
    }
    out
}

#[derive(Serialize)]
struct DimensionEffort {
    code: String,
    name: String,
    posts: i64,
    engagement: i64,
    /// Hanoi's published scores, latest years first.
    scores: Vec<Option<f64>>,
}

/// Per PAPI dimension: posts and engagement of the campaigns working on it.
pub async fn dimension_effort(
    state: &AppState,
    lang: Lang,
    report: &DistrictReport,
) -> AppResult<(Vec<i64>, Vec<(String, String, i64, i64, Vec<Option<f64>>)>)> {
    let dims = state.store.papi_dimensions().await?;
    let pairs = state.store.campaign_dimension_pairs().await?;
    let scores = state.store.papi_scores().await?;
    let mut years: Vec<i64> = state
        .store
        .papi_results()
        .await?
        .iter()
        .map(|r| r.year)
        .collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.truncate(3);
    let mut out = Vec::new();
    for d in dims.iter().filter(|d| d.level == "dimension") {
        let (mut posts, mut engagement) = (0, 0);
        for (campaign, m) in &report.by_campaign {
            if pairs
                .iter()
                .any(|(c, code)| c == campaign && *code == d.code)
            {
                posts += m.posts_own + m.posts_city;
                engagement += m.engagement();
            }
        }
        let name = if lang == Lang::En {
            d.name_en.clone()
        } else {
            d.name_vi.clone()
        };
        let row_scores = years
            .iter()
            .map(|y| {
                scores
                    .iter()
                    .find(|s| s.year == *y && s.dimension_code == d.code)
                    .map(|s| s.score)
            })
            .collect();
        out.push((d.code.clone(), name, posts, engagement, row_scores));
    }
    Ok((years, out))
}

/// Renders the report page. `shared`: the share link's expiry, for an anonymous read-only view.
pub async fn render(
    state: &AppState,
    v: &Visitor,
    p: &Params,
    scope: Scope,
    shared: Option<i64>,
) -> AppResult<Response> {
    let t = |k: &str| state.i18n.text(v.lang, k).to_string();
    let mut ctx = state.context(v);
    ctx.insert("p", p);
    ctx.insert("shared_until", &shared);
    ctx.insert("sortable", SORTABLE);
    ctx.insert("measures", MEASURES);
    ctx.insert(
        "dimensions",
        &state
            .store
            .papi_dimensions()
            .await?
            .into_iter()
            .filter(|d| d.level == "dimension")
            .collect::<Vec<_>>(),
    );
    ctx.insert("campaigns", &state.store.campaign_titles().await?);
    let measure = p
        .measure
        .clone()
        .filter(|m| MEASURES.contains(&m.as_str()))
        .unwrap_or_else(|| "engagement".into());
    ctx.insert("measure", &measure);
    let q = match p.query(state, scope.clone()).await {
        Ok(q) => q,
        Err(errors) => {
            ctx.insert("errors", &state.form_errors(v, &errors));
            return state.page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "reports/index.html",
                &ctx,
            );
        }
    };
    if let Some(code) = &q.district {
        match state.store.area_by_code(&q.snapshot, code).await {
            Ok(a) if scope.allows(&a) => ctx.insert("district", &a),
            _ => return Err(super::unknown_unit()),
        }
    }
    let report = state.store.district_report_full(&q).await?;
    let sort = p
        .sort
        .clone()
        .filter(|s| SORTABLE.contains(&s.as_str()))
        .unwrap_or_else(|| "code".into());
    let desc = p.dir.as_deref() == Some("desc");
    let rows = sorted(&report.rows, &sort, desc);
    let city = report.rows.iter().find(|r| r.area_id == 0);
    // Units with nothing in the period go last, folded into one line unless asked for.
    let (active, quiet): (Vec<&ReportRow>, Vec<&ReportRow>) =
        rows.iter().partition(|r| !crate::reports::is_quiet(r));
    let show_quiet = p.quiet.as_deref() == Some("1");
    ctx.insert("rows", &active);
    ctx.insert("quiet_rows", &quiet);
    ctx.insert("show_quiet", &show_quiet);
    let all_cols = p.cols.as_deref() == Some("all");
    ctx.insert("all_cols", &all_cols);
    ctx.insert("compact", &!all_cols);
    ctx.insert(
        "quiet_note",
        &state.i18n.format(
            v.lang,
            if show_quiet {
                "report_quiet_shown"
            } else {
                "report_quiet_units"
            },
            &[("n", format::integer(quiet.len() as i64, v.lang))],
        ),
    );
    ctx.insert("cols", if all_cols { ALL_COLUMNS } else { KEY_COLUMNS });

    let link = p.link(&q);
    ctx.insert("q_link", &link);
    // Links that change one view setting keep the others.
    let view = |sort_by: bool, cols: bool, quiet: bool| {
        let mut out = format!("{link}&measure={measure}");
        if sort_by {
            out.push_str(&format!(
                "&sort={sort}&dir={}",
                if desc { "desc" } else { "asc" }
            ));
        }
        if cols {
            out.push_str("&cols=all");
        }
        if quiet {
            out.push_str("&quiet=1");
        }
        out
    };
    ctx.insert("sort_base", &view(false, all_cols, show_quiet));
    ctx.insert("cols_link", &view(true, !all_cols, show_quiet));
    ctx.insert(
        "quiet_link",
        &format!("{}#quiet-units", view(true, all_cols, !show_quiet)),
    );
    let mut whole = q.clone();
    whole.district = None;
    ctx.insert("city_link", &p.link(&whole));
    ctx.insert("from", &q.from.to_string());
    ctx.insert("to", &q.to.to_string());
    let (pf, pt) = q.previous();
    ctx.insert("period_label", &format::date_range(q.from, q.to));
    ctx.insert("previous_label", &format::date_range(pf, pt));
    let preset = p.period.as_deref().map(str::trim).unwrap_or_default();
    ctx.insert("to_date", &(preset != "custom"));
    ctx.insert("sort", &sort);
    ctx.insert("desc", &desc);
    ctx.insert("city", &city);
    ctx.insert("total", &report.total);
    ctx.insert("polled_at", &report.metrics_polled_at);

    if q.district.is_none() {
        let tiles: Vec<(String, String, f64)> = rows
            .iter()
            .map(|r| {
                (
                    r.code.clone(),
                    r.name.clone(),
                    value(r, &measure).unwrap_or(0.0),
                )
            })
            .collect();
        let title = format!(
            "{} — {}",
            t("report_map"),
            t(&format!("report_col_{measure}"))
        );
        ctx.insert(
            "tile_map",
            &svg::tile_map(&tiles, &title, &t("report_legend"), v.lang),
        );
        ctx.insert("standings", &crate::reports::standings(&report.rows));
        // The 30 points per 1,000 residents are 0 for a unit without a population: say so
        // beside the ranking rather than let the points vanish silently.
        let without: Vec<&str> = report
            .rows
            .iter()
            .filter(|r| r.area_id != 0 && r.population.is_none())
            .map(|r| r.name.as_str())
            .collect();
        ctx.insert("units_without_population", &without.len());
    }
    ctx.insert("trend", &trend(&report, &q, &t, v.lang));
    let (years, effort) = dimension_effort(state, v.lang, &report).await?;
    let bars: Vec<(String, f64)> = effort
        .iter()
        .map(|e| (format!("{} {}", e.0, e.1), e.3 as f64))
        .collect();
    ctx.insert(
        "dimension_bars",
        &svg::bars(&bars, &t("report_by_dimension"), v.lang),
    );
    let effort: Vec<DimensionEffort> = effort
        .into_iter()
        .map(|(code, name, posts, engagement, scores)| DimensionEffort {
            code,
            name,
            posts,
            engagement,
            scores,
        })
        .collect();
    ctx.insert("papi_years", &years);
    ctx.insert("effort", &effort);
    ctx.insert("papi", &papi_context(state, v.lang).await?);
    let unit_ids: Vec<i64> = match (&q.district, &scope) {
        (None, Scope::City) => Vec::new(),
        _ => report
            .rows
            .iter()
            .filter(|r| r.area_id != 0)
            .map(|r| r.area_id)
            .collect(),
    };
    ctx.insert(
        "top_posts",
        &state.store.top_posts(&q, &unit_ids, 10).await?,
    );
    Ok(state.page("reports/index.html", &ctx)?.into_response())
}

/// The weekly trend over every week the period touches (a week without data is a zero, not a
/// gap), partial weeks marked; `None` for a period without a single week.
fn trend(
    report: &DistrictReport,
    q: &ReportQuery,
    t: &dyn Fn(&str) -> String,
    lang: Lang,
) -> Option<String> {
    let weeks = crate::reports::period::weeks(q.from, q.to);
    let ticks: Vec<svg::Tick> = weeks
        .iter()
        .map(|(monday, partial)| svg::Tick {
            label: format::day_month(*monday),
            partial: *partial,
        })
        .collect();
    let of_week = |monday: &time::Date| {
        let key = monday.to_string();
        report
            .weeks
            .iter()
            .find(|w| w.week == key)
            .map(|w| w.m.clone())
            .unwrap_or_default()
    };
    let measures: Vec<Measures> = weeks.iter().map(|(m, _)| of_week(m)).collect();
    let series = vec![
        (
            t("report_col_link_clicks"),
            measures.iter().map(|m| m.link_clicks as f64).collect(),
        ),
        (
            t("report_col_qr_scans"),
            measures.iter().map(|m| m.qr_scans as f64).collect(),
        ),
        (
            t("report_reactions_comments_shares"),
            measures
                .iter()
                .map(|m| (m.reactions + m.comments + m.shares) as f64)
                .collect(),
        ),
    ];
    (!ticks.is_empty()).then(|| {
        svg::lines(
            &ticks,
            &series,
            &t("report_trend"),
            &t("report_partial_week"),
            lang,
        )
    })
}

#[derive(Serialize)]
struct PapiYear {
    year: i64,
    group_label: String,
    total: Option<f64>,
    rank: Option<i64>,
}

async fn papi_context(state: &AppState, lang: Lang) -> AppResult<Vec<PapiYear>> {
    let mut out: Vec<PapiYear> = state
        .store
        .papi_results()
        .await?
        .into_iter()
        .map(|r| PapiYear {
            year: r.year,
            group_label: match r.group_no {
                Some(g @ 1..=4) => state
                    .i18n
                    .text(lang, &format!("papi_group_{g}"))
                    .to_string(),
                _ => "–".into(),
            },
            total: r.total,
            rank: r.rank_of_63,
        })
        .collect();
    out.sort_by_key(|y| std::cmp::Reverse(y.year));
    out.truncate(4);
    Ok(out)
}
