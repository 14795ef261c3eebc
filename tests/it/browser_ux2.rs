//! The workflow pages in a real browser (headless Chromium): a printed QR poster keeps its
//! ward and district, `/publishing` updates itself without a reload (and not for readers who
//! ask for reduced motion), and every page fits a phone (390 px) and a laptop (1366 px) as
//! each role sees it. Screenshots land in the target's temporary folder (`ux2-*.png`).

use serde_json::json;

use loa::store::{PostRecord, VariantRow};

use crate::helpers::{Backend, PASSWORD, TestApp, Visitor, skip};
use crate::kits::{approved_city_post, make_kit, unit_id};
use crate::publishing::connect;
use crate::webdriver::{Browser, installed};

async fn login(b: &Browser, base: &str, user: &str) {
    b.goto(&format!("{base}/login")).await;
    b.type_into("#f-username", user).await;
    b.type_into("#f-password", PASSWORD).await;
    b.click("button.primary").await;
    b.wait_text("h1", "Xin chào").await;
}

async fn logout(b: &Browser) {
    b.click("header form[action='/logout'] button").await;
    b.wait_text("h1", "Đăng nhập").await;
}

/// A city post of `cid` for Telegram, due in an hour, with its delivery.
async fn queued(app: &TestApp, cid: i64, title: &str) {
    let author = app
        .state
        .store
        .user_for_login("lan")
        .await
        .unwrap()
        .0
        .user_id;
    let due = loa::clock::now_ms() + 3_600_000;
    let rec = PostRecord {
        title: title.into(),
        body: format!("{title}."),
        scheduled_at: Some(due),
        variants: vec![VariantRow {
            channel: "telegram".into(),
            title: title.into(),
            summary: String::new(),
            body: format!("{title}."),
            edited: false,
        }],
        ..PostRecord::default()
    };
    let ids = app
        .state
        .store
        .create_posts(cid, author, loa::content::PostStatus::Scheduled, &[rec])
        .await
        .unwrap();
    app.state
        .store
        .schedule_deliveries(ids[0], due)
        .await
        .unwrap();
}

