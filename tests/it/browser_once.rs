//! A double submission from a real browser: the campaign form as Chromium renders it, sent
//! twice at once with the same fields (a double click, or a resend after a lost answer),
//! creates one campaign, and both answers lead to it.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, campaign_form, hanoi_day, skip};
use crate::webdriver::{Browser, installed};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_submitted_form_in_chromium_creates_one_campaign() {
    let Some((chromium, driver)) = installed() else {
        skip(
            "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
        );
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_user("lan", "officer", "").await;
    let b = Browser::start(&chromium, &driver).await;
    let base = &app.base;
    crate::browser_campaign::login(&b, base, "lan").await;

    b.goto(&format!("{base}/campaigns/new")).await;
    let fields: Vec<Value> = campaign_form("Hai lần bấm", &hanoi_day(0), &hanoi_day(20))
        .into_iter()
        .map(|(k, v)| json!([k, v]))
        .collect();
    // The page's own form data (its CSRF token and one-time key), with the fields filled, sent
    // twice concurrently the way the browser sends a form.
    let script = r#"
        const [fields, done] = arguments;
        const form = document.querySelector('form.card');
        const data = new FormData(form);
        for (const [k] of fields) data.delete(k);
        for (const [k, v] of fields) data.append(k, v);
        const body = new URLSearchParams(data).toString();
        const send = () => fetch(location.pathname, {method: 'POST', body, redirect: 'follow',
            headers: {'Content-Type': 'application/x-www-form-urlencoded'}});
        Promise.all([send(), send()])
            .then(rs => done(rs.map(r => [r.status, new URL(r.url).pathname])))
            .catch(e => done(String(e)));
    "#;
    let answers = b.execute_async(script, vec![Value::Array(fields)]).await;
    let answers = answers.as_array().unwrap_or_else(|| panic!("{answers}"));
    assert_eq!(answers.len(), 2);
    assert_eq!(
        answers[0], answers[1],
        "both answers lead to the same page: {answers:?}"
    );
    assert_eq!(answers[0][0], 200);
    assert!(answers[0][1].as_str().unwrap().starts_with("/campaigns/"));
    let (campaigns, total) = app
        .state
        .store
        .list_campaigns(&Default::default(), None, 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 1, "one campaign from two submissions");
    assert_eq!(campaigns[0].title, "Hai lần bấm");
    b.quit().await;
}
