//! Campaigns: planning with PAPI dimensions, target units and KPI targets; bad input named field
//! by field; district staff see only campaigns that target them; edits guarded by version.

use crate::both;
use crate::helpers::{Backend, TestApp, campaign_form, hanoi_day, id_from_location};

async fn officer_plans_a_transparency_campaign_with_kpis(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let form = campaign_form("Minh bạch ngân sách phường", &hanoi_day(0), &hanoi_day(30));
    let page = officer.post_pairs("/campaigns/new", &form).await;
    assert!(
        page.redirects_to("/campaigns/"),
        "{} {}",
        page.status,
        page.body
    );
    let id = id_from_location(&page, "/campaigns/");

    let show = officer.get(&format!("/campaigns/{id}")).await;
    assert_eq!(show.status, 200);
    // The aggregate index is named in words, not by its internal code.
    let blank = officer.get("/campaigns/new").await.body;
    assert!(blank.contains("value=\"TOTAL\"") && blank.contains("> Chỉ số PAPI tổng hợp"));
    assert!(!blank.contains("TOTAL ·"), "the code TOTAL is not shown");
    // Campaign dates are written dd/mm/yyyy.
    let day = |iso: String| {
        let p: Vec<&str> = iso.split('-').collect();
        format!("{}/{}/{}", p[2], p[1], p[0])
    };
    assert!(
        show.body.contains(&day(hanoi_day(0))),
        "{}",
        day(hanoi_day(0))
    );
    for fragment in [
        "Minh bạch ngân sách phường",
        "Sở Nội vụ",
        "D2",
        "Quận Ba Đình",
        "Quận Hoàn Kiếm",
        "Quận Tây Hồ",
        "0 / 50.000<",
        "0 / 800<",
    ] {
        assert!(
            show.body.contains(fragment),
            "campaign page lacks {fragment}"
        );
    }
    let targets = app.state.store.campaign_targets(id).await.unwrap();
    assert_eq!(targets.len(), 3);
    let ba_dinh = targets.iter().find(|t| t.code == "001").unwrap();
    assert_eq!(
        (ba_dinh.kpi_posts, ba_dinh.kpi_reach, ba_dinh.kpi_clicks),
        (Some(12), Some(50_000), None)
    );

    // Filters: by dimension, by target unit, by status, by date.
    let listed = |q: &'static str| {
        let officer = &officer;
        async move {
            officer
                .get(&format!("/campaigns?{q}"))
                .await
                .body
                .contains("Minh bạch ngân sách phường")
        }
    };
    assert!(listed("dimension=D2").await);
    assert!(!listed("dimension=D5").await);
    assert!(listed("unit=002").await);
    assert!(!listed("unit=004").await);
    assert!(listed("status=active").await);
    assert!(!listed("status=archived").await);
    assert!(!listed("date=2020-01-01").await);
}
both!(officer_plans_a_transparency_campaign_with_kpis);

async fn bad_campaign_input_is_named_and_nothing_is_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let mut form = campaign_form("", "2026-12-31", "2026-12-01");
    form.retain(|(k, _)| k != "dimension");
    form.push(("kpi_reach_002".into(), "nhiều".into()));
    form.push(("target".into(), "999".into()));
    let page = officer.post_pairs("/campaigns/new", &form).await;
    assert_eq!(page.status, 422);
    for fragment in [
        "id=\"e-title\"",
        "Ngày kết thúc trước ngày bắt đầu",
        "Hãy chọn ít nhất một mục",
        "Chỉ tiêu của Quận Hoàn Kiếm phải là số nguyên không âm (nhận được “nhiều”)",
        "Không có đơn vị mục tiêu mã “999”",
    ] {
        assert!(page.body.contains(fragment), "missing {fragment}");
    }
    assert!(
        page.body.contains("value=\"nhiều\""),
        "what was typed is kept"
    );
    let (_, total) = app
        .state
        .store
        .list_campaigns(&Default::default(), None, 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 0, "nothing stored");
}
both!(bad_campaign_input_is_named_and_nothing_is_stored);

async fn district_staff_see_only_campaigns_targeting_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let ours = officer
        .post_pairs(
            "/campaigns/new",
            &campaign_form("Chiến dịch ba quận", &hanoi_day(0), &hanoi_day(10)),
        )
        .await;
    let ours = id_from_location(&ours, "/campaigns/");
    let mut other = campaign_form("Chiến dịch Long Biên", &hanoi_day(0), &hanoi_day(10));
    other.retain(|(k, _)| k != "target");
    other.push(("target".into(), "004".into()));
    let other = officer.post_pairs("/campaigns/new", &other).await;
    let other = id_from_location(&other, "/campaigns/");

    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    let list = ba_dinh.get("/campaigns").await;
    assert!(list.body.contains("Chiến dịch ba quận") && !list.body.contains("Long Biên"));
    assert_eq!(ba_dinh.get(&format!("/campaigns/{ours}")).await.status, 200);
    assert_eq!(
        ba_dinh.get(&format!("/campaigns/{other}")).await.status,
        404
    );
    assert_eq!(
        ba_dinh
            .get(&format!("/campaigns/{other}/posts/new"))
            .await
            .status,
        404
    );
    // A manager reads every campaign but cannot plan one.
    let manager = app.logged_in("sep", "manager", "").await;
    assert_eq!(
        manager.get(&format!("/campaigns/{other}")).await.status,
        200
    );
    assert_eq!(
        manager
            .post_pairs(
                "/campaigns/new",
                &campaign_form("x", "2026-12-01", "2026-12-02")
            )
            .await
            .status,
        403
    );
}
both!(district_staff_see_only_campaigns_targeting_them);

async fn a_stale_campaign_edit_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = app.logged_in("lan", "officer", "").await;
    let b = app.logged_in("minh", "officer", "").await;
    let page = a
        .post_pairs(
            "/campaigns/new",
            &campaign_form("Bản đầu", &hanoi_day(0), &hanoi_day(5)),
        )
        .await;
    let id = id_from_location(&page, "/campaigns/");
    let mut first = campaign_form("Sửa bởi Lan", &hanoi_day(0), &hanoi_day(5));
    first.push(("version".into(), "1".into()));
    let mut second = campaign_form("Sửa bởi Minh", &hanoi_day(0), &hanoi_day(5));
    second.push(("version".into(), "1".into()));
    assert!(
        a.post_pairs(&format!("/campaigns/{id}/edit"), &first)
            .await
            .redirects_to("/campaigns/")
    );
    let stale = b
        .post_pairs(&format!("/campaigns/{id}/edit"), &second)
        .await;
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("vừa được người khác thay đổi"));
    assert_eq!(
        app.state.store.campaign(id).await.unwrap().title,
        "Sửa bởi Lan"
    );
}
both!(a_stale_campaign_edit_is_refused);
