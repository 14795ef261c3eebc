//! Manager reports on a known small dataset published through the simulators: numbers per
//! district (robots left out, metrics as growth), scoping, read-only managers, share links
//! with expiry, CSV and XLSX exports read back, and population validation.

use std::time::Duration;

use loa::engagement::poller::Poller;
use loa::store::{ReportQuery, ReportRow, Scope};

use crate::both;
use crate::engagement::{IPHONE, follow, published_to_three_pages};
use crate::helpers::{Backend, TestApp, hanoi_day};

/// City post + Ba Đình post + Hoàn Kiếm post, published; 3 people's clicks on Ba Đình's link,
/// one robot on Hoàn Kiếm's; metrics polled once, then Ba Đình's again after it grew.
pub async fn known_dataset(app: &TestApp) -> Vec<i64> {
    let (posts, sims, _) = published_to_three_pages(app).await;
    let mut slugs = Vec::new();
    for p in &posts {
        slugs.push(
            app.state.store.post_link_clicks(*p).await.unwrap()[0]
                .slug
                .clone(),
        );
    }
    for _ in 0..3 {
        assert_eq!(follow(app, &slugs[1], IPHONE).await.status(), 302);
    }
    assert_eq!(
        follow(app, &slugs[2], "facebookexternalhit/1.1")
            .await
            .status(),
        302
    );
    let mut deliveries = Vec::new();
    for p in &posts {
        deliveries.extend(app.state.store.deliveries_of_post(*p).await.unwrap());
    }
    let engage = |i: usize, views: i64, reactions: i64| {
        let d = deliveries[i].clone();
        let url = format!("{}/_sim/engagement", sims[i].base_url());
        async move {
            let body = serde_json::json!({"post_id": d.remote_id, "views": views, "reactions": reactions, "comments": 2, "shares": 1});
            let r = reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
        }
    };
    for i in 0..3 {
        engage(i, 100 * (i as i64 + 1), 7).await;
    }
    let poller = Poller {
        store: app.state.store.clone(),
        secret: app.state.secret.clone(),
        http: loa::connectors::http_client(Duration::from_secs(5)),
        batch: 50,
    };
    let now = loa::clock::now_ms();
    assert_eq!(
        poller.step(now + 3_600_000 + 1_000).await.unwrap().polled,
        3
    );
    engage(1, 250, 9).await;
    app.state
        .store
        .refresh_post_metrics(posts[1], now + 3_600_000 + 2_000)
        .await
        .unwrap();
    assert_eq!(
        poller.step(now + 3_600_000 + 3_000).await.unwrap().polled,
        1
    );
    posts
}

fn query(app_snapshot: &str, district: Option<&str>, scope: Scope) -> ReportQuery {
    let day = |s: String| {
        time::Date::parse(
            &s,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .unwrap()
    };
    ReportQuery {
        snapshot: app_snapshot.to_string(),
        from: day(hanoi_day(-1)),
        to: day(hanoi_day(2)),
        campaign_id: None,
        dimension: None,
        district: district.map(String::from),
        scope,
        compare: None,
    }
}

fn row<'a>(rows: &'a [ReportRow], code: &str) -> &'a ReportRow {
    rows.iter()
        .find(|r| r.code == code)
        .unwrap_or_else(|| panic!("no row {code}"))
}

pub fn period() -> String {
    format!("period=custom&from={}&to={}", hanoi_day(-1), hanoi_day(2))
}

