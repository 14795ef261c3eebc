//! Home pages that say what to do next, per role, and the officers' notifications of the
//! units' work: a post to review, a proposal, a kit version for review, a paused account.
//! Officers hear about every unit; a unit's staff never about another unit's work.

use loa::store::{BackfillDelivery, BackfillSnapshot};

use crate::both;
use crate::helpers::{Backend, TestApp, Visitor, html, id_from_location};
use crate::kits::{approved_city_post, make_kit, unit_id};
use crate::publishing::connect;

/// Creates a post of the visitor's unit in `cid` and submits it; returns its id.
async fn submitted_post(app: &TestApp, v: &Visitor, cid: i64, title: &str) -> i64 {
    let form = crate::posts::post_form(title, &[]);
    let page = v
        .post_pairs(&format!("/campaigns/{cid}/posts/new"), &form)
        .await;
    let id = id_from_location(&page, "/posts/");
    let version = app.state.store.post(id).await.unwrap().version.to_string();
    let page = v
        .post(
            &format!("/posts/{id}/transition"),
            &[("action", "submit"), ("version", &version)],
        )
        .await;
    assert!(page.redirects_to("/posts/"), "{}", page.body);
    id
}

/// The text of a home section (`id`), up to the end of its element.
fn section<'a>(body: &'a str, id: &str) -> &'a str {
    let start = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let rest = &body[start..];
    let end = rest.find("</section>").unwrap_or(rest.len());
    &rest[..end]
}

async fn officers_home_lists_their_queues_and_they_are_told_of_units_work(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    let hoan_kiem = app.logged_in("hoankiem", "district", "002").await;

    // Nothing yet: every list says so, and the static counters are gone.
    let home = officer.get("/").await.body;
    assert!(section(&home, "task-review").contains("Không có bài nào chờ duyệt"));
    assert!(section(&home, "task-accounts").contains("Mọi tài khoản đang hoạt động"));
    assert!(
        !home.contains("chỉ số nội dung PAPI"),
        "the static tile is gone"
    );

    let (cid, city_post) = approved_city_post(&officer, &app).await;
    let post = submitted_post(&app, &ba_dinh, cid, "Phường Trúc Bạch họp dân").await;
    let proposal = ba_dinh
        .post(
            "/proposals/new",
            &[
                ("title", "Đối thoại ngân sách phường"),
                ("body", "Buổi đối thoại sáng Chủ nhật."),
                ("link", ""),
            ],
        )
        .await;
    assert!(proposal.redirects_to("/proposals"), "{}", proposal.body);
    // A city account is paused twice (two deliveries refused): officers are told once.
    let fb = loa::sandbox::facebook::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let account = connect(&app, &fb, None).await;
    for _ in 0..2 {
        app.state
            .store
            .set_account_status(
                account,
                loa::states::AccountStatus::NeedsReauth,
                "Facebook feed: HTTP 401 token expired",
            )
            .await
            .unwrap();
    }
    // A kit whose deadline passed with nobody sharing.
    let kit = make_kit(&officer, &app, city_post, &["001", "002"]).await;
    app.state
        .store
        .set_kit_deadline(kit, loa::clock::now_ms() - 60_000)
        .await
        .unwrap();

    let notes = officer.get("/notifications").await.body;
    assert!(
        notes.contains("Quận Ba Đình gửi bài “Phường Trúc Bạch họp dân” chờ duyệt."),
        "{notes}"
    );
    assert!(notes.contains(&format!("href=\"{}\"", html(&format!("/posts/{post}")))));
    assert!(notes.contains("Quận Ba Đình đề xuất bài “Đối thoại ngân sách phường”"));
    assert_eq!(
        notes.matches("đã tạm dừng đăng bài").count(),
        1,
        "a paused account is announced once"
    );
    assert!(notes.contains(&format!(
        "href=\"{}\"",
        html(&format!("/accounts/{account}"))
    )));
    for staff in [&ba_dinh, &hoan_kiem] {
        let theirs = staff.get("/notifications").await.body;
        assert!(
            !theirs.contains("chờ duyệt") && !theirs.contains("tạm dừng đăng bài"),
            "officers' notices stay with officers"
        );
    }

    let home = officer.get("/").await.body;
    let review = section(&home, "task-review");
    assert!(review.contains(&format!("href=\"/posts/{post}\"")) && review.contains("Quận Ba Đình"));
    assert!(section(&home, "task-proposals").contains("Đối thoại ngân sách phường"));
    assert!(
        section(&home, "task-accounts").contains(&format!("/accounts/{account}#reconnect")),
        "a paused account links to its reconnect form"
    );
    let late = section(&home, "task-kits");
    assert!(late.contains(&format!("/kits/{kit}")) && late.contains("2 đơn vị quá hạn"));
    assert!(section(&home, "task-failed").contains("href=\"/publishing?state=failed#list\""));
}
both!(officers_home_lists_their_queues_and_they_are_told_of_units_work);

