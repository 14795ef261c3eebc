//! The report page as a Vietnamese reader expects it: `684.997`-style numbers and `dd/mm/yyyy`
//! dates (English mode: `684,997`), "this month" to date and compared with the same first days
//! of last month, counters that fell never shown as negative counts, and the layout choices
//! (key columns, quiet units folded, equal scores sharing a rank) in the HTML.

use loa::store::{BackfillSnapshot, ReportQuery, Scope};
use time::{Date, Duration};

use crate::both;
use crate::engagement::published_to_three_pages;
use crate::helpers::{Backend, TestApp};

const DAY_MS: i64 = 86_400_000;

fn today() -> Date {
    loa::clock::to_hanoi(loa::clock::now_ms()).date()
}

/// Hanoi noon of a day, in epoch milliseconds.
fn noon(d: Date) -> i64 {
    loa::store::day_start_ms(d) + DAY_MS / 2
}

/// The month-to-date period and its comparison, worked out here independently of the code.
fn month_to_date() -> (Date, Date, Date, Date) {
    let today = today();
    let first = today.replace_day(1).unwrap();
    let first_prev = first.previous_day().unwrap().replace_day(1).unwrap();
    let last_prev = first.previous_day().unwrap();
    let prev_end = (first_prev + Duration::days((today - first).whole_days())).min(last_prev);
    (first, today, first_prev, prev_end)
}

fn dmy(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month() as u8, d.year())
}

/// Ba Đình's page post with three snapshots: one before the comparison period, one on its first
/// day, one today. Today's shares fell from 9 to 7, views rose by 684,997.
async fn fixed_snapshots(app: &TestApp) {
    let (posts, _sims, _) = published_to_three_pages(app).await;
    let d = app.state.store.deliveries_of_post(posts[1]).await.unwrap()[0].delivery_id;
    let (_, _, first_prev, _) = month_to_date();
    let snap = |at: i64, views: i64, reactions: i64, comments: i64, shares: i64| BackfillSnapshot {
        delivery_id: d,
        at,
        views,
        reach: views / 2,
        reactions,
        comments,
        shares,
        clicks: 0,
    };
    let now = loa::clock::now_ms();
    let rows = [
        snap(noon(first_prev.previous_day().unwrap()), 1_000, 20, 1, 4),
        snap(noon(first_prev), 2_000, 30, 2, 9),
        // Today, a minute ago (today's first minute if the test runs just after midnight).
        snap(
            (now - 60_000).max(loa::store::day_start_ms(today())),
            686_997,
            38,
            4,
            7,
        ),
    ];
    app.state.store.backfill_snapshots(&rows).await.unwrap();
}

/// The unit table of a report page.
fn unit_table(body: &str) -> &str {
    let start = body.find("id=\"report-table\"").expect("unit table");
    &body[start..start + body[start..].find("</table>").unwrap()]
}

/// The `<td>` texts of the unit table's row of unit `code`, in order.
fn cells(body: &str, code: &str) -> Vec<String> {
    let body = unit_table(body);
    let start = body
        .find(&format!("<tr data-code=\"{code}\""))
        .unwrap_or_else(|| panic!("no row {code}"));
    let row = &body[start..start + body[start..].find("</tr>").unwrap()];
    row.split("<td")
        .skip(1)
        .map(|c| {
            let inner = &c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()];
            let mut text = String::new();
            let mut in_tag = false;
            for ch in inner.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text.trim().to_string()
        })
        .collect()
}