async fn report_numbers_per_district(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let posts = known_dataset(&app).await;
    let snapshot = app.state.store.active_snapshot().await.unwrap();
    let report = app
        .state
        .store
        .district_report_full(&query(&snapshot, None, Scope::City))
        .await
        .unwrap();
    let rows = &report.rows;
    assert_eq!(rows.len(), 31, "the city's own row and 30 districts");
    let city = rows.iter().find(|r| r.area_id == 0).unwrap();
    assert_eq!(
        (
            city.m.posts_own,
            city.m.views,
            city.m.reactions,
            city.engagement
        ),
        (1, 100, 7, 10)
    );
    let ba_dinh = row(rows, "001");
    assert_eq!((ba_dinh.m.posts_city, ba_dinh.m.posts_own), (1, 1));
    // Growth: 200 then 250 views is 250 in the period, not 450.
    assert_eq!(
        (
            ba_dinh.m.views,
            ba_dinh.m.reactions,
            ba_dinh.m.comments,
            ba_dinh.m.shares
        ),
        (250, 9, 2, 1)
    );
    assert_eq!(
        (
            ba_dinh.m.link_clicks,
            ba_dinh.m.unique_visitors,
            ba_dinh.engagement
        ),
        (3, 1, 15)
    );
    let hoan_kiem = row(rows, "002");
    assert_eq!(
        (
            hoan_kiem.m.link_clicks,
            hoan_kiem.m.bot_clicks,
            hoan_kiem.engagement
        ),
        (0, 1, 10),
        "robots are left out"
    );
    // KPI attainment: 001 has posts 12 and reach 50,000; 002 posts 10; 003 clicks 800.
    // Ba Đình reached 200 people: (2/12 posts + 200/50,000 reach) / 2.
    assert_eq!((ba_dinh.m.reach, hoan_kiem.m.reach), (200, 240));
    assert!(
        (ba_dinh.kpi_attainment.unwrap() - 8.533_333_333_333_333).abs() < 1e-9,
        "{:?}",
        ba_dinh.kpi_attainment
    );
    assert!((hoan_kiem.kpi_attainment.unwrap() - 20.0).abs() < 1e-9);
    assert_eq!(row(rows, "003").kpi_attainment, Some(0.0));
    assert_eq!(
        row(rows, "004").kpi_attainment,
        None,
        "no targets, no attainment"
    );
    // A target met several times over counts 100 %, not more: Hoàn Kiếm reached 240 people
    // against a target of 100, so with 2 of its 10 posts it stands at (20 + 100) / 2 = 60 %.
    let cid = app.state.store.post(posts[2]).await.unwrap().campaign_id;
    let campaign = app.state.store.campaign(cid).await.unwrap();
    let mut targets = app.state.store.campaign_targets(cid).await.unwrap();
    targets
        .iter_mut()
        .find(|t| t.code == "002")
        .unwrap()
        .kpi_reach = Some(100);
    let record = loa::store::CampaignRecord {
        title: campaign.title.clone(),
        objective: campaign.objective.clone(),
        owner_code: campaign.owner_code.clone(),
        snapshot: campaign.snapshot.clone(),
        status: campaign.status.clone(),
        starts_on: campaign.starts_on.clone(),
        ends_on: campaign.ends_on.clone(),
        dimensions: app.state.store.campaign_dimensions(cid).await.unwrap(),
        targets,
    };
    let mut tx = app.state.store.begin().await.unwrap();
    tx.update_campaign(cid, campaign.version, &record)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let capped = app
        .state
        .store
        .district_report_full(&query(&snapshot, None, Scope::City))
        .await
        .unwrap();
    assert_eq!(row(&capped.rows, "002").kpi_attainment, Some(60.0));
    assert_eq!(ba_dinh.survey_responses, None);
    assert_eq!((ba_dinh.previous_engagement, ba_dinh.change_pct), (0, None));
    assert_eq!(
        (report.total.engagement, report.total.m.bot_clicks),
        (35, 1)
    );
    assert!(report.metrics_polled_at.is_some());
    // Drill-down: Ba Đình and its 14 wards.
    let wards = app
        .state
        .store
        .district_report(&query(&snapshot, Some("001"), Scope::City))
        .await
        .unwrap();
    assert_eq!(wards[0].code, "001");
    assert_eq!(wards[0].m.link_clicks, 3);
    assert!(wards.len() > 10 && wards[1..].iter().all(|w| w.m.link_clicks == 0));

    // Population makes engagement per 1,000 residents appear.
    let officer = app.logged_in("lan", "officer", "").await;
    let page = officer
        .post(
            "/reports/population",
            &[
                ("population_001", "250.000"),
                ("year_001", "2024"),
                ("source_001", "Niên giám thống kê Hà Nội 2024"),
            ],
        )
        .await;
    assert!(
        page.redirects_to("/reports/population?saved=1"),
        "{} {}",
        page.status,
        page.body
    );
    let rows = app
        .state
        .store
        .district_report(&query(&snapshot, None, Scope::City))
        .await
        .unwrap();
    assert!((row(&rows, "001").per_thousand.unwrap() - 0.06).abs() < 1e-9);
    assert_eq!(
        row(&rows, "001").population_source.as_deref(),
        Some("Niên giám thống kê Hà Nội 2024")
    );

    // The page: a manager reads it, with the freshness line and the pictures.
    let manager = app.logged_in("mai", "manager", "").await;
    let page = manager
        .get(&format!("/reports?{}&sort=engagement&dir=desc", period()))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    // Ba Đình got a population above; the 29 other districts have none, and the page says
    // what that costs them in the ranking.
    assert!(
        page.body.contains(
            "29 đơn vị chưa có số dân: phần 30 điểm tương tác trên 1.000 dân của các đơn vị này đang là 0."
        ),
        "{}",
        &page.body[page.body.find("id=\"standings\"").unwrap_or(0).saturating_sub(900)..]
            .chars()
            .take(900)
            .collect::<String>()
    );
    for text in [
        "Quận Ba Đình",
        "Số liệu kênh được cập nhật lần cuối",
        "đã bị loại",
        "class=\"chart tilemap\"",
        "Bảng thi đua",
        "Xu hướng theo tuần",
        "không chính thức",
    ] {
        assert!(page.body.contains(text), "{text} missing");
    }
    // Descending and ascending engagement (001: 15, 002: 10, 003: 0) give opposite orders; the
    // ascending one is not the code order, so a page that ignored the sort fails here.
    let at = |body: &str, code: &str| {
        body.find(&format!("data-code=\"{code}\""))
            .unwrap_or_else(|| panic!("no row {code}"))
    };
    let order = |body: &str| {
        let mut codes = ["001", "002", "003"];
        codes.sort_by_key(|c| at(body, c));
        codes
    };
    assert_eq!(
        order(&page.body),
        ["001", "002", "003"],
        "engagement, descending"
    );
    let ascending = manager
        .get(&format!("/reports?{}&sort=engagement&dir=asc", period()))
        .await;
    assert_eq!(
        order(&ascending.body),
        ["003", "002", "001"],
        "engagement, ascending"
    );
    let wards_page = manager
        .get(&format!("/reports?{}&district=001", period()))
        .await;
    assert!(
        wards_page.status == 200 && wards_page.body.contains("Phường Phúc Xá"),
        "{}",
        wards_page.status
    );
    // Bad input names the field.
    let bad = manager
        .get("/reports?period=custom&from=2026-13-01&to=2026-01-01")
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("NNNN-TT-NN"));
}
both!(report_numbers_per_district);

