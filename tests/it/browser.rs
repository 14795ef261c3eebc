//! In a real browser (Debian's headless Chromium): an admin logs in through the page, creates
//! a district-staff account for Quận Ba Đình, and that person logs in, replaces the one-time
//! password and cannot see Quận Hoàn Kiếm.

use crate::helpers::{ADMIN_PASSWORD, Backend, TestApp, skip};
use crate::webdriver::{Browser, installed};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_creates_ba_dinh_staff_who_logs_in_and_cannot_see_hoan_kiem() {
    let Some((chromium, driver)) = installed() else {
        skip(
            "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
        );
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let b = Browser::start(&chromium, &driver).await;
    let base = &app.base;

    b.goto(&format!("{base}/")).await;
    assert!(
        b.url().await.contains("/login"),
        "anonymous visitors land on the login page"
    );
    assert_eq!(b.text("h1").await, "Đăng nhập");
    b.type_into("#f-username", "admin").await;
    b.type_into("#f-password", ADMIN_PASSWORD).await;
    b.click("button.primary").await;
    b.wait_text("h1", "Xin chào").await;
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("home-admin.png");
    b.screenshot(&target).await;

    b.goto(&format!("{base}/admin/users/new")).await;
    b.type_into("#f-username", "cb.badinh").await;
    b.type_into("#f-display_name", "Cán bộ Ba Đình").await;
    b.select("#f-role", "district").await;
    b.select("#f-unit", "001").await;
    b.click("button.primary").await;
    b.wait_text("h1", "Đã tạo tài khoản").await;
    let otp = b.text("#one-time-password").await;
    assert_eq!(otp.len(), 19, "a one-time password is shown once");

    b.click("header form[action='/logout'] button").await;
    b.wait_text("h1", "Đăng nhập").await;
    b.type_into("#f-username", "cb.badinh").await;
    b.type_into("#f-password", &otp).await;
    b.click("button.primary").await;
    // A one-time password must be replaced first.
    b.wait_text("h1", "Đổi mật khẩu").await;
    assert!(b.url().await.ends_with("/account/password"));
    b.type_into("#f-current", &otp).await;
    b.type_into("#f-new", "ngan").await;
    b.type_into("#f-confirm", "ngan").await;
    b.click("button.primary").await;
    b.wait_text("#e-new", "ít nhất 10 ký tự").await;
    b.type_into("#f-current", &otp).await;
    b.type_into("#f-new", "mot-hai-ba-bon-nam").await;
    b.type_into("#f-confirm", "mot-hai-ba-bon-nam").await;
    b.click("button.primary").await;
    b.wait_text(".notice", "Đã đổi mật khẩu").await;
    assert!(b.text(".who").await.contains("Quận Ba Đình"));

    b.goto(&format!("{base}/areas/002")).await;
    // Quận Hoàn Kiếm does not exist for Ba Đình staff.
    b.wait_text("h1", "Không tìm thấy").await;
    b.goto(&format!("{base}/areas")).await;
    b.click("form.lang button[value='en']").await;
    b.wait_text("h1 small", "Map 2024").await;
    b.wait_text("table", "Phường Phúc Xá").await;
    b.quit().await;
}
