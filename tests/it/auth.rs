//! Logging in and out as a person would, and every way it can go wrong getting its own answer.

use crate::both;
use crate::helpers::{ADMIN_PASSWORD, Backend, PASSWORD, TestApp};

async fn login_shows_the_vietnamese_shell_and_logout_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let v = app.visitor();

    let first = v.get("/").await;
    assert!(
        first.redirects_to("/login?next=%2F"),
        "anonymous visitors are sent to the login page"
    );
    let login = v.get("/login").await;
    assert!(login.body.contains("<html lang=\"vi\">") && login.body.contains("Đăng nhập"));

    let done = v.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(done.location.as_deref(), Some("/"));
    let cookie = done
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let home = v.get("/").await;
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains("Xin chào") && home.body.contains("Người dùng"),
        "admin navigation is shown"
    );

    let out = v.post("/logout", &[]).await;
    assert!(out.redirects_to("/login?logged_out=1"));
    assert!(
        v.get("/").await.redirects_to("/login"),
        "the session is gone from the server"
    );
}
both!(login_shows_the_vietnamese_shell_and_logout_ends_the_session);

async fn wrong_password_unknown_user_and_empty_fields_each_get_a_clear_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let v = app.visitor();
    let wrong = v
        .post(
            "/login",
            &[("username", "admin"), ("password", "not-the-password")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(
        wrong
            .body
            .contains("Tên đăng nhập hoặc mật khẩu không đúng.")
    );
    assert!(
        wrong.body.contains("value=\"admin\""),
        "the username is kept in the form"
    );
    let unknown = v
        .post(
            "/login",
            &[("username", "nobody"), ("password", "whatever-it-is")],
        )
        .await;
    assert_eq!(
        unknown.status, 401,
        "an unknown user looks exactly like a wrong password"
    );
    let empty = v
        .post("/login", &[("username", ""), ("password", "")])
        .await;
    assert_eq!(empty.status, 422);
    assert!(
        empty.body.contains("id=\"e-username\"") && empty.body.contains("id=\"e-password\""),
        "errors sit next to their fields"
    );
}
both!(wrong_password_unknown_user_and_empty_fields_each_get_a_clear_answer);

async fn repeated_failures_lock_the_username_for_a_while(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let v = app.visitor();
    for _ in 0..5 {
        assert_eq!(
            v.post(
                "/login",
                &[("username", "admin"), ("password", "guess-guess")]
            )
            .await
            .status,
            401
        );
    }
    let locked = v
        .post(
            "/login",
            &[("username", "admin"), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(
        locked.status, 429,
        "even the right password waits out the lock"
    );
    assert!(locked.body.contains("Đăng nhập sai quá nhiều lần"));
    assert!(locked.headers.contains_key("retry-after"));
}
both!(repeated_failures_lock_the_username_for_a_while);

async fn state_changes_without_a_valid_csrf_token_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let v = app.admin().await;
    let missing = v
        .post_raw("/admin/settings", &[("active_snapshot", "2025-07")])
        .await;
    assert_eq!(missing.status, 403);
    assert!(missing.body.contains("thiếu mã bảo vệ biểu mẫu"));
    let wrong = v
        .post_raw(
            "/admin/settings",
            &[
                ("csrf", "forged-token-forged-token-forged-token"),
                ("active_snapshot", "2025-07"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 403);
    assert!(wrong.body.contains("không khớp"));
    assert_eq!(
        app.state.store.active_snapshot().await.unwrap(),
        "2024",
        "nothing changed"
    );
    let anonymous = app
        .visitor()
        .post_raw(
            "/login",
            &[("username", "admin"), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(anonymous.status, 403, "the login form is protected too");
}
both!(state_changes_without_a_valid_csrf_token_are_refused);

async fn an_expired_session_says_so_on_the_login_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let v = app.admin().await;
    // Age every session past its expiry, as a night without activity would.
    app.state
        .store
        .purge_expired_sessions(i64::MAX)
        .await
        .unwrap();
    let page = v.get("/areas").await;
    assert!(
        page.redirects_to("/login?next=%2Fareas&expired=1"),
        "{:?}",
        page.location
    );
    let login = v.get(page.location.as_deref().unwrap()).await;
    assert!(login.body.contains("Phiên đăng nhập đã hết hạn"));
}
both!(an_expired_session_says_so_on_the_login_page);

async fn a_one_time_password_must_be_replaced_before_anything_else(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let created = admin
        .post(
            "/admin/users/new",
            &[
                ("username", "lan"),
                ("display_name", "Nguyễn Thị Lan"),
                ("role", "officer"),
                ("unit_code", ""),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(
        created
            .headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let at =
        created.body.find("id=\"one-time-password\">").unwrap() + "id=\"one-time-password\">".len();
    let otp = created.body[at..].split('<').next().unwrap().to_string();

    let lan = app.visitor();
    assert!(
        lan.login("lan", &otp)
            .await
            .redirects_to("/account/password")
    );
    assert!(
        lan.get("/areas").await.redirects_to("/account/password"),
        "other pages wait"
    );
    let short = lan
        .post(
            "/account/password",
            &[("current", &otp), ("new", "short"), ("confirm", "short")],
        )
        .await;
    assert_eq!(short.status, 422);
    assert!(short.body.contains("ít nhất 10 ký tự"));
    let mismatch = lan
        .post(
            "/account/password",
            &[
                ("current", &otp),
                ("new", PASSWORD),
                ("confirm", "something-else"),
            ],
        )
        .await;
    assert!(mismatch.body.contains("không khớp"));
    let ok = lan
        .post(
            "/account/password",
            &[("current", &otp), ("new", PASSWORD), ("confirm", PASSWORD)],
        )
        .await;
    assert!(ok.redirects_to("/?notice=password_changed"));
    assert_eq!(lan.get("/areas").await.status, 200);
    assert_eq!(
        app.visitor()
            .post("/login", &[("username", "lan"), ("password", &otp)])
            .await
            .status,
        401,
        "the one-time password no longer works"
    );
}
both!(a_one_time_password_must_be_replaced_before_anything_else);

async fn the_language_switch_turns_the_interface_english(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let v = app.admin().await;
    let switched = v.post("/lang", &[("lang", "en"), ("next", "/areas")]).await;
    assert!(switched.redirects_to("/areas"));
    let page = v.get("/areas").await;
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Administrative units"));
    assert_eq!(v.post("/lang", &[("lang", "fr")]).await.status, 400);
    let offsite = v
        .post("/lang", &[("lang", "vi"), ("next", "//evil.example/")])
        .await;
    assert_eq!(
        offsite.location.as_deref(),
        Some("/"),
        "only local paths are followed"
    );
}
both!(the_language_switch_turns_the_interface_english);

async fn disabling_a_user_ends_their_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.logged_in("hoa", "officer", "").await;
    assert_eq!(staff.get("/").await.status, 200);
    let admin = app.admin().await;
    let id = app
        .state
        .store
        .user_for_login("hoa")
        .await
        .unwrap()
        .0
        .user_id;
    assert!(
        admin
            .post(&format!("/admin/users/{id}/disable"), &[])
            .await
            .redirects_to(&format!("/admin/users/{id}"))
    );
    assert!(
        staff.get("/").await.redirects_to("/login"),
        "the disabled user's session ended"
    );
    let again = app
        .visitor()
        .post("/login", &[("username", "hoa"), ("password", PASSWORD)])
        .await;
    assert_eq!(again.status, 403);
    assert!(again.body.contains("Tài khoản này đã bị khóa"));
}
both!(disabling_a_user_ends_their_sessions);