async fn month_to_date_is_compared_like_with_like_in_vietnamese_numbers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    fixed_snapshots(&app).await;
    let (first, today, first_prev, prev_end) = month_to_date();

    // The store: today's fall in shares adds nothing; the comparison holds only 1st-of-last-month.
    let snapshot = app.state.store.active_snapshot().await.unwrap();
    let q = ReportQuery {
        snapshot,
        from: first,
        to: today,
        campaign_id: None,
        dimension: None,
        district: None,
        scope: Scope::City,
        compare: Some((first_prev, prev_end)),
    };
    let report = app.state.store.district_report_full(&q).await.unwrap();
    let ba_dinh = report.rows.iter().find(|r| r.code == "001").unwrap();
    assert_eq!(
        (ba_dinh.m.views, ba_dinh.m.shares, ba_dinh.engagement),
        (684_997, 0, 10),
        "views grew by 684,997; shares fell and count 0, not −2"
    );
    assert_eq!(
        ba_dinh.previous_engagement, 16,
        "10 + 1 + 5 on the 1st of last month"
    );

    // The page: "Tháng này" by default.
    let manager = app.logged_in("mai", "manager", "").await;
    let page = manager.get("/reports").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let label = if first == today {
        dmy(today)
    } else {
        format!(
            "{:02}/{:02}–{}",
            first.day(),
            first.month() as u8,
            dmy(today)
        )
    };
    let previous = if first_prev == prev_end {
        dmy(prev_end)
    } else if first_prev.year() == prev_end.year() {
        format!(
            "{:02}/{:02}–{}",
            first_prev.day(),
            first_prev.month() as u8,
            dmy(prev_end)
        )
    } else {
        format!("{}–{}", dmy(first_prev), dmy(prev_end))
    };
    let period_line = format!("<strong>{label}</strong> so với <strong>{previous}</strong>");
    assert!(
        page.body.contains(&period_line),
        "period line {period_line} missing"
    );
    let row = cells(&page.body, "001");
    // Key columns: posts_own, views, engagement, per 1,000, KPI, kits, change.
    assert_eq!(row[1], "684.997", "{row:?}");
    assert_eq!(row[2], "10", "{row:?}");
    assert_eq!(row[6], "−37,5\u{a0}%", "(10 − 16) / 16: {row:?}");
    assert!(!page.body.contains("684997"), "no ungrouped number");
    // Published today: the top posts table shows day-first dates.
    let top = &page.body[page.body.find("id=\"top-posts\"").unwrap()..];
    assert!(
        top.contains(&format!("<td>{} ", dmy(today))),
        "dd/mm/yyyy HH:MM"
    );

    // Every column: today's shares are 0, not −2.
    let all = manager.get("/reports?cols=all").await;
    let row = cells(&all.body, "001");
    assert_eq!(row[0], "001");
    assert_eq!(
        (row[3].as_str(), row[7].as_str()),
        ("684.997", "0"),
        "{row:?}"
    );
    assert!(!all.body.contains(">−2<"));

    // English: English marks, the same day-first dates.
    let page = manager
        .post("/lang", &[("lang", "en"), ("next", "/")])
        .await;
    assert!(page.status < 400, "{}", page.status);
    let en = manager.get("/reports").await;
    let row = cells(&en.body, "001");
    assert_eq!(
        (row[1].as_str(), row[6].as_str()),
        ("684,997", "−37.5%"),
        "{row:?}"
    );
    assert!(
        en.body
            .contains(&format!("<strong>{label}</strong> compared with"))
    );
}
both!(month_to_date_is_compared_like_with_like_in_vietnamese_numbers);

async fn the_unit_table_keeps_key_columns_and_folds_quiet_units(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    fixed_snapshots(&app).await;
    let manager = app.logged_in("mai", "manager", "").await;
    let page = manager.get("/reports").await;
    // Ba Đình (001) and Hoàn Kiếm (002) published, Tây Hồ (003) has a KPI target: rows. Long
    // Biên (004) and 26 more have nothing: one line under the table, not rows of zeros.
    let table = unit_table(&page.body);
    for code in ["001", "002", "003"] {
        assert!(
            table.contains(&format!("<tr data-code=\"{code}\"")),
            "{code}"
        );
    }
    assert!(!table.contains("data-code=\"004\""));
    let quiet = &page.body[page.body.find("id=\"quiet-units\"").expect("quiet line")..];
    assert!(quiet.contains("27 đơn vị chưa có hoạt động") && quiet.contains("Quận Long Biên"));
    let header =
        &page.body[page.body.find("<thead>").unwrap()..page.body.find("</thead>").unwrap()];
    assert_eq!(
        header.matches("<th scope=\"col\"").count(),
        8,
        "key columns only"
    );
    assert!(!header.contains("Bình luận"));
    // Asked for, they come last, after every unit with something to show.
    let shown = manager.get("/reports?quiet=1&cols=all").await;
    let table = unit_table(&shown.body);
    let at = |code: &str| table.find(&format!("data-code=\"{code}\"")).unwrap();
    assert!(at("003") < at("004") && table.contains("<tr class=\"quiet\" data-code=\"004\""));
    let header =
        &shown.body[shown.body.find("<thead>").unwrap()..shown.body.find("</thead>").unwrap()];
    assert_eq!(header.matches("<th scope=\"col\"").count(), 17);
    // No inline script: printing is a button the report script wires up.
    assert!(!page.body.contains("onclick") && page.body.contains("data-print"));
}
both!(the_unit_table_keeps_key_columns_and_folds_quiet_units);