async fn with_browser() -> Option<Browser> {
    let Some((chromium, driver)) = installed() else {
        skip(
            "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
        );
        return None;
    };
    Some(Browser::start(&chromium, &driver).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_posters_keep_their_ward_and_publishing_refreshes_in_place() {
    let Some(b) = with_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = officer.new_campaign("Áp phích in").await;
    officer
        .post(
            &format!("/campaigns/{cid}/qr"),
            &[("destination", "https://hanoi.gov.vn/papi"), ("all", "1")],
        )
        .await;
    let tg = loa::sandbox::telegram::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    connect(&app, &tg, None).await;
    let base = &app.base;
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    login(&b, base, "lan").await;

    // In print, every poster still names its ward and district; the controls are not printed.
    b.goto(&format!("{base}/campaigns/{cid}/qr/posters")).await;
    b.wait_text(".poster-place", "Quận").await;
    b.cdp("Emulation.setEmulatedMedia", json!({"media": "print"}))
        .await;
    let seen = b
        .execute(
            "return Array.from(document.querySelectorAll('.poster-place')).map(function (e) { \
               return getComputedStyle(e).display === 'none' ? '' : e.innerText; });",
            vec![],
        )
        .await;
    let places: Vec<String> = serde_json::from_value(seen).unwrap();
    assert!(!places.is_empty());
    assert!(
        places
            .iter()
            .all(|p| p.contains("Phường") || p.contains("Xã") || p.contains("Thị trấn")),
        "every printed poster names its ward: {places:?}"
    );
    assert!(
        places
            .iter()
            .all(|p| p.contains("Quận") || p.contains("Huyện") || p.contains("Thị xã"))
    );
    let controls = b
        .execute(
            "return getComputedStyle(document.querySelector('.poster-controls')).display;",
            vec![],
        )
        .await;
    assert_eq!(controls, json!("none"), "the controls are not printed");
    b.screenshot(&shots.join("ux2-poster-print.png")).await;
    b.cdp("Emulation.setEmulatedMedia", json!({"media": ""}))
        .await;

    // /publishing swaps in what changed, without a reload.
    b.goto(&format!("{base}/publishing")).await;
    b.wait_text("#refresh-hint", "tự cập nhật").await;
    b.execute(
        "window.loaMarker = 1; document.getElementById('refresh').setAttribute('data-every', '1'); return 1;",
        vec![],
    )
    .await;
    queued(&app, cid, "Tin mới vào hàng đợi").await;
    b.wait_text("main", "Tin mới vào hàng đợi").await;
    assert_eq!(
        b.execute("return window.loaMarker;", vec![]).await,
        json!(1),
        "no reload"
    );

    // A reader who asks for reduced motion keeps a still page and the refresh link.
    b.cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-reduced-motion", "value": "reduce"}]}),
    )
    .await;
    b.goto(&format!("{base}/publishing")).await;
    b.wait_text("#refresh-hint", "Làm mới").await;
    b.execute(
        "document.getElementById('refresh').setAttribute('data-every', '1'); return 1;",
        vec![],
    )
    .await;
    queued(&app, cid, "Tin thứ hai chưa hiện").await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert!(!b.text("main").await.contains("Tin thứ hai chưa hiện"));
    b.click("#refresh-link").await;
    b.wait_text("main", "Tin thứ hai chưa hiện").await;
    b.quit().await;
}

/// Opens `path` at `width` px, checks nothing overflows sideways, and takes a screenshot.
async fn look(b: &Browser, base: &str, path: &str, name: &str, width: u32) {
    let height = if width < 500 { 2400 } else { 1800 };
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500}),
    )
    .await;
    b.goto(&format!("{base}{path}")).await;
    b.wait_text("main", "").await;
    let overflow = b
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await;
    assert!(
        overflow.as_i64().unwrap_or(0) <= 1,
        "{path} at {width} px overflows sideways by {overflow} px"
    );
    let file = format!("ux2-{name}-{width}.png");
    b.screenshot(&std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(file))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workflow_pages_fit_a_phone_and_a_laptop_for_each_role() {
    let Some(b) = with_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let officer: Visitor = app.logged_in("lan", "officer", "").await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    app.create_user("quanly", "manager", "").await;
    let (cid, pid) = approved_city_post(&officer, &app).await;
    let kit = make_kit(&officer, &app, pid, &["001", "002"]).await;
    let fb = loa::sandbox::facebook::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let account = connect(&app, &fb, Some(unit_id(&app, "001").await)).await;
    officer
        .post(&format!("/accounts/{account}/test"), &[])
        .await;
    app.state
        .store
        .set_account_status(
            account,
            loa::states::AccountStatus::NeedsReauth,
            "Facebook feed: HTTP 401 Error validating access token",
        )
        .await
        .unwrap();
    officer
        .post(
            &format!("/campaigns/{cid}/qr"),
            &[("destination", "https://hanoi.gov.vn/papi"), ("all", "1")],
        )
        .await;
    ba_dinh
        .post(
            "/proposals/new",
            &[
                ("title", "Đối thoại ngân sách"),
                ("body", "Sáng Chủ nhật."),
                ("link", ""),
            ],
        )
        .await;
    let base = &app.base;
    let pages: Vec<(&str, Vec<(String, &str)>)> = vec![
        (
            "lan",
            vec![
                ("/".into(), "officer-home"),
                ("/publishing".into(), "officer-publishing"),
                (format!("/accounts/{account}"), "officer-account"),
                (format!("/kits/{kit}"), "officer-cascade"),
                (format!("/campaigns/{cid}/import"), "officer-import"),
                (format!("/campaigns/{cid}/qr"), "officer-qr"),
                (format!("/posts/{pid}/kit"), "officer-kit-new"),
            ],
        ),
        (
            "badinh",
            vec![
                ("/".into(), "district-home"),
                (format!("/kits/{kit}/share"), "district-share"),
                ("/proposals/new".into(), "district-proposal"),
                ("/publishing".into(), "district-publishing"),
            ],
        ),
        ("quanly", vec![("/".into(), "manager-home")]),
    ];
    for (user, list) in pages {
        login(&b, base, user).await;
        for (path, name) in &list {
            for width in [1366, 390] {
                look(&b, base, path, name, width).await;
            }
        }
        b.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
            .await;
        logout(&b).await;
    }
    b.quit().await;
}
