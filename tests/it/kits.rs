//! District share kits over HTTP, as officers and district staff meet them: a kit to five
//! districts with a deadline; two adapt and publish through the simulators, one declines with a
//! reason, two stay silent; the cascade view shows exactly that with links; after the deadline
//! the worker reminds the silent two once (in-app and through an SMTP sink); withdrawing a kit
//! cancels a scheduled local version; no unit reaches another's version; an unfilled template
//! field blocks sharing.

use loa::sandbox::{self, smtp::SmtpSink};
use loa::worker::Worker;

use crate::both;
use crate::helpers::{Backend, TestApp, Visitor, campaign_form, hanoi_day, id_from_location};
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

/// Undoes Tera's HTML escaping, as a browser does before a form is sent back.
fn unescape(s: &str) -> String {
    s.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The title input's value on a share page.
fn title_value(body: &str) -> String {
    let marker = "id=\"f-title\" name=\"title\" value=\"";
    let at = body.find(marker).expect("title input") + marker.len();
    unescape(body[at..].split('"').next().unwrap())
}

fn field_value(body: &str, name: &str) -> String {
    let textarea = format!("name=\"{name}\"");
    let at = body
        .find(&textarea)
        .unwrap_or_else(|| panic!("no {name} in page"));
    let rest = &body[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find("</textarea>").unwrap();
    unescape(&rest[start..end])
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

fn state_of(cascade: &str, unit: &str) -> String {
    let marker = format!("data-unit=\"{unit}\" data-state=\"");
    let at = cascade
        .find(&marker)
        .unwrap_or_else(|| panic!("no row for {unit}"))
        + marker.len();
    cascade[at..].split('"').next().unwrap().to_string()
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
    connect(&app, &fb1, Some(unit_id(&app, "001").await)).await;
    connect(&app, &fb2, Some(unit_id(&app, "002").await)).await;
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
        blocked.body.contains("Trường mẫu {hotline} chưa được điền"),
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
    assert!(
        edited
            .body
            .contains("hãy chia sẻ như bài của đơn vị để được duyệt")
    );
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
            app.state.store.post(local).await.unwrap().status,
            "published"
        );
    }

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

    // Share rates for the district report.
    let now = loa::clock::now_ms();
    let rates = app
        .state
        .store
        .share_rates(now - 86_400_000, now + 86_400_000)
        .await
        .unwrap();
    let summary: Vec<(String, i64, i64, i64)> = rates
        .iter()
        .map(|r| {
            (
                r.unit_code.clone(),
                r.kits_targeted,
                r.shared,
                r.shared_on_time,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("001".to_string(), 1, 1, 1),
            ("002".to_string(), 1, 1, 1),
            ("003".to_string(), 1, 0, 0),
            ("004".to_string(), 1, 0, 0),
            ("005".to_string(), 1, 0, 0),
        ]
    );

    // Past the deadline the worker reminds the two silent units, once, across restarts.
    app.state
        .store
        .set_kit_deadline(kit, now - 60_000)
        .await
        .unwrap();
    let mailer = loa::mail::Mailer::from_config(&app.state.config);
    let mut worker = Worker::new(mailer.clone(), None);
    assert_eq!(
        worker
            .run_once(&app.state.store, 15, now)
            .await
            .unwrap()
            .kit_reminders,
        2
    );
    assert_eq!(
        worker
            .run_once(&app.state.store, 15, now + 60_000)
            .await
            .unwrap()
            .kit_reminders,
        0
    );
    let mut restarted = Worker::new(mailer, None);
    assert_eq!(
        restarted
            .run_once(&app.state.store, 15, now + 120_000)
            .await
            .unwrap()
            .kit_reminders,
        0
    );
    let mut to: Vec<String> = sink.messages().iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["vanphong004@hanoi.gov.vn", "vanphong005@hanoi.gov.vn"]);
    assert!(sink.messages()[0].subject.contains("Bộ chia sẻ quá hạn"));
    assert!(
        sink.messages()
            .iter()
            .any(|m| m.body.contains("Ngân sách Quận Long Biên công khai")),
        "{:?}",
        sink.messages()
    );
    let notes = staff[3].get("/notifications").await;
    assert!(notes.body.contains("Nhắc việc"), "{}", notes.body);
    assert!(
        !staff[0]
            .get("/notifications")
            .await
            .body
            .contains("Nhắc việc"),
        "only the late are reminded"
    );
    let after = officer.get(&format!("/kits/{kit}")).await;
    let states: Vec<String> = UNITS.iter().map(|u| state_of(&after.body, u)).collect();
    assert_eq!(
        states,
        ["published", "published", "declined", "overdue", "overdue"]
    );
    // An officer may remind again on demand.
    assert!(
        officer
            .post(&format!("/kits/{kit}/remind"), &[])
            .await
            .redirects_to("/kits/")
    );
    assert_eq!(sink.messages().len(), 4);

    // A second kit: Ba Đình schedules its version for later; withdrawing cancels it and tells.
    let kit2 = make_kit(&officer, &app, pid, &["001", "002"]).await;
    assert_eq!(
        staff[2].get(&format!("/kits/{kit2}/share")).await.status,
        404,
        "not a target"
    );
    let page = staff[0].get(&format!("/kits/{kit2}/share")).await;
    let body = field_value(&page.body, "body");
    let account = page
        .body
        .split("name=\"account\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let title = title_value(&page.body);
    let later = loa::posts::hanoi_input_value(loa::clock::now_ms() + 3_600_000);
    let scheduled = staff[0]
        .post(
            &format!("/kits/{kit2}/share"),
            &[
                ("title", &title),
                ("body", &body),
                ("mode", "at"),
                ("scheduled_at", &later),
                ("account", &account),
            ],
        )
        .await;
    assert!(
        scheduled.redirects_to("/posts/"),
        "{} {}",
        scheduled.status,
        scheduled.body
    );
    let local3 = id_from_location(&scheduled, "/posts/");
    assert_eq!(
        app.state.store.post(local3).await.unwrap().status,
        "scheduled"
    );
    assert!(
        officer
            .post(&format!("/kits/{kit2}/withdraw"), &[])
            .await
            .redirects_to("/kits/")
    );
    assert_eq!(
        app.state.store.post(local3).await.unwrap().status,
        "cancelled"
    );
    let history = staff[0].get(&format!("/posts/{local3}")).await;
    assert!(
        history.body.contains("bộ chia sẻ đã bị thu hồi"),
        "{}",
        history.body
    );
    p.step(loa::clock::now_ms() + 2 * 3_600_000).await.unwrap();
    let deliveries = app.state.store.deliveries_of_post(local3).await.unwrap();
    assert!(
        !deliveries.is_empty() && deliveries.iter().all(|d| d.state == "cancelled"),
        "{deliveries:?}"
    );
    assert!(
        staff[0]
            .get("/notifications")
            .await
            .body
            .contains("thu hồi")
    );
    let withdrawn = staff[0]
        .post_pairs(&format!("/kits/{kit2}/share"), &[])
        .await;
    assert_eq!(withdrawn.status, 422, "a withdrawn kit cannot be shared");
}
both!(a_kit_cascades_to_five_districts_with_reminders_and_withdrawal);

async fn district_proposals_are_adopted_or_declined_with_credit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = officer.new_campaign("Tiếng nói từ phường").await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    let hoan_kiem = app.logged_in("hoankiem", "district", "002").await;
    let bad = ba_dinh
        .post(
            "/proposals/new",
            &[("title", ""), ("body", "Nội dung"), ("link", "")],
        )
        .await;
    assert_eq!(bad.status, 422);
    for (v, title) in [
        (&ba_dinh, "Phường Điện Biên đối thoại"),
        (&hoan_kiem, "Hàng Bạc dọn phố"),
    ] {
        let page = v
            .post(
                "/proposals/new",
                &[
                    ("title", title),
                    ("body", "Buổi đối thoại với dân sáng Chủ nhật."),
                    ("link", ""),
                ],
            )
            .await;
        assert!(page.redirects_to("/proposals"), "{}", page.body);
    }
    // Each unit sees only its own proposals; officers see the queue.
    let own = hoan_kiem.get("/proposals").await.body;
    assert!(own.contains("Hàng Bạc dọn phố") && !own.contains("Điện Biên"));
    let queue = officer.get("/proposals").await.body;
    assert!(queue.contains("Hàng Bạc dọn phố") && queue.contains("Điện Biên"));
    let ids: Vec<i64> = app
        .state
        .store
        .proposals(None)
        .await
        .unwrap()
        .iter()
        .map(|p| p.proposal_id)
        .collect();
    let ba_dinh_id = app
        .state
        .store
        .proposals(None)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.unit_code == "001")
        .unwrap()
        .proposal_id;
    let other = *ids.iter().find(|i| **i != ba_dinh_id).unwrap();
    assert_eq!(
        ba_dinh
            .post(
                &format!("/proposals/{ba_dinh_id}/adopt"),
                &[("campaign_id", &cid.to_string())]
            )
            .await
            .status,
        403
    );
    let adopted = officer
        .post(
            &format!("/proposals/{ba_dinh_id}/adopt"),
            &[("campaign_id", &cid.to_string())],
        )
        .await;
    assert!(adopted.redirects_to("/posts/"), "{}", adopted.body);
    let post = id_from_location(&adopted, "/posts/");
    let p = app.state.store.post(post).await.unwrap();
    assert_eq!(
        (p.unit_id, p.status.as_str()),
        (None, "draft"),
        "a city draft"
    );
    assert!(
        officer
            .get(&format!("/posts/{post}"))
            .await
            .body
            .contains("Đề xuất của Quận Ba Đình")
    );
    assert_eq!(
        officer
            .post(&format!("/proposals/{other}/decline"), &[("reason", "")])
            .await
            .status,
        400
    );
    assert!(
        officer
            .post(
                &format!("/proposals/{other}/decline"),
                &[("reason", "Trùng lịch")]
            )
            .await
            .redirects_to("/proposals")
    );
    assert!(
        hoan_kiem
            .get("/notifications")
            .await
            .body
            .contains("Trùng lịch")
    );
    assert!(
        ba_dinh
            .get("/notifications")
            .await
            .body
            .contains("Tiếng nói từ phường")
    );
}
both!(district_proposals_are_adopted_or_declined_with_credit);
