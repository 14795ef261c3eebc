//! The edge against hostile input (security review 2026-12): `next` targets that would leave
//! the site or break the `Location` header (F1, F7), control characters in any input (F4),
//! security headers on every answer (F5), no inline script in any template, and a page for a
//! wrong method.

use reqwest::multipart::{Form, Part};

use crate::both;
use crate::helpers::{Backend, PASSWORD, Page, TestApp, campaign_form, hanoi_day};

/// Each of these reaches another site, or an invalid header, once a browser has read it.
const ESCAPES: [&str; 7] = [
    "/\t/127.0.0.1:18099/pwned",
    "/\n/evil.example",
    "/\r\nSet-Cookie: x=1",
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
    "/\u{a0}/evil.example",
];

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The `next` value the login form carries (not the language switch's), as a browser reads it.
fn hidden_next(page: &Page) -> String {
    let form = page.body.find("action=\"/login\"").expect("the login form");
    let at = form
        + page.body[form..]
            .find("name=\"next\" value=\"")
            .expect("a next field")
        + 19;
    page.body[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&#x2F;", "/")
}

async fn next_targets_never_leave_the_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_user("officer1", "officer", "").await;
    for bad in ESCAPES {
        let v = app.visitor();
        let form = v.get(&format!("/login?next={}", encode(bad))).await;
        assert_eq!(form.status, 200, "{bad:?}");
        assert_eq!(hidden_next(&form), "/", "{bad:?}: the form carries it on");
        // The form's value, or one typed into a crafted form: the login itself goes home.
        let token = v.csrf().await;
        let login = v
            .post_raw(
                "/login",
                &[
                    ("csrf", &token),
                    ("username", "officer1"),
                    ("password", PASSWORD),
                    ("next", bad),
                ],
            )
            .await;
        assert_eq!(login.status, 303, "{bad:?}: {}", login.body);
        assert_eq!(login.location.as_deref(), Some("/"), "{bad:?}");
        assert!(
            login.headers.get("set-cookie").is_some(),
            "{bad:?}: the session is opened in a normal answer"
        );
        // Already signed in, the link itself redirects.
        let again = v.get(&format!("/login?next={}", encode(bad))).await;
        assert_eq!(
            (again.status, again.location.as_deref()),
            (303, Some("/")),
            "{bad:?}"
        );
        let lang = v.post("/lang", &[("lang", "en"), ("next", bad)]).await;
        assert_eq!(
            (lang.status, lang.location.as_deref()),
            (303, Some("/")),
            "{bad:?}"
        );
    }
    // A path on this site is kept, query and all.
    let v = app.visitor();
    let form = v.get("/login?next=%2Fareas%3Fq%3DH%C3%A0ng").await;
    assert_eq!(hidden_next(&form), "/areas?q=H%C3%A0ng");
}
both!(next_targets_never_leave_the_site);

async fn control_characters_are_refused_at_the_edge_naming_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("officer1", "officer", "").await;
    let refused = |page: &Page, field: &str| {
        assert_eq!(page.status, 422, "{field}: {}", page.body);
        assert!(
            page.body
                .contains(&format!("Trường “{field}” chứa ký tự điều khiển")),
            "{field}: {}",
            page.body
        );
    };

    // An url-encoded form: nothing is stored.
    let mut form = campaign_form("Chiến dịch a\0b", &hanoi_day(0), &hanoi_day(30));
    refused(&officer.post_pairs("/campaigns/new", &form).await, "title");
    form[0].1 = "Chiến dịch thật".into();
    let cid = crate::helpers::id_from_location(
        &officer.post_pairs("/campaigns/new", &form).await,
        "/campaigns/",
    );
    assert_eq!(cid, 1, "the refused campaign was not stored");
    // Query strings, before any filter reaches the database.
    refused(&officer.get("/areas?q=a%00b").await, "q");
    refused(&officer.get("/campaigns?unit=%00&status=x").await, "unit");
    // A multipart text field.
    let upload = Form::new()
        .part("file", Part::bytes(vec![1, 2, 3]).file_name("a.png"))
        .text("alt_text", "mô tả\u{0}");
    refused(&officer.post_multipart("/media", upload).await, "alt_text");
    // A JSON body (with the token in the header, as scripts send it).
    let token = officer.csrf().await;
    let json = officer
        .http
        .post(format!("{}/campaigns/{cid}/edit", officer.base))
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({"title": "a\u{0}b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 422);
    assert!(json.text().await.unwrap().contains("Trường “title”"));
    // A CSV import names the row and the column.
    let csv = "title,body,channels\n\"Bài 1\",\"Nội dung\u{0}\",facebook\n";
    let import = Form::new().part(
        "file",
        Part::bytes(csv.as_bytes().to_vec()).file_name("bai.csv"),
    );
    let page = officer
        .post_multipart(&format!("/campaigns/{cid}/import"), import)
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("chứa ký tự điều khiển"), "{}", page.body);

    // Before login a NUL is just a wrong login, refused before any lookup (PostgreSQL could
    // not even run it), like an over-long username.
    let v = app.visitor();
    let token = v.csrf().await;
    let login = v
        .post_raw(
            "/login",
            &[
                ("csrf", &token),
                ("username", "offi\0cer1"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(login.status, 422, "{}", login.body);
    assert!(
        login
            .body
            .contains("Tên đăng nhập hoặc mật khẩu không đúng.")
    );
}
both!(control_characters_are_refused_at_the_edge_naming_the_field);

fn assert_secured(page: &Page, what: &str) {
    let h = |name: &str| {
        page.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(h("x-frame-options"), "DENY", "{what}");
    let csp = h("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("script-src 'self'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(h("referrer-policy"), "same-origin", "{what}");
}

async fn every_answer_carries_the_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anonymous = app.visitor();
    let login = anonymous.get("/login").await;
    assert_secured(&login, "/login");
    assert_secured(&anonymous.get("/khong-co").await, "404");
    assert_secured(&anonymous.get("/healthz").await, "/healthz");
    let admin = app.admin().await;
    for path in ["/", "/campaigns", "/reports", "/admin/users", "/media"] {
        let page = admin.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_secured(&page, path);
        assert_eq!(
            page.headers.get("cache-control").unwrap(),
            "no-store",
            "{path}: a signed-in page stays out of every cache"
        );
    }
    // A versioned asset keeps its own long caching.
    let at = login.body.find("stylesheet\" href=\"").unwrap() + 18;
    let css = login.body[at..].split('"').next().unwrap();
    let asset = anonymous.get(css).await;
    assert_eq!(asset.status, 200, "{css}");
    assert_secured(&asset, css);
    let cache = asset
        .headers
        .get("cache-control")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cache.contains("max-age"), "{cache}");
}
both!(every_answer_carries_the_security_headers);

/// The policy runs no inline script, handler or style; a template that had one would break
/// silently in the browser, so every template is read here.
#[test]
fn no_template_holds_inline_script_or_style() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut found = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let lower = text.to_lowercase();
            for (at, _) in lower.match_indices("<script") {
                let tag = &lower[at..at + lower[at..].find('>').unwrap_or(0)];
                if !tag.contains(" src=") {
                    found.push(format!("{}: inline <script>", path.display()));
                }
            }
            if lower.contains("<style") || lower.contains(" style=") {
                found.push(format!("{}: inline style", path.display()));
            }
            if lower.contains("javascript:") {
                found.push(format!("{}: javascript: URL", path.display()));
            }
            // An event handler attribute: ` onclick="`, ` onchange=` …
            for (at, _) in lower.match_indices(" on") {
                let name: String = lower[at + 3..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase())
                    .collect();
                if !name.is_empty() && lower[at + 3 + name.len()..].starts_with('=') {
                    found.push(format!("{}: on{name}= handler", path.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

async fn a_wrong_method_gets_a_vietnamese_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("officer1", "officer", "").await;
    let page = officer.get("/logout").await;
    assert_eq!(page.status, 405, "{}", page.body);
    assert!(
        page.body
            .contains("Địa chỉ này chỉ nhận dữ liệu gửi từ một biểu mẫu"),
        "{}",
        page.body
    );
    assert_secured(&page, "405");
}
both!(a_wrong_method_gets_a_vietnamese_page);

async fn csrf_tokens_in_a_header_or_an_upload_address_are_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.logged_in("badinh", "district", "001").await;
    let other = app.logged_in("hoankiem", "district", "002").await;
    let (mine, theirs) = (staff.csrf().await, other.csrf().await);
    let url = format!("{}/units/001/fields", staff.base);
    // Scripts send the token in `X-CSRF-Token`; it is checked like the form field, and wins
    // over a right one in the body.
    for (header, field, expected) in [
        (mine.as_str(), "", 303),
        ("gia-mao", "", 403),
        (theirs.as_str(), "", 403),
        ("gia-mao", mine.as_str(), 403),
    ] {
        let resp = staff
            .http
            .post(&url)
            .header("x-csrf-token", header)
            .form(&[("csrf", field)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), expected, "header {header:?}");
    }
    // Uploads carry it in the form's address, which is checked before the body is read.
    let form = || Form::new().part("file", Part::bytes(vec![0; 16]).file_name("a.png"));
    let upload = |query: String, form: Form| {
        let staff = &staff;
        async move {
            staff
                .http
                .post(format!("{}/media{query}", staff.base))
                .multipart(form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(upload(String::new(), form()).await, 403, "no token");
    assert_eq!(upload("?csrf=gia-mao".into(), form()).await, 403);
    assert_eq!(upload(format!("?csrf={theirs}"), form()).await, 403);
    let in_body = form().text("csrf", mine.clone());
    assert_eq!(
        upload(String::new(), in_body).await,
        403,
        "only in the body"
    );
    // The right token lets the upload through to its own checks (a 16-byte file is no image).
    assert_eq!(upload(format!("?csrf={mine}"), form()).await, 422);
}
both!(csrf_tokens_in_a_header_or_an_upload_address_are_checked);
