//! Local content from below: district staff propose posts for the city's channels; officers
//! adopt one into a campaign (a city draft credited to the unit) or decline it with a reason.

use crate::both;
use crate::helpers::{Backend, TestApp, id_from_location};

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
