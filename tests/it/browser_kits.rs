//! A share kit in a real browser: the officer offers an approved city post to the districts,
//! Ba Đình's staff find it on their home page filled in for their unit, adapt it and share it on
//! their own Facebook page, and the officer's cascade view shows it published with its link.

use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, skip};
use crate::kits::{approved_city_post, unit_id};
use crate::publishing::{connect, drain, publisher};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officer_offers_a_kit_district_adapts_and_shares_cascade_shows_it() {
    let Some((chromium, driver)) = installed() else {
        skip(
            "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
        );
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let officer = app.logged_in("lan", "officer", "").await;
    app.create_user("badinh", "district", "001").await;
    let (_, pid) = approved_city_post(&officer, &app).await;
    let ba_dinh = unit_id(&app, "001").await;
    let fb = loa::sandbox::facebook::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    connect(&app, &fb, Some(ba_dinh)).await;
    let trusted = ba_dinh.to_string();
    officer.post("/kits/trusted", &[("unit", &trusted)]).await;
    let b = Browser::start(&chromium, &driver).await;
    let base = &app.base;
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));

    // The officer offers the post to the campaign's districts with a deadline.
    login(&b, base, "lan").await;
    b.goto(&format!("{base}/posts/{pid}")).await;
    b.click("#make-kit").await;
    b.wait_text("h1", "Gửi các quận chia sẻ").await;
    let deadline = loa::posts::hanoi_input_value(loa::clock::now_ms() + 86_400_000);
    b.set_value("#f-deadline", &deadline).await;
    b.type_into("#f-hints", "Nêu tên phường và đường dây nóng của quận")
        .await;
    b.click("#kit-form button.primary").await;
    b.wait_text(".notice", "Đã tạo bộ chia sẻ").await;
    let url = b.url().await;
    let kit: i64 = url
        .split("/kits/")
        .nth(1)
        .and_then(|s| s.split('?').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no kit id in {url}"));
    b.wait_text("#cascade tr[data-unit='001']", "Chưa mở").await;
    logout(&b).await;

    // Ba Đình's staff: the kit is on the home page; the hotline is filled in first.
    login(&b, base, "badinh").await;
    b.wait_text("#kits", "Ngân sách Quận Ba Đình công khai")
        .await;
    b.click("#kits a").await;
    b.wait_text(".warning", "{hotline}").await;
    b.click("a[href='/units/001/fields']").await;
    b.type_into("#f-hotline", "024 3734 0000").await;
    b.click("form button.primary").await;
    b.wait_text(".notice", "Đã lưu").await;
    b.goto(&format!("{base}/kits/{kit}/share")).await;
    let body = b
        .execute("return document.querySelector('#f-body').value;", vec![])
        .await;
    let body = body.as_str().unwrap().to_string();
    assert!(
        body.contains("Bà con Quận Ba Đình") && body.contains("024 3734 0000"),
        "{body}"
    );
    b.execute(
        "document.querySelector('#f-body').value = arguments[0]; return 1;",
        vec![json!(format!(
            "{body} Phường Điện Biên tiếp dân sáng thứ Bảy."
        ))],
    )
    .await;
    b.screenshot(&shots.join("kit-share.png")).await;
    b.click("#share-submit").await;
    for _ in 0..50 {
        let errors = b
            .execute(
                "var e = document.querySelectorAll('p.error'); return Array.from(e).map(x => x.textContent).join(' | ');",
                vec![],
            )
            .await;
        assert_eq!(errors.as_str().unwrap_or(""), "", "sharing refused");
        if b.url().await.contains("/posts/") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    b.wait_text(".notice", "Đã chia sẻ").await;
    logout(&b).await;

    // The dispatcher publishes it; the officer's cascade view shows it with its link.
    let local = app
        .state
        .store
        .kit_target(kit, ba_dinh)
        .await
        .unwrap()
        .and_then(|t| t.local_post_id)
        .expect("a local version");
    drain(&publisher(&app, "worker"), &app, &[local]).await;
    login(&b, base, "lan").await;
    b.goto(&format!("{base}/kits/{kit}")).await;
    b.wait_text("#cascade tr[data-unit='001']", "Đã đăng").await;
    b.wait_text(
        "#cascade tr[data-unit='001'] .published-link",
        "xem trên kênh",
    )
    .await;
    b.screenshot(&shots.join("kit-cascade.png")).await;
    b.quit().await;
}
