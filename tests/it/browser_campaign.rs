//! The day of a communications officer and a district staff member, in a real browser: plan a
//! D2 (Transparency) campaign for three districts with KPI targets, upload an image and write a
//! post with per-channel previews; Ba Đình staff draft and submit a local post; the officer
//! requests changes, then approves and schedules both; the calendar shows them.

use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, hanoi_day, skip};
use crate::webdriver::{Browser, installed};

/// Signs in through the login form and waits for the home page.
pub async fn login(b: &Browser, base: &str, user: &str) {
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

/// Submits the workflow form with one action button, after an optional comment.
async fn act(b: &Browser, action: &str, comment: &str, notice: &str) {
    if !comment.is_empty() {
        b.type_into("#f-comment", comment).await;
    }
    b.click(&format!("form.workflow button[value='{action}']"))
        .await;
    for _ in 0..50 {
        let state = b
            .execute(
                "var n = document.querySelector('.notice'), e = document.querySelector('p.error');
                 return [n ? n.textContent : '', e ? e.textContent : ''];",
                vec![],
            )
            .await;
        assert!(
            state[1].as_str().unwrap_or("").is_empty(),
            "{action} refused: {}",
            state[1]
        );
        if state[0].as_str().unwrap_or("").contains(notice) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{action}: no notice {notice:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officer_plans_district_drafts_officer_reviews_and_schedules() {
    let Some((chromium, driver)) = installed() else {
        skip(
            "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
        );
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_user("lan", "officer", "").await;
    app.create_user("badinh", "district", "001").await;
    let b = Browser::start(&chromium, &driver).await;
    let base = &app.base;
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));

    login(&b, base, "lan").await;
    // An image for the post, with alt text.
    let photo = shots.join("poster-papi.png");
    image::RgbImage::from_fn(1600, 1000, |x, y| {
        image::Rgb([(x / 7) as u8, (y / 4) as u8, 160])
    })
    .save(&photo)
    .unwrap();
    b.goto(&format!("{base}/media")).await;
    b.type_into("#f-file", photo.to_str().unwrap()).await;
    b.type_into("#f-alt_text", "Áp phích về công khai ngân sách")
        .await;
    b.click("form[enctype] button.primary").await;
    b.wait_text(".notice", "Đã lưu ảnh").await;
    b.wait_text("h2", "Phiên bản theo kênh").await;

    // The campaign: D2, three target districts, KPI targets.
    b.goto(&format!("{base}/campaigns/new")).await;
    b.type_into("#f-title", "Minh bạch ngân sách phường 2026")
        .await;
    b.type_into(
        "#f-objective",
        "Người dân biết quyền được tiếp cận thông tin ngân sách",
    )
    .await;
    b.select("#f-owner_code", "so-noi-vu").await;
    b.select("#f-status", "active").await;
    b.set_value("#f-starts_on", &hanoi_day(0)).await;
    b.set_value("#f-ends_on", &hanoi_day(30)).await;
    b.click("input[name='dimension'][value='D2']").await;
    for code in ["001", "002", "003"] {
        b.click(&format!("input[name='target'][value='{code}']"))
            .await;
        b.type_into(&format!("input[name='kpi_posts_{code}']"), "10")
            .await;
    }
    b.type_into("input[name='kpi_reach_001']", "abc").await;
    b.click("form button.primary").await;
    // A bad KPI is named next to its cell and what was typed is kept.
    b.wait_text(".kpi-table .error", "Quận Ba Đình").await;
    b.type_into("input[name='kpi_reach_001']", "20000").await;
    b.click("form button.primary").await;
    b.wait_text("h1", "Minh bạch ngân sách phường 2026").await;
    b.wait_text("table", "Quận Tây Hồ").await;
    let campaign_url = b.url().await;
    b.screenshot(&shots.join("campaign.png")).await;

    // The officer's post with the image; counters are live and each channel has a preview.
    b.click("a[href$='/posts/new']").await;
    b.wait_text("h1", "Soạn bài mới").await;
    b.type_into("#master-title", "Ngân sách phường: người dân có quyền biết")
        .await;
    b.type_into(
        "#master-body",
        "Dự toán và quyết toán ngân sách phường được niêm yết công khai tại trụ sở.",
    )
    .await;
    b.type_into("#master-link", "https://hanoi.gov.vn/papi")
        .await;
    b.select("#f-media", "1").await;
    b.click("input[data-channel-toggle='zalo']").await;
    b.click("input[data-channel-toggle='telegram']").await;
    b.type_into("#v-telegram-body", &"Minh bạch ".repeat(120))
        .await;
    b.wait_text("[data-counter-for='v-telegram-body']", "1200 / 1024")
        .await;
    let over = b
        .execute(
            "return document.querySelector(\"[data-counter-for='v-telegram-body']\").className;",
            vec![],
        )
        .await;
    assert!(
        over.as_str().unwrap().contains("over"),
        "an over-limit counter is marked"
    );
    b.screenshot(&shots.join("editor.png")).await;
    b.click("form#post-editor button.primary").await;
    // With an image Telegram allows a 1,024-character caption: refused, text kept.
    b.wait_text(".has-error .error", "Dài quá 1.024 ký tự.")
        .await;
    b.type_into(
        "#v-telegram-body",
        "Ngân sách phường: xem tại cổng thông tin.",
    )
    .await;
    b.click("form#post-editor button.primary").await;
    b.wait_text(".notice", "Đã lưu bài").await;
    for channel in ["facebook", "portal", "zalo", "telegram"] {
        b.find(&format!(".preview-{channel}")).await;
    }
    b.wait_text(".preview-zalo", "Ngân sách phường").await;
    b.screenshot(&shots.join("post-previews.png")).await;
    let officer_post = b.url().await;
    act(&b, "submit", "", "Đã gửi bài").await;
    act(&b, "approve", "", "Đã duyệt").await;
    b.set_value("#f-scheduled_at", &format!("{}T09:00", hanoi_day(2)))
        .await;
    act(&b, "schedule", "", "Đã lên lịch").await;
    logout(&b).await;

    // Ba Đình staff draft a local post and submit it.
    login(&b, base, "badinh").await;
    b.goto(&campaign_url).await;
    b.click("a[href$='/posts/new']").await;
    b.type_into("#master-title", "Phường Điện Biên công khai dự toán")
        .await;
    b.type_into(
        "#master-body",
        "Mời bà con xem bảng niêm yết tại nhà văn hóa tổ dân phố.",
    )
    .await;
    b.click("form#post-editor button.primary").await;
    b.wait_text(".notice", "Đã lưu bài").await;
    act(&b, "submit", "", "Đã gửi bài").await;
    let district_post = b.url().await;
    logout(&b).await;

    // The officer asks for a change; the comment is in the history.
    login(&b, base, "lan").await;
    b.goto(&district_post).await;
    act(
        &b,
        "request_changes",
        "Thêm giờ mở cửa nhà văn hóa",
        "Đã yêu cầu chỉnh sửa",
    )
    .await;
    b.wait_text(".history", "Thêm giờ mở cửa nhà văn hóa").await;
    logout(&b).await;
    login(&b, base, "badinh").await;
    b.goto(&district_post).await;
    b.wait_text("h1 .badge", "Cần chỉnh sửa").await;
    b.click("a[href$='/edit']").await;
    b.type_into(
        "#master-body",
        "Mời bà con xem bảng niêm yết tại nhà văn hóa, mở cửa 7h–17h.",
    )
    .await;
    b.click("input[data-channel-toggle='telegram']").await;
    b.click("form#post-editor button.primary").await;
    b.wait_text(".notice", "Đã lưu bài").await;
    act(&b, "submit", "", "Đã gửi bài").await;
    logout(&b).await;

    login(&b, base, "lan").await;
    b.goto(&district_post).await;
    act(&b, "approve", "", "Đã duyệt").await;
    b.set_value("#f-scheduled_at", &format!("{}T15:30", hanoi_day(2)))
        .await;
    act(&b, "schedule", "", "Đã lên lịch").await;

    // The calendar shows both, on their Hanoi day; one can be dragged to another day.
    b.goto(&format!("{base}/calendar?date={}", hanoi_day(2)))
        .await;
    let cell = format!(".cal-day[data-date='{}']", hanoi_day(2));
    b.wait_text(&cell, "Ngân sách phường").await;
    b.wait_text(&cell, "09:00").await;
    b.wait_text(&cell, "Phường Điện Biên").await;
    b.screenshot(&shots.join("calendar.png")).await;
    let moved = b
        .execute(
            "var item = document.querySelector(arguments[0] + ' [data-post]');
             var to = document.querySelector(\".cal-day[data-date='\" + arguments[1] + \"']\");
             var dt = new DataTransfer();
             item.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: dt}));
             to.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
             to.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
             return item.getAttribute('data-post');",
            vec![json!(cell), json!(hanoi_day(3))],
        )
        .await;
    b.wait_text(".cal-status", "✓").await;
    let id: i64 = moved.as_str().unwrap().parse().unwrap();
    let at = app
        .state
        .store
        .post(id)
        .await
        .unwrap()
        .scheduled_at
        .unwrap();
    assert!(
        loa::posts::hanoi_input_value(at).starts_with(&hanoi_day(3)),
        "the drop moved the post"
    );
    b.goto(&officer_post).await;
    b.wait_text(".history", "Lên lịch").await;
    b.quit().await;
}
