//! The content security policy in a real browser (security review 2026-12, F5): with inline
//! script forbidden, the pages' own script files still run, and the poster's print button,
//! once an inline `onclick`, still prints.

use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, skip};
use crate::webdriver::{Browser, installed};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_buttons_work_under_the_content_security_policy() {
    let Some((chromium, driver)) = installed() else {
        skip(
            "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
        );
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_user("lan", "officer", "").await;
    let officer = app.visitor();
    officer.login("lan", PASSWORD).await;
    let cid = officer.new_campaign("Áp phích QR").await;
    let ward = app.state.store.campaign_wards(cid).await.unwrap()[0]
        .code
        .clone();
    let page = officer
        .post(
            &format!("/campaigns/{cid}/qr"),
            &[
                ("destination", "https://hanoi.gov.vn/papi"),
                ("ward", &ward),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let link = app.state.store.campaign_qr_codes(cid).await.unwrap()[0].link_id;

    let b = Browser::start(&chromium, &driver).await;
    let base = &app.base;
    b.goto(&format!("{base}/login")).await;
    b.type_into("#f-username", "lan").await;
    b.type_into("#f-password", PASSWORD).await;
    b.click("button.primary").await;
    b.wait_text("h1", "Xin chào").await;

    // The poster: clicking "print" calls window.print through assets/print.js.
    b.goto(&format!("{base}/qr/{link}/poster")).await;
    b.execute(
        "window.__printed = 0; window.print = function () { window.__printed += 1; };",
        vec![],
    )
    .await;
    b.click("[data-print]").await;
    assert_eq!(
        b.execute("return window.__printed;", vec![]).await,
        json!(1),
        "the poster's print button prints once"
    );

    // The report page: report.js (a file, allowed) shows its print button.
    b.goto(&format!("{base}/reports")).await;
    b.wait_text("h1", "Báo cáo").await;
    assert_eq!(
        b.execute(
            "return document.querySelector('[data-print]').hidden;",
            vec![]
        )
        .await,
        json!(false),
        "report.js ran under the policy"
    );
    b.quit().await;
}
