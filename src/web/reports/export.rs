//! `/reports/export.csv?table=…` and `/reports/export.xlsx`: every table of the report with
//! Vietnamese (or English) headers, numbers as numbers and days as dates.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::Params;
use super::view::{dimension_effort, sorted};
use crate::error::{AppError, AppResult};
use crate::reports::export::{Cell, Table};
use crate::reports::{export, period, xlsx};
use crate::web::AppState;
use crate::web::session::Visitor;

/// The tables: districts (or wards), weeks, PAPI dimensions, top posts, emulation ranking.
pub async fn tables(state: &AppState, v: &Visitor, p: &Params) -> AppResult<Vec<Table>> {
    let user = v.user()?;
    let scope = crate::app::scope::scope_of(&state.store, user).await?;
    let q = p
        .query(state, scope.clone())
        .await
        .map_err(|_| AppError::BadRequest("err_report_query"))?;
    if let Some(code) = &q.district {
        match state.store.area_by_code(&q.snapshot, code).await {
            Ok(a) if scope.allows(&a) => {}
            _ => return Err(super::unknown_unit()),
        }
    }
    let report = state.store.district_report_full(&q).await?;
    let t = |k: &str| state.i18n.text(v.lang, k).to_string();
    let h = |keys: &[&str]| keys.iter().map(|k| t(k)).collect::<Vec<String>>();

    let mut units = Table {
        name: "don_vi",
        sheet: t("report_sheet_units"),
        headers: h(&[
            "report_col_code",
            "report_col_name",
            "report_col_from",
            "report_col_to",
            "report_col_posts_city",
            "report_col_posts_own",
            "report_col_views",
            "report_col_reach",
            "report_col_reactions",
            "report_col_comments",
            "report_col_shares",
            "report_col_link_clicks",
            "report_col_qr_scans",
            "report_col_survey",
            "report_col_engagement",
            "report_col_population",
            "report_col_per_thousand",
            "report_col_kpi_attainment",
            "report_col_kits_targeted",
            "report_col_kits_shared",
            "report_col_kits_on_time",
            "report_col_previous",
            "report_col_change_pct",
            "report_col_bot_clicks",
        ]),
        rows: Vec::new(),
    };
    let city_name = t("report_city_row");
    let city = report.rows.iter().filter(|r| r.area_id == 0);
    let rows = sorted(
        &report.rows,
        p.sort.as_deref().unwrap_or("code"),
        p.dir.as_deref() == Some("desc"),
    );
    for r in city.chain(rows.iter()) {
        units.rows.push(vec![
            Cell::Text(r.code.clone()),
            Cell::Text(if r.area_id == 0 {
                city_name.clone()
            } else {
                r.name.clone()
            }),
            Cell::Date(q.from),
            Cell::Date(q.to),
            Cell::Int(r.m.posts_city),
            Cell::Int(r.m.posts_own),
            Cell::Int(r.m.views),
            Cell::Int(r.m.reach),
            Cell::Int(r.m.reactions),
            Cell::Int(r.m.comments),
            Cell::Int(r.m.shares),
            Cell::Int(r.m.link_clicks),
            Cell::Int(r.m.qr_scans),
            r.survey_responses.into(),
            Cell::Int(r.engagement),
            r.population.into(),
            r.per_thousand.into(),
            pct(r.kpi_attainment),
            Cell::Int(r.kits_targeted),
            Cell::Int(r.kits_shared),
            Cell::Int(r.kits_on_time),
            Cell::Int(r.previous_engagement),
            pct(r.change_pct),
            Cell::Int(r.m.bot_clicks),
        ]);
    }
    let mut weeks = Table {
        name: "tuan",
        sheet: t("report_sheet_weeks"),
        headers: h(&[
            "report_col_week",
            "report_col_link_clicks",
            "report_col_qr_scans",
            "report_col_views",
            "report_col_reactions",
            "report_col_comments",
            "report_col_shares",
            "report_col_engagement",
        ]),
        rows: Vec::new(),
    };
    for w in &report.weeks {
        let day = period::parse_day("week", &w.week)
            .map(Cell::Date)
            .unwrap_or(Cell::Text(w.week.clone()));
        weeks.rows.push(vec![
            day,
            Cell::Int(w.m.link_clicks),
            Cell::Int(w.m.qr_scans),
            Cell::Int(w.m.views),
            Cell::Int(w.m.reactions),
            Cell::Int(w.m.comments),
            Cell::Int(w.m.shares),
            Cell::Int(w.m.engagement()),
        ]);
    }
    let (years, effort) = dimension_effort(state, v.lang, &report).await?;
    let mut dims = Table {
        name: "papi",
        sheet: t("report_sheet_papi"),
        headers: h(&[
            "report_col_code",
            "report_col_dimension",
            "report_col_posts",
            "report_col_engagement",
        ]),
        rows: Vec::new(),
    };
    for y in &years {
        dims.headers.push(format!("PAPI {y}"));
    }
    for (code, name, posts, engagement, scores) in effort {
        let mut row = vec![
            Cell::Text(code),
            Cell::Text(name),
            Cell::Int(posts),
            Cell::Int(engagement),
        ];
        row.extend(scores.into_iter().map(Cell::from));
        dims.rows.push(row);
    }
    let mut top = Table {
        name: "bai_noi_bat",
        sheet: t("report_sheet_top"),
        headers: h(&[
            "report_col_post",
            "report_col_unit",
            "report_col_published",
            "report_col_views",
            "report_col_reactions",
            "report_col_comments",
            "report_col_shares",
            "report_col_link_clicks",
            "report_col_engagement",
        ]),
        rows: Vec::new(),
    };
    let unit_ids: Vec<i64> = match (&q.district, &scope) {
        (None, crate::store::Scope::City) => Vec::new(),
        _ => report
            .rows
            .iter()
            .filter(|r| r.area_id != 0)
            .map(|r| r.area_id)
            .collect(),
    };
    for post in state.store.top_posts(&q, &unit_ids, 50).await? {
        top.rows.push(vec![
            Cell::Text(post.title),
            Cell::Text(post.unit_name.unwrap_or_else(|| city_name.clone())),
            post.published_at
                .map(|ms| Cell::Date(crate::clock::to_hanoi(ms).date()))
                .unwrap_or(Cell::Empty),
            Cell::Int(post.views),
            Cell::Int(post.reactions),
            Cell::Int(post.comments),
            Cell::Int(post.shares),
            Cell::Int(post.link_clicks),
            Cell::Int(post.engagement),
        ]);
    }
    let mut ranking = Table {
        name: "thi_dua",
        sheet: t("report_sheet_ranking"),
        headers: h(&[
            "report_col_rank",
            "report_col_code",
            "report_col_name",
            "report_col_score",
            "report_col_kpi_part",
            "report_col_reach_part",
            "report_col_posts_part",
            "report_col_kits_part",
        ]),
        rows: Vec::new(),
    };
    if q.district.is_none() {
        for s in crate::reports::standings(&report.rows) {
            ranking.rows.push(vec![
                Cell::Int(s.rank as i64),
                Cell::Text(s.code),
                Cell::Text(s.name),
                Cell::Num(s.score),
                Cell::Num(s.kpi_part),
                Cell::Num(s.reach_part),
                Cell::Num(s.posts_part),
                s.kits_part.into(),
            ]);
        }
    }
    Ok(vec![units, weeks, dims, top, ranking])
}

fn pct(v: Option<f64>) -> Cell {
    v.map(Cell::Pct).unwrap_or(Cell::Empty)
}

fn attachment(body: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

pub async fn csv(
    State(state): State<AppState>,
    v: Visitor,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let tables = tables(&state, &v, &p).await?;
    let wanted = p.table.as_deref().unwrap_or("don_vi");
    let table = tables
        .into_iter()
        .find(|t| t.name == wanted)
        .ok_or(AppError::NotFound)?;
    let name = format!("loa-{}.csv", table.name);
    Ok(attachment(
        export::csv(&table),
        "text/csv; charset=utf-8",
        &name,
    ))
}

pub async fn xlsx(
    State(state): State<AppState>,
    v: Visitor,
    Query(p): Query<Params>,
) -> AppResult<Response> {
    let tables = tables(&state, &v, &p).await?;
    Ok(attachment(
        xlsx::workbook(&tables)?,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "loa-bao-cao.xlsx",
    ))
}
