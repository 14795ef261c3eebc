//! What axe-core cannot see, checked in headless Chromium: the focus ring's contrast (WCAG
//! 1.4.11), checkboxes beside their labels, the error summary that takes focus after a failed
//! save, the calendar status in words (1.4.1), the badge's count in the link's name, Vietnamese
//! names marked `lang="vi"` in English mode (3.1.2) and no sideways scroll at 320 px (1.4.10).

use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, hanoi_day, skip};
use crate::webdriver::{Browser, installed};

const TAB: &str = "\u{E004}";

async fn with_browser() -> Option<Browser> {
    let Some((chromium, driver)) = installed() else {
        skip(
            "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
        );
        return None;
    };
    Some(Browser::start(&chromium, &driver).await)
}

async fn login(b: &Browser, base: &str, user: &str) {
    b.goto(&format!("{base}/login")).await;
    b.type_into("#f-username", user).await;
    b.type_into("#f-password", PASSWORD).await;
    b.click("button.primary").await;
    b.wait_text("h1", "Xin chào").await;
}

/// WCAG contrast ratio of two `rgb(…)` colours as `getComputedStyle` gives them.
fn contrast(a: &str, b: &str) -> f64 {
    fn lum(c: &str) -> f64 {
        let n: Vec<f64> = c
            .trim_start_matches("rgba(")
            .trim_start_matches("rgb(")
            .trim_end_matches(')')
            .split(',')
            .take(3)
            .map(|x| x.trim().parse::<f64>().unwrap() / 255.0)
            .map(|v| {
                if v <= 0.03928 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            })
            .collect();
        0.2126 * n[0] + 0.7152 * n[1] + 0.0722 * n[2]
    }
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The focused element's outline colour, width and whether it is `:focus-visible`.
async fn ring(b: &Browser) -> (String, String, bool, String) {
    let v = b
        .execute(
            "var e = document.activeElement, s = getComputedStyle(e);\
             return [s.outlineColor, s.outlineStyle + ' ' + s.outlineWidth, e.matches(':focus-visible'), e.tagName + '#' + e.id];",
            vec![],
        )
        .await;
    (
        v[0].as_str().unwrap().into(),
        v[1].as_str().unwrap().into(),
        v[2].as_bool().unwrap(),
        v[3].as_str().unwrap().into(),
    )
}

/// Every visible checkbox and radio in `main` whose text does not start on its own line:
/// the box and the first line of its label's text share a line, box first.
const MISPLACED: &str = "return Array.from(document.querySelectorAll('main input[type=checkbox], main input[type=radio]'))\
  .filter(function (i) { return i.offsetParent !== null; })\
  .filter(function (i) {\
    var label = i.closest('label') || document.querySelector('label[for=\"' + i.id + '\"]');\
    if (!label) return true;\
    var walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT), n;\
    while ((n = walker.nextNode()) && !n.textContent.trim()) {}\
    if (!n) return true;\
    var r = document.createRange(); r.selectNodeContents(n);\
    var line = r.getClientRects()[0], box = i.getBoundingClientRect(), mid = (box.top + box.bottom) / 2;\
    return !(mid >= line.top - 2 && mid <= line.bottom + 2 && box.right <= line.left + 1);\
  }).map(function (i) { return i.name + '=' + i.value; });";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn focus_ring_contrasts_and_every_checkbox_sits_beside_its_label() {
    let Some(b) = with_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = crate::posts::campaign(&app, &officer).await;
    let base = &app.base;
    login(&b, base, "lan").await;

    // A textarea and a select in the white card, reached by Tab.
    b.goto(&format!("{base}/campaigns/new")).await;
    let wash = "rgb(246, 243, 241)";
    let white = "rgb(255, 255, 255)";
    for (from, to) in [
        ("#f-title", "f-objective"),
        ("#f-objective", "f-owner_code"),
    ] {
        b.send_keys(from, TAB).await;
        let (colour, style, visible, what) = ring(&b).await;
        assert!(what.ends_with(to), "Tab from {from} reached {what}");
        assert!(visible && style.starts_with("solid"), "{what}: {style}");
        for bg in [white, wash] {
            let ratio = contrast(&colour, bg);
            assert!(
                ratio >= 3.0,
                "{what}: ring {colour} on {bg} is {ratio:.2}:1"
            );
        }
    }
    // In the red header the ring must stand out from the red.
    b.send_keys(".skip", TAB).await;
    let (colour, _, visible, what) = ring(&b).await;
    assert!(visible, "{what}");
    let ratio = contrast(&colour, "rgb(179, 38, 30)");
    assert!(
        ratio >= 3.0,
        "{what}: ring {colour} on the header is {ratio:.2}:1"
    );

    for path in [
        "/campaigns/new".to_string(),
        format!("/campaigns/{cid}/posts/new"),
        format!("/campaigns/{cid}/qr"),
        format!("/campaigns/{cid}/import"),
        "/accounts/new".into(),
    ] {
        b.goto(&format!("{base}{path}")).await;
        let count = b
            .execute("return document.querySelectorAll('main input[type=checkbox]:not([hidden]), main input[type=radio]').length;", vec![])
            .await;
        assert!(count.as_i64().unwrap() > 0, "{path} has checkboxes");
        let bad = b.execute(MISPLACED, vec![]).await;
        assert_eq!(bad, json!([]), "{path}: checkboxes not beside their labels");
    }
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_new_kit_form_announces_its_errors_and_ties_them_to_fields() {
    let Some(b) = with_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let (_, pid) = crate::kits::approved_city_post(&officer, &app).await;
    let base = &app.base;
    login(&b, base, "lan").await;

    b.goto(&format!("{base}/posts/{pid}/kit")).await;
    // Nothing chosen at all: no deadline, no unit.
    b.execute(
        "document.querySelectorAll('input[name=target]').forEach(function (c) { c.checked = false; });",
        vec![],
    )
    .await;
    b.click("#kit-form button.primary").await;
    b.wait_text("#error-summary", "").await;
    let state = b
        .execute(
            "var s = document.getElementById('error-summary');\
             return {focused: document.activeElement === s, role: s.getAttribute('role'), title: document.title,\
               links: Array.from(s.querySelectorAll('a')).map(function (a) { return a.getAttribute('href') + ' ' + a.textContent; }),\
               deadline: [document.getElementById('f-deadline').getAttribute('aria-invalid'), document.getElementById('f-deadline').getAttribute('aria-describedby')],\
               targets: document.querySelector('input[name=target]').closest('fieldset').getAttribute('aria-describedby'),\
               target_invalid: document.querySelector('input[name=target]').getAttribute('aria-invalid')};",
            vec![],
        )
        .await;
    assert_eq!(state["focused"], json!(true), "{state}");
    assert_eq!(state["role"], json!("alert"));
    assert!(
        state["title"].as_str().unwrap().starts_with("Có lỗi"),
        "{state}"
    );
    let links: Vec<String> = serde_json::from_value(state["links"].clone()).unwrap();
    assert!(
        links.iter().any(|l| l.starts_with("#e-deadline ")),
        "{links:?}"
    );
    assert!(
        links.iter().any(|l| l.starts_with("#e-target ")),
        "{links:?}"
    );
    assert_eq!(state["deadline"], json!(["true", "e-deadline"]));
    assert_eq!(state["targets"], json!("e-target"));
    assert_eq!(state["target_invalid"], json!("true"));
    assert!(
        app.state.store.kits_of_post(pid).await.unwrap().is_empty(),
        "no kit was created"
    );

    // A summary link takes focus to its field, not only to the message.
    b.click("#error-summary a[href='#e-deadline']").await;
    let focused = b.execute("return document.activeElement.id;", vec![]).await;
    assert_eq!(focused, json!("f-deadline"));
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_status_is_in_words_badge_names_its_count_and_vietnamese_is_marked() {
    let Some(b) = with_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = crate::posts::campaign(&app, &officer).await;
    let day = hanoi_day(2);
    let csv = format!(
        "title,body,channels,scheduled_at,unit\nLịch sáng sớm,Nội dung,facebook,{day} 06:30,001\n"
    );
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("a.csv"),
        )
        .text("schedule", "1");
    officer
        .post_multipart(&format!("/campaigns/{cid}/import"), form)
        .await;
    app.create_user("badinh", "district", "001").await;
    let base = &app.base;
    login(&b, base, "lan").await;

    b.goto(&format!("{base}/calendar?date={day}")).await;
    let item = "a.cal-item.status-scheduled";
    let seen = b.text(item).await;
    assert!(
        seen.contains("Đã lên lịch"),
        "status shown in words: {seen:?}"
    );
    assert!(b.computed_label(item).await.contains("Đã lên lịch"));
    let hint = b.text("main .hint").await;
    assert!(
        hint.contains("Đổi lịch đăng"),
        "a non-drag way is named: {hint}"
    );

    // English mode: the page says en, the Vietnamese title and unit name say vi.
    b.click("form.lang button[value='en']").await;
    b.wait_text("h1", "Calendar").await;
    let langs = b
        .execute(
            "var t = Array.from(document.querySelectorAll('main *')).find(function (e) { return e.children.length === 0 && e.textContent.trim() === 'Lịch sáng sớm'; });\
             var who = Array.from(document.querySelectorAll('header .who *')).find(function (e) { return e.children.length === 0 && e.textContent.indexOf('Quận') === 0; });\
             return [document.documentElement.lang, t ? t.closest('[lang]').lang : 'none'];",
            vec![],
        )
        .await;
    assert_eq!(langs, json!(["en", "vi"]));
    b.goto(&format!("{base}/posts")).await;
    let cells = b
        .execute(
            "return Array.from(document.querySelectorAll('main tbody td')).filter(function (td) { return /[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i.test(td.textContent); })\
               .map(function (td) { var e = td.querySelector('[lang]') || td.closest('[lang]'); return e.lang; });",
            vec![],
        )
        .await;
    let cells: Vec<String> = serde_json::from_value(cells).unwrap();
    assert!(!cells.is_empty());
    assert!(cells.iter().all(|l| l == "vi"), "{cells:?}");
    b.click("form.lang button[value='vi']").await;
    b.wait_text("h1", "Bài").await;
    assert_eq!(
        b.execute("return document.documentElement.lang;", vec![])
            .await,
        json!("vi")
    );

    // District staff with two unread notices: the link's name carries the count.
    let unit = crate::kits::unit_id(&app, "001").await;
    for _ in 0..2 {
        app.state
            .store
            .notify_unit(unit, "kit", "notice_kit_new", &json!({}), "/kits")
            .await
            .unwrap();
    }
    b.click("header form[action='/logout'] button").await;
    b.wait_text("h1", "Đăng nhập").await;
    login(&b, base, "badinh").await;
    assert!(
        b.text("header .notifications .badge")
            .await
            .starts_with('2')
    );
    let name = b.computed_label("header a.notifications").await;
    assert!(
        name.contains('2') && name.contains("chưa đọc"),
        "the link's name keeps the count: {name:?}"
    );
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_reflow_at_320_css_pixels_without_sideways_scroll() {
    let Some(b) = with_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = crate::posts::campaign(&app, &officer).await;
    let long = "https://hanoi.gov.vn/tin-tuc/minh-bach-ngan-sach-phuong-xa-nam-2026-va-cach-nguoi-dan-theo-doi-chi-tieu-cong";
    let form = crate::posts::post_form("Bài có liên kết dài", &[("link", long)]);
    let form: Vec<(String, String)> = form
        .into_iter()
        .filter(|(k, v)| !(k == "link" && v != long))
        .collect();
    let pid = crate::helpers::id_from_location(
        &officer
            .post_pairs(&format!("/campaigns/{cid}/posts/new"), &form)
            .await,
        "/posts/",
    );
    officer
        .post(
            &format!("/campaigns/{cid}/qr"),
            &[("destination", "https://hanoi.gov.vn/papi"), ("all", "1")],
        )
        .await;
    let base = &app.base;
    login(&b, base, "lan").await;
    b.goto(&format!("{base}/campaigns/{cid}/qr")).await;
    let poster = b
        .execute(
            "return document.querySelector('main a[href$=\"/poster\"]').getAttribute('href');",
            vec![],
        )
        .await;
    b.viewport(320, 256).await;
    let mut wide = Vec::new();
    for path in [
        format!("/posts/{pid}"),
        format!("/campaigns/{cid}/posts/new"),
        poster.as_str().unwrap().to_string(),
        "/".into(),
        "/campaigns".into(),
        format!("/campaigns/{cid}"),
        "/calendar".into(),
        "/calendar?view=week".into(),
        "/posts".into(),
        "/media".into(),
        "/reports".into(),
        "/kits".into(),
        "/notifications".into(),
    ] {
        b.goto(&format!("{base}{path}")).await;
        let w = b
            .execute(
                "var s = document.scrollingElement; return [s.scrollWidth, s.clientWidth];",
                vec![],
            )
            .await;
        if w[0].as_i64() > w[1].as_i64() {
            wide.push(format!("{path}: {w}"));
        }
    }
    b.quit().await;
    assert!(wide.is_empty(), "pages wider than 320 px: {wide:?}");
}

/// On a phone the main menu folds behind one button that says whether it is open, so each
/// page starts with its own content; on a laptop the menu is simply there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_menu_folds_behind_a_button_that_says_its_state() {
    let Some(b) = with_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_user("lan", "officer", "").await;
    let base = &app.base;
    login(&b, base, "lan").await;
    let state = "var t = document.querySelector('.menu-toggle'), \
                 n = document.querySelector('#site-menu nav a[href=\"/campaigns\"]'); \
                 return [getComputedStyle(t).display !== 'none', t.getAttribute('aria-expanded'), \
                 n.getBoundingClientRect().height > 0, \
                 Math.round(document.querySelector('header.top').getBoundingClientRect().height)];";
    assert_eq!(
        b.execute(state, vec![]).await.as_array().unwrap()[..3],
        [json!(false), json!("false"), json!(true)],
        "a laptop shows the menu and no button"
    );
    b.viewport(390, 844).await;
    b.goto(&format!("{base}/")).await;
    let folded = b.execute(state, vec![]).await;
    assert_eq!(
        folded.as_array().unwrap()[..3],
        [json!(true), json!("false"), json!(false)],
        "{folded}"
    );
    assert!(
        folded[3].as_i64().unwrap() < 100,
        "the header is one row on a phone: {folded}"
    );
    b.click(".menu-toggle").await;
    let open = b.execute(state, vec![]).await;
    assert_eq!(
        open.as_array().unwrap()[..3],
        [json!(true), json!("true"), json!(true)],
        "{open}"
    );
    b.click("#site-menu nav a[href=\"/campaigns\"]").await;
    b.wait_text("h1", "Chiến dịch").await;
    b.quit().await;
}

/// On a phone the month calendar reads as an agenda: each day with posts on a line of its own,
/// named in full, its posts' titles readable beside it; empty days are left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_calendar_reads_as_an_agenda_on_a_phone() {
    let Some(b) = with_browser().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    crate::publishing::scheduled_posts(&app, 2, &["facebook"]).await;
    app.create_user("lan", "officer", "").await;
    let base = &app.base;
    login(&b, base, "lan").await;
    b.viewport(390, 844).await;
    b.goto(&format!("{base}/calendar")).await;
    let shown = b
        .execute(
            "return Array.from(document.querySelectorAll('.cal-day')) \
             .filter(function (d) { return getComputedStyle(d).display !== 'none'; }) \
             .map(function (d) { var i = d.querySelector('.cal-item'); return [ \
               d.querySelector('.cal-date a').innerText, \
               i ? Math.round(i.getBoundingClientRect().width) : 0, \
               i ? Math.round(i.getBoundingClientRect().height) : 0]; });",
            vec![],
        )
        .await;
    let days = shown.as_array().unwrap();
    assert_eq!(days.len(), 1, "only today, which has the posts: {shown}");
    let label = days[0][0].as_str().unwrap();
    let today = loa::clock::to_hanoi(loa::clock::now_ms()).date();
    assert!(
        label.starts_with("Thứ ") || label.starts_with("Chủ Nhật"),
        "{label}"
    );
    assert!(
        label.ends_with(&format!("{:02}/{:02}", today.day(), today.month() as u8)),
        "{label}"
    );
    assert!(
        days[0][1].as_i64().unwrap() > 200 && days[0][2].as_i64().unwrap() < 80,
        "a post's line is wide and short, not a column of letters: {shown}"
    );
    b.quit().await;
}
