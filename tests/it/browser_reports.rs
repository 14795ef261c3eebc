//! A manager reads the district report in a real browser: sorts a column, drills down into
//! Ba Đình's wards and back, and downloads the CSV and XLSX exports from the page's links.

use calamine::Reader;
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, hanoi_day, skip};
use crate::webdriver::{Browser, installed};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manager_sorts_drills_down_and_exports_the_report() {
    let Some((chromium, driver)) = installed() else {
        skip(
            "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
        );
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    crate::reports::known_dataset(&app).await;
    app.create_user("mai", "manager", "").await;
    let b = Browser::start(&chromium, &driver).await;
    let base = &app.base;
    b.goto(&format!("{base}/login")).await;
    b.type_into("#f-username", "mai").await;
    b.type_into("#f-password", PASSWORD).await;
    b.click("button.primary").await;
    b.wait_text("h1", "Xin chào").await;

    b.goto(&format!(
        "{base}/reports?period=custom&from={}&to={}",
        hanoi_day(-1),
        hanoi_day(2)
    ))
    .await;
    b.wait_text("h1", "Báo cáo theo quận, huyện").await;
    let first_row =
        "return document.querySelector('#report-table tbody tr[data-code]').dataset.code;";
    assert_eq!(
        b.execute(first_row, vec![]).await,
        json!("001"),
        "by code at first"
    );
    // Sort by name, then by engagement (descending on the first click): Ba Đình first.
    b.click("a.sort[data-col='name']").await;
    b.wait_text("th[aria-sort] a", "Đơn vị").await;
    b.click("a.sort[data-col='engagement']").await;
    b.wait_text("th[aria-sort] a", "Tương tác").await;
    assert!(b.url().await.contains("sort=engagement&dir=desc"));
    // Engagement 001: 15, 002: 10, 003: 0. Descending matches the code order, so the check
    // that can fail is the second click: ascending puts 003 before 002 before 001.
    let order = "return Array.from(document.querySelectorAll('#report-table tbody tr[data-code]')) \
                 .map(function (r) { return r.dataset.code; }) \
                 .filter(function (c) { return c === '001' || c === '002' || c === '003'; });";
    assert_eq!(b.execute(order, vec![]).await, json!(["001", "002", "003"]));
    b.click("a.sort[data-col='engagement']").await;
    b.wait_text("th[aria-sort='ascending'] a", "Tương tác")
        .await;
    assert!(b.url().await.contains("sort=engagement&dir=asc"));
    assert_eq!(
        b.execute(order, vec![]).await,
        json!(["003", "002", "001"]),
        "ascending engagement"
    );
    assert!(!b.find("svg.tilemap").await.is_empty());

    // Drill down to the wards, then back to the city.
    b.click("tr[data-code='001'] a.drill").await;
    b.wait_text("h1", "Ba Đình").await;
    // Wards with nothing in the period are named in one line under the table.
    b.wait_text("#quiet-units", "Phường Phúc Xá").await;
    b.click("a.back-city").await;
    b.wait_text("h2", "Các đơn vị").await;

    // The export links answer with the files, in the browser's own session.
    let fetch = "var a = document.querySelector(arguments[0]); var x = new XMLHttpRequest(); \
                 x.open('GET', a.href, false); x.send(); \
                 return [x.status, x.getResponseHeader('content-type'), x.responseText.substring(0, 40)];";
    let csv = b
        .execute(fetch, vec![json!(".exports a[href*='export.csv']")])
        .await;
    assert_eq!(csv[0], json!(200));
    assert!(csv[1].as_str().unwrap().starts_with("text/csv"));
    assert!(csv[2].as_str().unwrap().contains("Mã,Đơn vị"), "{csv}");
    // The workbook as bytes (a synchronous XHR cannot ask for an ArrayBuffer, but a charset of
    // x-user-defined hands back each byte as one character), opened by zip and calamine.
    let fetch_bytes = "var a = document.querySelector(arguments[0]); var x = new XMLHttpRequest(); \
                       x.open('GET', a.href, false); \
                       x.overrideMimeType('text/plain; charset=x-user-defined'); x.send(); \
                       var s = x.responseText, b = []; \
                       for (var i = 0; i < s.length; i++) { b.push(s.charCodeAt(i) & 255); } \
                       return [x.status, x.getResponseHeader('content-type'), b];";
    let xlsx = b.execute(fetch_bytes, vec![json!("#export-xlsx")]).await;
    assert_eq!(xlsx[0], json!(200));
    assert!(xlsx[1].as_str().unwrap().contains("spreadsheetml"));
    let bytes: Vec<u8> = xlsx[2]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u8)
        .collect();
    let mut book = crate::reports_export::open_workbook(&bytes);
    assert_eq!(
        book.sheet_names(),
        ["Đơn vị", "Theo tuần", "PAPI", "Bài nổi bật", "Thi đua"]
    );
    let units = book.worksheet_range("Đơn vị").unwrap();
    // Row 3 is Ba Đình (after the city's own row), its 3 link clicks a number.
    assert_eq!(
        (units.get((2, 0)), units.get((2, 11))),
        (
            Some(&calamine::Data::String("001".into())),
            Some(&calamine::Data::Float(3.0))
        )
    );
    b.quit().await;
}
