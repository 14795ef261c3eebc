//! Who tried what (security review 2026-12, F6 and the lockout observation): failed logins,
//! lockouts, CSRF refusals and access denials reach the audit log; one address cannot lock an
//! account for everyone, and an office behind one address is slowed rather than locked out.
//! Also the clearer refusals: approving one's own post, far-off campaign dates (F12) and a
//! share link for a unit that does not exist (F13).

use crate::both;
use crate::helpers::{
    Backend, PASSWORD, Page, TestApp, Visitor, campaign_form, hanoi_day, id_from_location,
};
use crate::posts::{campaign, post_form};

/// A login sent from `ip` (the instance trusts `X-Forwarded-For` like one behind a proxy).
async fn login_from(v: &Visitor, ip: &str, username: &str, password: &str) -> Page {
    let token = v.csrf().await;
    let resp = v
        .http
        .post(format!("{}/login", v.base))
        .header("x-forwarded-for", ip)
        .form(&[
            ("csrf", token.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    Page {
        status,
        location: None,
        body: resp.text().await.unwrap(),
        headers,
    }
}

async fn actions(app: &TestApp) -> Vec<(String, String)> {
    let (entries, _) = app.state.store.recent_audit(500, 0).await.unwrap();
    entries.into_iter().map(|e| (e.action, e.subject)).collect()
}

async fn count(app: &TestApp, action: &str) -> usize {
    actions(app)
        .await
        .iter()
        .filter(|(a, _)| a == action)
        .count()
}

async fn one_address_cannot_lock_an_account_for_everyone(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.trust_proxy = true).await;
    let id = app.create_user("officer1", "officer", "").await;
    let attacker = app.visitor();
    for _ in 0..5 {
        let page = login_from(&attacker, "203.0.113.66", "officer1", "sai-mat-khau").await;
        assert_eq!(page.status, 401);
    }
    // The address that failed waits, even with the right password…
    let locked = login_from(&attacker, "203.0.113.66", "officer1", PASSWORD).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(locked.body.contains("Đăng nhập sai quá nhiều lần"));
    // …but the account's owner, elsewhere, is not stopped.
    let owner = app.visitor();
    assert_eq!(
        login_from(&owner, "198.51.100.7", "officer1", PASSWORD)
            .await
            .status,
        303
    );
    // Every failure and the lock are audited, naming the account and not the address.
    let log = actions(&app).await;
    let failed: Vec<_> = log.iter().filter(|(a, _)| a == "login.failed").collect();
    assert_eq!(failed.len(), 5, "{log:?}");
    assert!(
        failed
            .iter()
            .all(|(_, s)| s == &format!("user:{id} officer1"))
    );
    assert_eq!(count(&app, "login.locked").await, 1, "{log:?}");
    assert!(!format!("{log:?}").contains("203.0.113.66"));
    // An unknown username is audited by a hash only: people type passwords there.
    login_from(&owner, "198.51.100.7", "mat-khau-go-nham", "x").await;
    let log = actions(&app).await;
    assert!(
        log.iter()
            .any(|(a, s)| a == "login.failed" && s.starts_with("unknown-username:")),
        "{log:?}"
    );
    assert!(!format!("{log:?}").contains("mat-khau-go-nham"));
}
both!(one_address_cannot_lock_an_account_for_everyone);

async fn an_office_behind_one_address_is_slowed_not_locked_out(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.trust_proxy = true).await;
    app.create_user("officer1", "officer", "").await;
    let office = app.visitor();
    // 49 mistyped logins under many names from one office address (4 each, under the
    // per-account limit) …
    for i in 0..49 {
        let name = format!("nhanvien{}", i / 4);
        let page = login_from(&office, "192.0.2.10", &name, "sai").await;
        assert_eq!(page.status, 401, "attempt {i}: {}", page.body);
    }
    // … and a colleague still signs in; the previous rule locked the address for 15 minutes
    // after 20.
    let page = login_from(&office, "192.0.2.10", "officer1", PASSWORD).await;
    assert_eq!(page.status, 303, "{}", page.body);
    // The 50th failure starts a short wait, stated in seconds.
    login_from(&office, "192.0.2.10", "nhanvien99", "sai").await;
    let page = login_from(&office, "192.0.2.10", "officer1", PASSWORD).await;
    assert_eq!(page.status, 429, "{}", page.body);
    assert!(page.body.contains("giây"), "{}", page.body);
    let retry: i64 = page.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
}
both!(an_office_behind_one_address_is_slowed_not_locked_out);

async fn csrf_refusals_and_access_denials_are_audited_once_per_window(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.logged_in("badinh", "district", "001").await;
    for _ in 0..3 {
        assert_eq!(staff.get("/admin/users").await.status, 403);
        let forged = staff
            .post_raw("/units/001/fields", &[("csrf", "gia-mao")])
            .await;
        assert_eq!(forged.status, 403);
    }
    assert_eq!(count(&app, "access.denied").await, 1);
    assert_eq!(count(&app, "csrf.refused").await, 1);
    let log = actions(&app).await;
    assert!(
        log.contains(&("access.denied".into(), "GET /admin/users".into())),
        "{log:?}"
    );
    assert!(
        log.contains(&("csrf.refused".into(), "POST /units/001/fields".into())),
        "{log:?}"
    );
    // The admin reads them on the audit page.
    let page = app.admin().await.get("/admin/audit").await;
    assert!(page.body.contains("access.denied") || page.body.contains("GET /admin/users"));
}
both!(csrf_refusals_and_access_denials_are_audited_once_per_window);

async fn district_staff_approving_their_own_post_are_told_it_is_the_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = campaign(&app, &officer).await;
    let staff = app.logged_in("badinh", "district", "001").await;
    let page = staff
        .post_pairs(
            &format!("/campaigns/{cid}/posts/new"),
            &post_form("Bài của phường", &[]),
        )
        .await;
    let id = id_from_location(&page, "/posts/");
    let act = |action: &'static str| {
        let staff = &staff;
        let app = &app;
        async move {
            let version = app.state.store.post(id).await.unwrap().version.to_string();
            staff
                .post(
                    &format!("/posts/{id}/transition"),
                    &[("action", action), ("version", version.as_str())],
                )
                .await
        }
    };
    assert!(act("submit").await.redirects_to("/posts/"));
    let refused = act("approve").await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains(
            "Chỉ vai trò “Cán bộ truyền thông” hoặc “Quản trị viên” mới được “Duyệt” bài."
        ),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("khi bài đang ở trạng thái"));
}
both!(district_staff_approving_their_own_post_are_told_it_is_the_role);

