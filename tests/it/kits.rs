//! District share kits over HTTP, as officers and district staff meet them: a kit to five
//! districts with a deadline; two adapt and publish through the simulators, one declines with a
//! reason, two stay silent; the cascade view shows exactly that with links; after the deadline
//! the worker reminds the silent two once (in-app and through an SMTP sink); withdrawing a kit
//! cancels a scheduled local version; no unit reaches another's version; an unfilled template
//! field blocks sharing.

use loa::sandbox::{self, smtp::SmtpSink};

use crate::both;
use crate::helpers::{Backend, TestApp, Visitor, campaign_form, hanoi_day, id_from_location};
use crate::kits_pages::{field_value, state_of, title_value};
use crate::publishing::{connect, publisher};

pub const UNITS: [&str; 5] = ["001", "002", "003", "004", "005"];

/// A campaign targeting the five districts and an approved city post with template fields.
pub async fn approved_city_post(officer: &Visitor, app: &TestApp) -> (i64, i64) {
    let mut form = campaign_form("Chia sẻ cùng quận", &hanoi_day(-1), &hanoi_day(30));
    form.push(("target".into(), "004".into()));
    form.push(("target".into(), "005".into()));
    let cid = id_from_location(
        &officer.post_pairs("/campaigns/new", &form).await,
        "/campaigns/",
    );
    let mut post = crate::posts::post_form("Ngân sách {district} công khai", &[]);
    post.retain(|(k, _)| k != "body" && k != "channel");
    post.push((
        "body".into(),
        "Bà con {district} hỏi về ngân sách xin gọi {hotline}. Xem tại https://hanoi.gov.vn/papi"
            .into(),
    ));
    post.push(("channel".into(), "facebook".into()));
    let pid = id_from_location(
        &officer
            .post_pairs(&format!("/campaigns/{cid}/posts/new"), &post)
            .await,
        "/posts/",
    );
    for action in ["submit", "approve"] {
        let v = app.state.store.post(pid).await.unwrap().version.to_string();
        let page = officer
            .post(
                &format!("/posts/{pid}/transition"),
                &[("action", action), ("version", &v)],
            )
            .await;
        assert!(page.redirects_to("/posts/"), "{action}: {}", page.body);
    }
    (cid, pid)
}

pub async fn unit_id(app: &TestApp, code: &str) -> i64 {
    let snapshot = app.state.store.active_snapshot().await.unwrap();
    app.state
        .store
        .area_by_code(&snapshot, code)
        .await
        .unwrap()
        .area_id
}

/// Creates a kit through the form for the given target units; returns its id.
pub async fn make_kit(officer: &Visitor, app: &TestApp, pid: i64, units: &[&str]) -> i64 {
    let deadline = loa::posts::hanoi_input_value(loa::clock::now_ms() + 2 * 3_600_000);
    let mut form: Vec<(String, String)> = vec![
        ("deadline".into(), deadline),
        ("hints".into(), "Thêm tên phường nếu cần".into()),
        ("allow_title".into(), "1".into()),
        ("allow_body".into(), "1".into()),
        ("max_length".into(), "400".into()),
    ];
    for u in units {
        form.push(("target".into(), unit_id(app, u).await.to_string()));
    }
    let page = officer
        .post_pairs(&format!("/posts/{pid}/kit"), &form)
        .await;
    assert!(page.redirects_to("/kits/"), "{} {}", page.status, page.body);
    id_from_location(&page, "/kits/")
}

