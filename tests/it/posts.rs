//! Posts and the approval workflow, as the people who use it: district staff draft and submit,
//! officers request changes, approve and schedule; every step is in the history; bad input,
//! other units' posts and stale edits are refused with a clear message and nothing half-saved.

use crate::both;
use crate::helpers::{Backend, TestApp, Visitor, campaign_form, hanoi_day, id_from_location};

pub async fn campaign(app: &TestApp, officer: &Visitor) -> i64 {
    let page = officer
        .post_pairs(
            "/campaigns/new",
            &campaign_form("Minh bạch PAPI", &hanoi_day(0), &hanoi_day(30)),
        )
        .await;
    let _ = app;
    id_from_location(&page, "/campaigns/")
}

pub fn post_form(title: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("title", title),
        ("body", "Người dân có quyền biết ngân sách phường được chi thế nào.\nXem chi tiết tại cổng thông tin."),
        ("link", "https://hanoi.gov.vn/papi"),
        ("hashtags", "#PAPI #MinhBach"),
        ("channel", "facebook"),
        ("channel", "portal"),
        ("channel", "telegram"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    f.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    f
}

async fn act(
    v: &Visitor,
    app: &TestApp,
    id: i64,
    action: &str,
    extra: &[(&str, &str)],
) -> crate::helpers::Page {
    let version = app.state.store.post(id).await.unwrap().version.to_string();
    let mut form = vec![("action", action), ("version", version.as_str())];
    form.extend_from_slice(extra);
    v.post(&format!("/posts/{id}/transition"), &form).await
}

async fn status(app: &TestApp, id: i64) -> String {
    app.state.store.post(id).await.unwrap().status.to_string()
}

async fn district_drafts_officer_requests_changes_then_approves_and_schedules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = campaign(&app, &officer).await;
    let staff = app.logged_in("badinh", "district", "001").await;

    let page = staff
        .post_pairs(
            &format!("/campaigns/{cid}/posts/new"),
            &post_form("Ngân sách phường Điện Biên", &[]),
        )
        .await;
    assert!(
        page.redirects_to("/posts/"),
        "{} {}",
        page.status,
        page.body
    );
    let id = id_from_location(&page, "/posts/");
    let post = app.state.store.post(id).await.unwrap();
    assert_eq!(
        (post.status.as_str(), post.unit_code.as_deref()),
        ("draft", Some("001"))
    );
    let variants = app.state.store.post_variants(id).await.unwrap();
    assert_eq!(
        variants
            .iter()
            .map(|v| v.channel.as_str())
            .collect::<Vec<_>>(),
        ["facebook", "portal", "telegram"]
    );
    assert!(
        variants.iter().all(|v| !v.edited && !v.body.is_empty()),
        "variants are derived from the master"
    );

    // The post page previews every channel.
    let show = staff.get(&format!("/posts/{id}")).await;
    for fragment in [
        "preview-facebook",
        "preview-portal",
        "preview-telegram",
        "Gửi duyệt",
    ] {
        assert!(show.body.contains(fragment), "post page lacks {fragment}");
    }
    assert!(
        act(&staff, &app, id, "submit", &[])
            .await
            .redirects_to(&format!("/posts/{id}"))
    );
    assert_eq!(status(&app, id).await, "submitted");

    // District staff cannot approve; a change request needs a comment.
    let refused = act(&staff, &app, id, "approve", &[]).await;
    assert_eq!(refused.status, 422);
    assert_eq!(status(&app, id).await, "submitted");
    let no_comment = act(&officer, &app, id, "request_changes", &[]).await;
    assert_eq!(no_comment.status, 422);
    assert_eq!(status(&app, id).await, "submitted");
    assert!(
        act(
            &officer,
            &app,
            id,
            "request_changes",
            &[("comment", "Thêm số liệu năm 2025")]
        )
        .await
        .redirects_to("/posts/")
    );
    assert_eq!(status(&app, id).await, "changes_requested");

    // Staff edit and resubmit; the officer approves and schedules inside the campaign.
    let version = app.state.store.post(id).await.unwrap().version.to_string();
    let edited = staff
        .post_pairs(
            &format!("/posts/{id}/edit"),
            &post_form("Ngân sách phường 2025", &[("version", &version)]),
        )
        .await;
    assert!(
        edited.redirects_to("/posts/"),
        "{} {}",
        edited.status,
        edited.body
    );
    assert!(
        act(&staff, &app, id, "submit", &[])
            .await
            .redirects_to("/posts/")
    );
    assert!(
        act(&officer, &app, id, "approve", &[])
            .await
            .redirects_to("/posts/")
    );
    let when = format!("{}T09:30", hanoi_day(3));
    assert!(
        act(&officer, &app, id, "schedule", &[("scheduled_at", &when)])
            .await
            .redirects_to("/posts/")
    );
    let post = app.state.store.post(id).await.unwrap();
    assert_eq!(post.status.as_str(), "scheduled");
    assert_eq!(
        loa::posts::hanoi_input_value(post.scheduled_at.unwrap()),
        when
    );

    // The history names who did what, with the comment.
    let history = app.state.store.post_history(id).await.unwrap();
    let steps: Vec<(&str, &str)> = history
        .iter()
        .map(|h| (h.action.as_str(), h.to_status.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            ("create", "draft"),
            ("submit", "submitted"),
            ("request_changes", "changes_requested"),
            ("submit", "submitted"),
            ("approve", "approved"),
            ("schedule", "scheduled")
        ]
    );
    let page = officer.get(&format!("/posts/{id}")).await;
    assert!(page.body.contains("Thêm số liệu năm 2025") && page.body.contains("Người dùng lan"));

    // Editing a scheduled post sends it back to review.
    let version = app.state.store.post(id).await.unwrap().version.to_string();
    let page = officer
        .post_pairs(
            &format!("/posts/{id}/edit"),
            &post_form("Ngân sách phường 2025 (sửa)", &[("version", &version)]),
        )
        .await;
    assert!(
        page.redirects_to(&format!("/posts/{id}?notice=post_back_to_review")),
        "{:?}",
        page.location
    );
    assert_eq!(status(&app, id).await, "submitted");
}
both!(district_drafts_officer_requests_changes_then_approves_and_schedules);