async fn district_home_offers_share_now_and_its_own_posts_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    let hoan_kiem = app.logged_in("hoankiem", "district", "002").await;

    let home = ba_dinh.get("/").await.body;
    assert!(
        section(&home, "kits").contains("/proposals/new"),
        "the empty state says what to do"
    );

    let (cid, city_post) = approved_city_post(&officer, &app).await;
    let kit = make_kit(&officer, &app, city_post, &["001", "002"]).await;
    let draft_form = crate::posts::post_form("Nháp của Ba Đình", &[]);
    let draft = id_from_location(
        &ba_dinh
            .post_pairs(&format!("/campaigns/{cid}/posts/new"), &draft_form)
            .await,
        "/posts/",
    );
    let sent_back = submitted_post(&app, &ba_dinh, cid, "Bài cần sửa của Ba Đình").await;
    let version = app
        .state
        .store
        .post(sent_back)
        .await
        .unwrap()
        .version
        .to_string();
    let page = officer
        .post(
            &format!("/posts/{sent_back}/transition"),
            &[
                ("action", "request_changes"),
                ("version", &version),
                ("comment", "Thêm giờ họp"),
            ],
        )
        .await;
    assert!(page.redirects_to("/posts/"), "{}", page.body);

    let home = ba_dinh.get("/").await.body;
    let kits = section(&home, "kits");
    assert!(
        kits.contains(&format!(
            "class=\"button primary share-now\" href=\"/kits/{kit}/share\""
        )),
        "{kits}"
    );
    assert!(kits.contains("Chia sẻ ngay"));
    assert!(section(&home, "task-changes").contains(&format!("/posts/{sent_back}")));
    assert!(section(&home, "task-drafts").contains(&format!("/posts/{draft}")));
    let theirs = hoan_kiem.get("/").await.body;
    assert!(
        !theirs.contains("Nháp của Ba Đình") && !theirs.contains("Bài cần sửa của Ba Đình"),
        "another unit's posts never show"
    );
    assert!(section(&theirs, "kits").contains(&format!("/kits/{kit}/share")));
}
both!(district_home_offers_share_now_and_its_own_posts_only);

async fn manager_home_shows_the_months_figures_with_the_report_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let manager = app.logged_in("quanly", "manager", "").await;
    let (_, post) = approved_city_post(&officer, &app).await;

    let empty = manager.get("/").await.body;
    assert!(section(&empty, "headline").contains("chưa có số liệu"));

    let fb = loa::sandbox::facebook::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let account = connect(&app, &fb, None).await;
    let now = loa::clock::now_ms();
    let author = app.state.store.post(post).await.unwrap().author_id;
    let deliveries = app
        .state
        .store
        .backfill_published(
            post,
            now - 60_000,
            author,
            &[BackfillDelivery {
                account_id: account,
                remote_id: "1_1".into(),
                remote_url: "https://facebook.invalid/1_1".into(),
            }],
        )
        .await
        .unwrap();
    app.state
        .store
        .backfill_snapshots(&[BackfillSnapshot {
            delivery_id: deliveries[0],
            at: now - 30_000,
            views: 900,
            reach: 4321,
            reactions: 12,
            comments: 3,
            shares: 1,
            clicks: 0,
        }])
        .await
        .unwrap();
    let home = manager.get("/").await.body;
    let headline = section(&home, "headline");
    assert!(headline.contains("href=\"/reports?period=month\""));
    assert!(
        headline.contains("id=\"hl-posts\"><span class=\"tile-number\">1</span>"),
        "{headline}"
    );
    assert!(
        headline.contains("<span class=\"tile-number\">4321</span>"),
        "{headline}"
    );
    let _ = unit_id;
}
both!(manager_home_shows_the_months_figures_with_the_report_link);