async fn share_pairs(
    v: &Visitor,
    kit: i64,
    edit: impl Fn(String) -> String,
    mode: &str,
) -> crate::helpers::Page {
    let page = v.get(&format!("/kits/{kit}/share")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = field_value(&page.body, "body");
    let title = title_value(&page.body);
    let mut form: Vec<(String, String)> = vec![
        ("title".into(), title),
        ("body".into(), edit(body)),
        ("mode".into(), mode.into()),
    ];
    for part in page.body.split("name=\"account\" value=\"").skip(1) {
        form.push(("account".into(), part.split('"').next().unwrap().into()));
    }
    v.post_pairs(&format!("/kits/{kit}/share"), &form).await
}

async fn a_kit_cascades_to_five_districts_with_reminders_and_withdrawal(backend: Backend) {
    let sink = SmtpSink::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let port = sink.addr.port();
    let app = TestApp::spawn_with(backend, |c| {
        c.smtp_host = Some("127.0.0.1".into());
        c.smtp_port = port;
    })
    .await;
    let officer = app.logged_in("lan", "officer", "").await;
    let manager = app.logged_in("quanly", "manager", "").await;
    let (_, pid) = approved_city_post(&officer, &app).await;
    let mut staff = Vec::new();
    for (i, code) in UNITS.iter().enumerate() {
        staff.push(app.logged_in(&format!("quan{i}"), "district", code).await);
    }
    // Two districts have their own sandbox Facebook pages.
    let any = "127.0.0.1:0".parse().unwrap();
    let fb1 = sandbox::facebook::spawn(any).await.unwrap();
    let fb2 = sandbox::facebook::spawn(any).await.unwrap();
    let fb1_account = connect(&app, &fb1, Some(unit_id(&app, "001").await)).await;
    let fb2_account = connect(&app, &fb2, Some(unit_id(&app, "002").await)).await;
    // Local fields: staff keep their own; bad input names the field and stores nothing.
    let bad = staff[0]
        .post(
            "/units/001/fields",
            &[
                ("hotline", "gọi đi"),
                ("address", "1 Đội Cấn"),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("gọi đi"), "the bad value is named");
    assert!(
        app.state
            .store
            .unit_fields(unit_id(&app, "001").await)
            .await
            .unwrap()
            .is_empty()
    );
    for (i, code) in ["001", "002"].iter().enumerate() {
        let page = staff[i]
            .post(
                &format!("/units/{code}/fields"),
                &[("hotline", "024 3823 0000"), ("address", ""), ("email", "")],
            )
            .await;
        assert!(page.redirects_to("/units/"), "{}", page.body);
    }
    for code in ["004", "005"] {
        let mail = format!("vanphong{code}@hanoi.gov.vn");
        let page = officer
            .post(
                &format!("/units/{code}/fields"),
                &[("hotline", ""), ("address", ""), ("email", &mail)],
            )
            .await;
        assert!(page.redirects_to("/units/"), "{}", page.body);
    }
    // Another unit's fields are invisible and unchangeable.
    assert_eq!(staff[1].get("/units/001/fields").await.status, 404);
    assert_eq!(
        staff[1]
            .post("/units/001/fields", &[("hotline", "113")])
            .await
            .status,
        404
    );
    // Officers trust Hoàn Kiếm (002) to publish adapted kits without review.
    let trusted = unit_id(&app, "002").await.to_string();
    assert!(
        officer
            .post("/kits/trusted", &[("unit", &trusted)])
            .await
            .redirects_to("/kits")
    );

    let kit = make_kit(&officer, &app, pid, &UNITS).await;
    // Staff see the kit on their home page, filled for their unit, their accounts pre-selected.
    let home = staff[0].get("/").await;
    assert!(
        home.body.contains(&format!("/kits/{kit}/share")),
        "home lists the kit"
    );
    assert!(
        home.body.contains("class=\"badge\""),
        "an unread notification is counted"
    );
    let page = staff[0].get(&format!("/kits/{kit}/share")).await;
    assert!(
        page.body
            .contains("Bà con Quận Ba Đình hỏi về ngân sách xin gọi 024 3823 0000")
    );
    assert!(
        page.body.contains("name=\"account\"") && page.body.contains(" checked> Sandbox facebook")
    );

    // Ba Đình shares the master unchanged, now.
    let shared = share_pairs(&staff[0], kit, |b| b, "now").await;
    assert!(
        shared.redirects_to("/posts/"),
        "{} {}",
        shared.status,
        shared.body
    );
    let local1 = id_from_location(&shared, "/posts/");
    // Hoàn Kiếm adapts the text; it is trusted, so it goes out without review.
    let shared = share_pairs(
        &staff[1],
        kit,
        |b| format!("{b} Phường Hàng Bạc tiếp dân sáng thứ Bảy."),
        "now",
    )
    .await;
    assert!(
        shared.redirects_to("/posts/"),
        "{} {}",
        shared.status,
        shared.body
    );
    let local2 = id_from_location(&shared, "/posts/");
    // Tây Hồ has no hotline: sharing is blocked with the field named; an untrusted edit shared
    // directly is refused too. Then it declines with a reason.
    let blocked = share_pairs(&staff[2], kit, |b| b, "now").await;
    assert_eq!(blocked.status, 422);
    assert!(
        blocked
            .body
            .contains("Trường mẫu {hotline} chưa có giá trị"),
        "{}",
        blocked.body
    );
    let edited = share_pairs(
        &staff[2],
        kit,
        |b| b.replace("{hotline}", "113 và sửa"),
        "now",
    )
    .await;
    assert_eq!(edited.status, 422);
    assert!(edited.body.contains("hãy chọn “Gửi thành phố duyệt”"));
    let empty = staff[2]
        .post(&format!("/kits/{kit}/decline"), &[("reason", " ")])
        .await;
    assert_eq!(empty.status, 422, "a reason is required");
    let declined = staff[2]
        .post(
            &format!("/kits/{kit}/decline"),
            &[("reason", "Đang tuyên truyền chủ đề khác")],
        )
        .await;
    assert!(declined.redirects_to("/"), "{}", declined.body);

    let own = staff[0].get(&format!("/posts/{local1}")).await;
    assert_eq!(own.status, 200, "{}", own.body);
    // Nobody reaches another unit's local version.
    assert_eq!(staff[1].get(&format!("/posts/{local1}")).await.status, 404);
    assert_eq!(
        staff[1].get(&format!("/posts/{local1}/edit")).await.status,
        404
    );
    let v = app
        .state
        .store
        .post(local1)
        .await
        .unwrap()
        .version
        .to_string();
    let cross = staff[1]
        .post(
            &format!("/posts/{local1}/transition"),
            &[("action", "cancel"), ("version", &v)],
        )
        .await;
    assert_eq!(cross.status, 404);
    assert_eq!(staff[0].get(&format!("/posts/{local2}")).await.status, 404);
    assert_eq!(
        staff[0].get(&format!("/kits/{kit}")).await.status,
        403,
        "the cascade is the city's"
    );

    // The dispatcher publishes both local versions through the districts' own pages.
    let p = publisher(&app, "worker");
    crate::publishing::drain(&p, &app, &[local1, local2]).await;
    for local in [local1, local2] {
        assert_eq!(
            app.state.store.post(local).await.unwrap().status.as_str(),
            "published"
        );
    }
    // Each version went to its own unit's Page and nowhere else.
    assert_eq!(
        (fb1.sim.stats().created, fb2.sim.stats().created),
        (1, 1),
        "one post on Ba Đình's Page, one on Hoàn Kiếm's"
    );
    let on_page = |d: &loa::store::Delivery| d.account_id;
    let d1 = app.state.store.deliveries_of_post(local1).await.unwrap();
    let d2 = app.state.store.deliveries_of_post(local2).await.unwrap();
    assert_eq!(
        (
            d1.iter().map(on_page).collect::<Vec<_>>(),
            d2.iter().map(on_page).collect::<Vec<_>>()
        ),
        (vec![fb1_account], vec![fb2_account]),
        "Ba Đình's version through Ba Đình's account, Hoàn Kiếm's through Hoàn Kiếm's"
    );
    // Its link left as a short link counted for Ba Đình; a reader's click shows in the cascade.
    let ba_dinh = unit_id(&app, "001").await;
    let links = app.state.store.post_link_clicks(local1).await.unwrap();
    assert!(
        !links.is_empty() && links.iter().all(|l| l.unit_id == Some(ba_dinh)),
        "{links:?}"
    );
    let click = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
        )
        .build()
        .unwrap()
        .get(format!("{}/{}", app.base, links[0].slug))
        .send()
        .await
        .unwrap();
    assert_eq!(click.status().as_u16(), 302);
    let engagement = app.state.store.kit_engagement(kit).await.unwrap();
    let clicks: Vec<(i64, i64)> = engagement.iter().map(|e| (e.post_id, e.clicks)).collect();
    assert!(
        clicks.contains(&(local1, 1)) && clicks.contains(&(local2, 0)),
        "{clicks:?}"
    );

    let cascade = officer.get(&format!("/kits/{kit}")).await;
    assert_eq!(cascade.status, 200);
    let states: Vec<String> = UNITS.iter().map(|u| state_of(&cascade.body, u)).collect();
    assert_eq!(
        states,
        [
            "published",
            "published",
            "declined",
            "not_opened",
            "not_opened"
        ]
    );
    assert!(cascade.body.contains("Đang tuyên truyền chủ đề khác"));
    assert!(cascade.body.contains("Lượt nhấp: 1"), "the click shows");
    assert_eq!(
        cascade.body.matches("class=\"published-link\"").count(),
        2,
        "a link per published page"
    );
    assert!(cascade.body.contains(&format!("href=\"/posts/{local1}\"")));
    let read_only = manager.get(&format!("/kits/{kit}")).await;
    assert_eq!(read_only.status, 200);
    assert!(
        !read_only.body.contains("/withdraw"),
        "managers get no buttons"
    );
    assert_eq!(
        manager
            .post(&format!("/kits/{kit}/withdraw"), &[])
            .await
            .status,
        403
    );

    crate::kits_reminders::rates_reminders_and_withdrawal(crate::kits_reminders::Scene {
        app: &app,
        officer: &officer,
        staff: &staff,
        sink: &sink,
        kit,
        pid,
        publisher: &p,
    })
    .await;
}
both!(a_kit_cascades_to_five_districts_with_reminders_and_withdrawal);
