//! Admin pages for accounts: every bad input is named next to its field and nothing is stored.

use crate::both;
use crate::helpers::{Backend, TestApp};

async fn create_form(app: &TestApp, fields: &[(&str, &str)]) -> crate::helpers::Page {
    app.admin().await.post("/admin/users/new", fields).await
}

async fn bad_account_input_is_named_field_by_field_and_nothing_is_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, before) = app
        .state
        .store
        .list_users(&Default::default(), 1, 0)
        .await
        .unwrap();

    let page = create_form(
        &app,
        &[
            ("username", "Lan Nguyễn"),
            ("display_name", ""),
            ("role", "district"),
            ("unit_code", ""),
            ("password", "short"),
        ],
    )
    .await;
    assert_eq!(page.status, 422);
    for fragment in [
        "id=\"e-username\"",
        "chỉ gồm chữ thường",
        "id=\"e-display_name\"",
        "id=\"e-unit\"",
        "phải được gán một đơn vị",
        "id=\"e-password\"",
    ] {
        assert!(page.body.contains(fragment), "missing {fragment}");
    }
    assert!(
        page.body.contains("value=\"Lan Nguyễn\""),
        "what was typed is kept"
    );

    let unknown = create_form(
        &app,
        &[
            ("username", "lan"),
            ("display_name", "Lan"),
            ("role", "district"),
            ("unit_code", "999"),
        ],
    )
    .await;
    assert!(
        unknown
            .body
            .contains("Không có đơn vị mã “999” trong bản đồ 2024"),
        "{}",
        unknown.body
    );
    let ward = create_form(
        &app,
        &[
            ("username", "lan"),
            ("display_name", "Lan"),
            ("role", "district"),
            ("unit_code", "00001"),
        ],
    )
    .await;
    assert!(ward.body.contains("không phải quận, huyện, thị xã"));
    let officer_with_unit = create_form(
        &app,
        &[
            ("username", "lan"),
            ("display_name", "Lan"),
            ("role", "officer"),
            ("unit_code", "001"),
        ],
    )
    .await;
    assert!(officer_with_unit.body.contains("làm việc ở cấp Thành phố"));
    let bad_role = create_form(
        &app,
        &[
            ("username", "lan"),
            ("display_name", "Lan"),
            ("role", "root"),
        ],
    )
    .await;
    assert!(bad_role.body.contains("Vai trò “root” không tồn tại"));

    let (_, after) = app
        .state
        .store
        .list_users(&Default::default(), 1, 0)
        .await
        .unwrap();
    assert_eq!(before, after, "no account was stored from bad input");

    app.create_user("lan", "officer", "").await;
    let taken = create_form(
        &app,
        &[
            ("username", "LAN"),
            ("display_name", "Lan"),
            ("role", "officer"),
        ],
    )
    .await;
    assert_eq!(taken.status, 422);
    assert!(
        taken.body.contains("Tên đăng nhập “lan” đã được dùng."),
        "usernames are case-insensitive"
    );
}
both!(bad_account_input_is_named_field_by_field_and_nothing_is_stored);

async fn an_admin_creates_ba_dinh_staff_who_see_only_ba_dinh(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let page = admin
        .post(
            "/admin/users/new",
            &[
                ("username", "cb.badinh"),
                ("display_name", "Cán bộ Ba Đình"),
                ("role", "district"),
                ("unit_code", "001"),
                ("password", "mot-hai-ba-bon-nam"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Quận Ba Đình"));
    let list = admin.get("/admin/users?role=district").await;
    assert!(list.body.contains("cb.badinh") && list.body.contains("Quận Ba Đình"));

    let staff = app.visitor();
    staff.login("cb.badinh", "mot-hai-ba-bon-nam").await;
    let home = staff.get("/").await;
    assert!(
        home.body.contains("Quận Ba Đình") && !home.body.contains("href=\"/admin/users\""),
        "no admin links for staff"
    );
    assert_eq!(staff.get("/areas/002").await.status, 404);
    assert_eq!(staff.get("/admin/users").await.status, 403);

    let audit = admin.get("/admin/audit").await;
    assert!(audit.body.contains("user_created") && audit.body.contains("user:cb.badinh"));
}
both!(an_admin_creates_ba_dinh_staff_who_see_only_ba_dinh);

async fn the_last_admin_cannot_be_demoted_or_disabled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let id = app
        .state
        .store
        .user_for_login("admin")
        .await
        .unwrap()
        .0
        .user_id;
    let demote = admin
        .post(
            &format!("/admin/users/{id}"),
            &[
                ("display_name", "Admin"),
                ("role", "officer"),
                ("unit_code", ""),
            ],
        )
        .await;
    assert_eq!(demote.status, 422);
    assert!(demote.body.contains("quản trị viên cuối cùng"));
    let disable = admin.post(&format!("/admin/users/{id}/disable"), &[]).await;
    assert_eq!(disable.status, 422);
    assert!(disable.body.contains("không thể tự khóa"));
    assert_eq!(admin.get("/admin/users/999999").await.status, 404);
    assert_eq!(admin.get("/admin/users/abc").await.status, 404);

    let other = app.create_user("officer1", "officer", "").await;
    let edit = admin
        .post(
            &format!("/admin/users/{other}"),
            &[
                ("display_name", "Trần Văn Minh"),
                ("role", "district"),
                ("unit_code", "002"),
            ],
        )
        .await;
    assert!(edit.redirects_to(&format!("/admin/users/{other}?notice=user_updated")));
    let user = app.state.store.user_by_id(other).await.unwrap();
    assert_eq!(
        (user.display_name.as_str(), user.unit_code.as_deref()),
        ("Trần Văn Minh", Some("002"))
    );
}
both!(the_last_admin_cannot_be_demoted_or_disabled);