async fn campaign_dates_stay_within_sane_years(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    for (starts, ends, message) in [
        (
            "0000-01-01",
            "9999-12-31",
            "Năm 0 nằm ngoài khoảng cho phép",
        ),
        (
            "-0001-01-01",
            "2026-12-31",
            "Năm -1 nằm ngoài khoảng cho phép",
        ),
        (
            "2026-01-01",
            "2036-01-01",
            "Một chiến dịch kéo dài tối đa 5 năm",
        ),
    ] {
        let page = officer
            .post_pairs("/campaigns/new", &campaign_form("Xa", starts, ends))
            .await;
        assert_eq!(page.status, 422, "{starts} {ends}: {}", page.body);
        assert!(page.body.contains(message), "{message}: {}", page.body);
        assert!(page.body.contains("2000–2100") || message.contains("5 năm"));
    }
    let ok = officer
        .post_pairs(
            "/campaigns/new",
            &campaign_form("Gần", &hanoi_day(0), &hanoi_day(60)),
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
}
both!(campaign_dates_stay_within_sane_years);

async fn a_share_link_for_a_unit_that_does_not_exist_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let page = officer
        .post(
            "/reports/shares",
            &[("q", "period=month&district=002' OR '1'='1"), ("days", "5")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("trong bản đồ hành chính đang dùng"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("id=\"share-url\""));
    // A real district still gets its link.
    let page = officer
        .post(
            "/reports/shares",
            &[("q", "period=month&district=002"), ("days", "5")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"share-url\""));
}
both!(a_share_link_for_a_unit_that_does_not_exist_is_refused);