async fn over_limit_variants_bad_times_and_other_units_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = campaign(&app, &officer).await;

    // An edited Telegram text over 4,096 characters is named; nothing is stored.
    let long = "Minh bạch. ".repeat(500);
    let page = officer
        .post_pairs(
            &format!("/campaigns/{cid}/posts/new"),
            &post_form(
                "Quá dài",
                &[("v_telegram_body", &long), ("v_telegram_edited", "1")],
            ),
        )
        .await;
    assert_eq!(page.status, 422);
    // The message itself, not the field's `data-limit="4096"` that every editor page carries.
    assert!(
        ["Dài quá 4096 ký tự.", "Dài quá 4.096 ký tự."]
            .iter()
            .any(|m| page.body.contains(m)),
        "the limit is named in the refusal"
    );
    let (_, total) = app
        .state
        .store
        .list_posts(&Default::default(), None, 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 0);

    // A proposed time in the past, or after the campaign, is refused with the reason.
    let past = officer
        .post_pairs(
            &format!("/campaigns/{cid}/posts/new"),
            &post_form("Quá khứ", &[("scheduled_at", "2020-01-01T08:00")]),
        )
        .await;
    assert!(past.status == 422 && past.body.contains("Thời điểm đăng đã qua"));
    let late = format!("{}T08:00", hanoi_day(60));
    let late = officer
        .post_pairs(
            &format!("/campaigns/{cid}/posts/new"),
            &post_form("Quá muộn", &[("scheduled_at", &late)]),
        )
        .await;
    assert!(
        late.status == 422 && late.body.contains("nằm ngoài thời gian chiến dịch"),
        "{}",
        late.body
    );

    // Ba Đình's post is invisible to Hoàn Kiếm staff and read-only to a manager.
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    let page = ba_dinh
        .post_pairs(
            &format!("/campaigns/{cid}/posts/new"),
            &post_form("Của Ba Đình", &[]),
        )
        .await;
    let id = id_from_location(&page, "/posts/");
    let hoan_kiem = app.logged_in("hoankiem", "district", "002").await;
    assert_eq!(hoan_kiem.get(&format!("/posts/{id}")).await.status, 404);
    assert_eq!(
        hoan_kiem.get(&format!("/posts/{id}/edit")).await.status,
        404
    );
    let version = app.state.store.post(id).await.unwrap().version.to_string();
    let attempt = hoan_kiem
        .post_pairs(
            &format!("/posts/{id}/edit"),
            &post_form("Chiếm", &[("version", &version)]),
        )
        .await;
    assert_eq!(attempt.status, 404);
    assert_eq!(act(&hoan_kiem, &app, id, "submit", &[]).await.status, 404);
    assert_eq!(app.state.store.post(id).await.unwrap().title, "Của Ba Đình");
    // A city post is readable by target-district staff but not theirs to change.
    let page = officer
        .post_pairs(
            &format!("/campaigns/{cid}/posts/new"),
            &post_form("Bài của thành phố", &[]),
        )
        .await;
    let city_post = id_from_location(&page, "/posts/");
    assert_eq!(
        ba_dinh.get(&format!("/posts/{city_post}")).await.status,
        200
    );
    assert_eq!(
        ba_dinh
            .get(&format!("/posts/{city_post}/edit"))
            .await
            .status,
        403
    );
    let manager = app.logged_in("sep", "manager", "").await;
    assert_eq!(manager.get(&format!("/posts/{id}")).await.status, 200);
    assert_eq!(act(&manager, &app, id, "submit", &[]).await.status, 403);
}
both!(over_limit_variants_bad_times_and_other_units_are_refused);

async fn a_concurrent_edit_is_detected_not_overwritten(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let other = app.logged_in("minh", "officer", "").await;
    let cid = campaign(&app, &officer).await;
    let page = officer
        .post_pairs(
            &format!("/campaigns/{cid}/posts/new"),
            &post_form("Bản gốc", &[]),
        )
        .await;
    let id = id_from_location(&page, "/posts/");
    // Both open the editor at version 1; Lan saves first.
    let first = officer
        .post_pairs(
            &format!("/posts/{id}/edit"),
            &post_form("Lan sửa", &[("version", "1")]),
        )
        .await;
    assert!(first.redirects_to("/posts/"));
    let second = other
        .post_pairs(
            &format!("/posts/{id}/edit"),
            &post_form("Minh sửa", &[("version", "1")]),
        )
        .await;
    assert_eq!(second.status, 409);
    assert!(
        second.body.contains("vừa được người khác thay đổi")
            && second.body.contains("value=\"Minh sửa\"")
    );
    assert_eq!(app.state.store.post(id).await.unwrap().title, "Lan sửa");
    // A workflow step on a stale version is refused too.
    let stale = other
        .post(
            &format!("/posts/{id}/transition"),
            &[("action", "submit"), ("version", "1")],
        )
        .await;
    assert_eq!(stale.status, 409);
    assert_eq!(status(&app, id).await, "draft");
}
both!(a_concurrent_edit_is_detected_not_overwritten);
