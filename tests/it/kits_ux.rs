//! Share kits and proposals as district staff meet them: fields they type are filled too (in
//! Vietnamese or English names), an unfilled field is named with the page to fill it, local
//! fields say the format they expect, "for review" says so (and tells the officers), the share
//! page shows what goes out, the cascade counts x/y, an untouched kit form creates nothing,
//! and an invalid proposal shows its errors.

use crate::both;
use crate::helpers::{Backend, TestApp, html, id_from_location};
use crate::kits::{approved_city_post, make_kit, unit_id};
use crate::kits_pages::{field_value, title_value};
use crate::publishing::connect;

async fn staff_fields_are_filled_and_review_is_said_and_told(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    let hoan_kiem = app.logged_in("hoankiem", "district", "002").await;
    let (_, pid) = approved_city_post(&officer, &app).await;
    let fb = loa::sandbox::facebook::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let page_account = connect(&app, &fb, Some(unit_id(&app, "001").await)).await;

    // The kit form opens without a deadline: sent as it opened, it creates nothing.
    let form = officer.get(&format!("/posts/{pid}/kit")).await.body;
    assert!(
        form.contains("id=\"f-deadline\" name=\"deadline\" type=\"datetime-local\" value=\"\"")
    );
    assert!(
        form.contains("{duong_day_nong}") && form.contains("{hotline}"),
        "aliases explained"
    );
    let mut untouched: Vec<(String, String)> = vec![
        ("deadline".into(), String::new()),
        ("allow_title".into(), "1".into()),
        ("allow_body".into(), "1".into()),
    ];
    for u in ["001", "002"] {
        untouched.push(("target".into(), unit_id(&app, u).await.to_string()));
    }
    let refused = officer
        .post_pairs(&format!("/posts/{pid}/kit"), &untouched)
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("Hãy chọn hạn chót"),
        "{}",
        refused.body
    );
    assert!(
        app.state.store.list_kits().await.unwrap().is_empty(),
        "nothing stored"
    );

    let kit = make_kit(&officer, &app, pid, &["001", "002"]).await;
    let cascade = officer.get(&format!("/kits/{kit}")).await.body;
    assert!(
        cascade.contains("<strong>0/2</strong> đơn vị đã chia sẻ"),
        "{cascade}"
    );

    // The share page: what goes out besides the text, the modes apart, display names.
    let share = ba_dinh.get(&format!("/kits/{kit}/share")).await.body;
    assert!(
        share.contains("<h1>Ngân sách Quận Ba Đình công khai <span"),
        "the title is filled for the unit"
    );
    assert!(
        ba_dinh
            .get("/notifications")
            .await
            .body
            .contains("“Ngân sách Quận Ba Đình công khai”")
    );
    assert!(share.contains("class=\"kit-master-link\">https:&#x2F;&#x2F;hanoi.gov.vn&#x2F;papi"));
    let direct = &share
        [share.find("id=\"mode-direct\"").unwrap()..share.find("id=\"mode-review\"").unwrap()];
    assert!(
        !direct.contains("value=\"review\""),
        "review is not a 'when'"
    );
    assert!(share.contains("(Trang Facebook)") && !share.contains("(facebook)"));
    assert!(!share.contains("Bản không sửa được đăng trực tiếp"));
    assert!(
        share.contains("href=\"/units/001/fields\" class=\"fill-link\""),
        "{share}"
    );

    // Local fields say the format they expect.
    let bad = ba_dinh
        .post(
            "/units/001/fields",
            &[
                ("hotline", "abc-xyz"),
                ("address", ""),
                ("email", "vp.badinh"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("3–15 chữ số") && bad.body.contains("024 3823 4567"));
    assert!(bad.body.contains("ten@donvi.hanoi.gov.vn"));
    let saved = ba_dinh
        .post(
            "/units/001/fields",
            &[("hotline", "024 3823 4567"), ("address", ""), ("email", "")],
        )
        .await;
    assert!(saved.redirects_to("/units/001/fields"));

    // Fields typed in the unit's own words are filled; an unknown one is named with its page.
    let share = ba_dinh.get(&format!("/kits/{kit}/share")).await.body;
    let (title, body) = (title_value(&share), field_value(&share, "body"));
    let account = page_account.to_string();
    let send = |body: String, mode: &'static str| {
        let form: Vec<(String, String)> = vec![
            ("title".into(), title.clone()),
            ("body".into(), body),
            ("mode".into(), mode.into()),
            ("account".into(), account.clone()),
        ];
        let v = &ba_dinh;
        async move { v.post_pairs(&format!("/kits/{kit}/share"), &form).await }
    };
    let unfilled = send(format!("{body} Địa chỉ: {{dia_chi}}."), "review").await;
    assert_eq!(unfilled.status, 422);
    assert!(
        unfilled
            .body
            .contains("Trường mẫu {dia_chi} chưa có giá trị"),
        "{}",
        unfilled.body
    );
    assert!(unfilled.body.contains("id=\"fill-link\""));
    let shared = send(
        format!("{body} Gọi {{duong_day_nong}} hoặc {{hotline}}."),
        "review",
    )
    .await;
    assert!(
        shared.redirects_to("/posts/")
            && shared
                .location
                .as_deref()
                .unwrap()
                .ends_with("notice=kit_shared_review"),
        "{} {}",
        shared.status,
        shared.body
    );
    let local = id_from_location(&shared, "/posts/");
    let post = app.state.store.post(local).await.unwrap();
    assert_eq!(post.status.as_str(), "submitted");
    assert!(
        post.body.ends_with("Gọi 024 3823 4567 hoặc 024 3823 4567."),
        "{}",
        post.body
    );
    let page = ba_dinh
        .get(&format!("/posts/{local}?notice=kit_shared_review"))
        .await
        .body;
    assert!(page.contains("để thành phố duyệt") && !page.contains("đang được đăng"));
    assert!(
        !page.contains(&format!("kit:{kit}")),
        "no machine note in the history"
    );

    // Officers are told where to review it; another unit is not.
    let notes = officer.get("/notifications").await.body;
    assert!(
        notes.contains("Quận Ba Đình chia sẻ bản điều chỉnh của “"),
        "{notes}"
    );
    assert!(notes.contains(&format!("href=\"{}\"", html(&format!("/posts/{local}")))));
    assert!(
        !hoan_kiem
            .get("/notifications")
            .await
            .body
            .contains("bản điều chỉnh")
    );
    let cascade = officer.get(&format!("/kits/{kit}")).await.body;
    assert!(cascade.contains("class=\"badge kit-adapted\""));
}
both!(staff_fields_are_filled_and_review_is_said_and_told);

async fn an_invalid_proposal_shows_its_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    let form = ba_dinh.get("/proposals/new").await.body;
    let body_label =
        &form[form.find("for=\"f-body\"").unwrap()..form.find("id=\"f-body\"").unwrap()];
    assert!(
        body_label.contains("class=\"req\""),
        "the body is marked required"
    );
    let page = ba_dinh
        .post(
            "/proposals/new",
            &[
                ("title", "Đối thoại"),
                ("body", ""),
                ("link", "hanoi.gov.vn"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("id=\"e-body\">Trường này là bắt buộc."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("id=\"e-link\">Liên kết “hanoi.gov.vn” không hợp lệ")
    );
    assert!(page.body.contains("id=\"error-summary\""));
    assert!(app.state.store.proposals(None).await.unwrap().is_empty());
}
both!(an_invalid_proposal_shows_its_errors);