async fn district_staff_managers_and_share_links(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    known_dataset(&app).await;
    let staff = app.logged_in("hoankiem", "district", "002").await;
    let page = staff.get(&format!("/reports?{}", period())).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-code=\"002\"") && !page.body.contains("data-code=\"001\""));
    assert!(
        !page.body.contains("Kênh chung của Thành phố"),
        "staff do not see the city's row"
    );
    assert_eq!(
        staff
            .get(&format!("/reports?{}&district=001", period()))
            .await
            .status,
        404
    );
    let csv = staff
        .get(&format!("/reports/export.csv?{}", period()))
        .await;
    assert!(
        csv.body.contains("002,") && !csv.body.contains("001,"),
        "{}",
        csv.body
    );
    assert_eq!(staff.get("/reports/population").await.status, 403);

    let manager = app.logged_in("mai", "manager", "").await;
    assert_eq!(
        manager
            .post(
                "/reports/population",
                &[
                    ("population_001", "1000"),
                    ("year_001", "2024"),
                    ("source_001", "x")
                ]
            )
            .await
            .status,
        403
    );
    // Managers take reports to meetings: they make share links themselves.
    let made = manager
        .post("/reports/shares", &[("q", "period=month"), ("days", "7")])
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert!(made.body.contains("id=\"share-url\"") && made.body.contains("data-copy"));
    assert!(
        app.state
            .store
            .populations("2024")
            .await
            .unwrap()
            .is_empty()
    );

    // A share link: anonymous readers see the report read-only until it expires.
    let officer = app.logged_in("lan", "officer", "").await;
    let made = officer
        .post("/reports/shares", &[("q", &period()), ("days", "3")])
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let url = made
        .body
        .split("id=\"share-url\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#x2F;", "/");
    let path = format!("/shared/{}", url.split("/shared/").nth(1).unwrap());
    let anonymous = app.visitor();
    let shared = anonymous.get(&path).await;
    assert_eq!(shared.status, 200, "{}", shared.body);
    assert!(shared.body.contains("chỉ đọc") && shared.body.contains("Quận Ba Đình"));
    assert!(
        !shared.body.contains("/reports/export")
            && !shared.body.contains("action=\"/reports/shares\"")
    );
    assert!(anonymous.get("/reports").await.redirects_to("/login"));
    assert_eq!(
        officer
            .post("/reports/shares", &[("q", &period()), ("days", "400")])
            .await
            .status,
        422
    );
    app.state
        .store
        .execute_generated("update report_share set expires_at = 1")
        .await
        .unwrap();
    let gone = anonymous.get(&path).await;
    assert_eq!(gone.status, 410);
    assert!(gone.body.contains("hết hạn") && !gone.body.contains("Quận Ba Đình"));
    // Revoked links are gone at once.
    let made = officer
        .post("/reports/shares", &[("q", &period()), ("days", "3")])
        .await;
    let url = made
        .body
        .split("id=\"share-url\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#x2F;", "/");
    let path = format!("/shared/{}", url.split("/shared/").nth(1).unwrap());
    assert_eq!(anonymous.get(&path).await.status, 200);
    let id = app.state.store.list_shares().await.unwrap()[0].share_id;
    assert!(
        officer
            .post(&format!("/reports/shares/{id}/revoke"), &[])
            .await
            .redirects_to("/reports/shares")
    );
    let gone = anonymous.get(&path).await;
    assert!(gone.status == 410 && gone.body.contains("thu hồi"));
    assert_eq!(anonymous.get("/shared/not-a-token").await.status, 410);
}
both!(district_staff_managers_and_share_links);

