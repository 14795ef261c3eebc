//! axe-core in CI: the demo workspace's main pages, as each kind of user sees them (officer,
//! district staff, manager), in Vietnamese and in English, loaded in Debian's headless Chromium
//! with axe-core injected, must show no WCAG 2.1 A/AA violation. axe-core comes from
//! `node_modules/axe-core/axe.min.js` (`npm install --no-save axe-core@4`, run by `.ci/run`):
//! nothing is downloaded by the test itself.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, skip};
use crate::webdriver::{Browser, installed};

const TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// The demo's ids that the page paths need, found once in the data.
struct Ids {
    campaign: i64,
    post: i64,
    kit: i64,
    qr: String,
}

/// Pages every signed-in role opens.
fn common(ids: &Ids) -> Vec<String> {
    let c = ids.campaign;
    let p = ids.post;
    [
        "/".to_string(),
        "/campaigns".into(),
        format!("/campaigns/{c}"),
        format!("/campaigns/{c}/qr"),
        format!("/qr/{}/poster", ids.qr),
        "/posts".into(),
        format!("/posts/{p}"),
        "/calendar".into(),
        "/calendar?view=week".into(),
        "/media".into(),
        "/accounts".into(),
        "/kits".into(),
        "/proposals".into(),
        "/areas".into(),
        "/areas/001".into(),
        "/reports".into(),
        "/reports?district=001".into(),
        "/papi".into(),
        "/publishing".into(),
        "/notifications".into(),
        "/account/password".into(),
        "/units/001/fields".into(),
    ]
    .to_vec()
}

/// The pages only one role has (forms, kits, shares).
fn own(role: &str, ids: &Ids) -> Vec<String> {
    let (c, p, k) = (ids.campaign, ids.post, ids.kit);
    match role {
        "demo-officer" => vec![
            format!("/campaigns/{c}/posts/new"),
            format!("/posts/{p}/edit"),
            format!("/posts/{p}/kit"),
            format!("/kits/{k}"),
            "/accounts/new".into(),
            "/reports/shares".into(),
            "/reports/population".into(),
            "/campaigns/new".into(),
            format!("/campaigns/{c}/edit"),
            format!("/campaigns/{c}/import"),
        ],
        "demo-caugiay" => vec![format!("/kits/{k}/share"), "/proposals/new".into()],
        _ => vec![format!("/kits/{k}")],
    }
}

/// Injects axe-core into the open page and returns its WCAG 2.1 A/AA violations, one line each.
async fn scan(b: &Browser, axe: &str) -> Vec<String> {
    let injected = b
        .execute(&format!("{axe}\n;return typeof axe;"), vec![])
        .await;
    assert_eq!(injected, json!("object"), "axe-core loaded in the page");
    let found = b
        .execute_async(
            "var done = arguments[arguments.length - 1];\
             axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})\
               .then(function (r) { done(r.violations.map(function (v) {\
                 return v.id + ' (' + v.impact + '): ' + v.nodes.map(function (n) { return n.target.join(' '); }).join(', ');\
               })); })\
               .catch(function (e) { done(['axe failed: ' + e]); });",
            vec![json!(TAGS)],
        )
        .await;
    serde_json::from_value(found).unwrap_or_default()
}

async fn login(b: &Browser, base: &str, user: &str) {
    b.goto(&format!("{base}/login")).await;
    b.type_into("#f-username", user).await;
    b.type_into("#f-password", loa::demo::DEMO_PASSWORD).await;
    b.click("button.primary").await;
    b.wait_text("header .who", "[Demo]").await;
}

async fn set_lang(b: &Browser, lang: &str) {
    b.click(&format!("form.lang button[value='{lang}']")).await;
    for _ in 0..50 {
        if b.execute("return document.documentElement.lang;", vec![])
            .await
            == json!(lang)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the page never switched to {lang}");
}

/// The first link on the open page whose path matches `pattern` (a JavaScript regex).
async fn first_link(b: &Browser, pattern: &str) -> String {
    let v: Value = b
        .execute(
            "var re = new RegExp(arguments[0]);\
             var a = Array.from(document.querySelectorAll('main a[href]'))\
               .map(function (a) { return a.getAttribute('href'); }).find(function (h) { return re.test(h); });\
             return a || '';",
            vec![json!(pattern)],
        )
        .await;
    let href = v.as_str().unwrap_or_default().to_string();
    assert!(!href.is_empty(), "no link matching {pattern}");
    href
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_pages_have_no_wcag21_violations_for_any_role_in_either_language() {
    let Some((chromium, driver)) = installed() else {
        skip(
            "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
        );
        return;
    };
    let axe_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/node_modules/axe-core/axe.min.js"
    );
    let Ok(axe) = std::fs::read_to_string(axe_path) else {
        skip("axe-core is not installed (npm install --no-save axe-core@4 in the repository root)");
        return;
    };
    let started = std::time::Instant::now();
    let app = TestApp::spawn(Backend::Sqlite).await;
    let sims = loa::sandbox::all::spawn_all(0).await.expect("simulators");
    let loaded = loa::demo::load(&app.state, &sims)
        .await
        .expect("demo loads");
    let b = Browser::start(&chromium, &driver).await;
    let base = &app.base;

    // The ids: the first demo campaign, a post of it, its kit and one of its QR posters.
    login(&b, base, "demo-officer").await;
    let campaign = loa::demo::demo_campaigns(&app.state.store).await.unwrap()[0];
    b.goto(&format!("{base}/campaigns/{campaign}/qr")).await;
    let poster = first_link(&b, r"^/qr/[^/]+/poster").await;
    b.goto(&format!("{base}/posts")).await;
    let post = first_link(&b, r"^/posts/\d+$").await;
    let ids = Ids {
        campaign,
        post: post.trim_start_matches("/posts/").parse().unwrap(),
        kit: loaded.kit.expect("the demo has a kit"),
        qr: poster.split('/').nth(2).unwrap().to_string(),
    };

    let mut failures = Vec::new();
    let mut scans = 0;
    let mut check = |path: String, who: String, found: Vec<String>| {
        scans += 1;
        for v in found {
            failures.push(format!("{who} {path}: {v}"));
        }
    };
    b.click("header form[action='/logout'] button").await;
    b.goto(&format!("{base}/login")).await;
    check("/login".into(), "anonymous".into(), scan(&b, &axe).await);
    // A failed login: the error summary and the fields' errors.
    b.click("button.primary").await;
    b.wait_text("main", "bắt buộc").await;
    check(
        "/login (errors)".into(),
        "anonymous".into(),
        scan(&b, &axe).await,
    );

    for user in ["demo-officer", "demo-caugiay", "demo-manager"] {
        login(&b, base, user).await;
        let mut pages = common(&ids);
        pages.extend(own(user, &ids));
        for lang in ["vi", "en"] {
            if lang == "en" {
                set_lang(&b, "en").await;
            }
            for path in &pages {
                b.goto(&format!("{base}{path}")).await;
                check(path.clone(), format!("{user}/{lang}"), scan(&b, &axe).await);
            }
        }
        set_lang(&b, "vi").await;
        b.click("header form[action='/logout'] button").await;
        b.wait_text("h1", "Đăng nhập").await;
    }
    b.quit().await;
    eprintln!("axe-core: {scans} scans in {:?}", started.elapsed());
    assert!(
        failures.is_empty(),
        "WCAG 2.1 A/AA violations:\n{}",
        failures.join("\n")
    );
}