/// The campaign page sets each target unit's results beside its targets, with the same
/// attainment as the report; district staff read only their own unit's results.
async fn the_campaign_page_shows_results_against_targets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let posts = known_dataset(&app).await;
    let cid = app.state.store.post(posts[1]).await.unwrap().campaign_id;
    let officer = app.logged_in("lan", "officer", "").await;
    let page = officer.get(&format!("/campaigns/{cid}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let row = |body: &str, code: &str| -> String {
        let at = body
            .find(&format!("<tr data-code=\"{code}\">"))
            .unwrap_or_else(|| panic!("no row {code}"));
        body[at..].split("</tr>").next().unwrap().to_string()
    };
    // Ba Đình: 2 of 12 posts (17 %), 200 reached of 50.000 (0 %), attainment
    // (2/12 + 200/50.000) / 2 = 8,5 %.
    let ba_dinh = row(&page.body, "001");
    for text in ["2 / 12", "17\u{a0}%", "200 / 50.000", "8,5\u{a0}%"] {
        assert!(ba_dinh.contains(text), "{text} in {ba_dinh}");
    }
    let hoan_kiem = row(&page.body, "002");
    assert!(
        hoan_kiem.contains("2 / 10") && hoan_kiem.contains("20,0\u{a0}%"),
        "{hoan_kiem}"
    );
    assert!(
        row(&page.body, "003").contains("0 / 800"),
        "Tây Hồ: nothing yet"
    );
    assert!(page.body.contains("Mức đạt chỉ tiêu"));

    // Ba Đình's staff: their own results, the others' targets only.
    let staff = app.logged_in("badinh", "district", "001").await;
    let page = staff.get(&format!("/campaigns/{cid}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(row(&page.body, "001").contains("2 / 12"));
    let theirs = row(&page.body, "002");
    assert!(
        theirs.contains(">10<") && !theirs.contains("2 / 10") && !theirs.contains("20,0\u{a0}%"),
        "{theirs}"
    );
}
both!(the_campaign_page_shows_results_against_targets);
