//! The calendar: posts on their Hanoi day, filters, and rescheduling by drag (JSON) or form,
//! refused outside the campaign or on a stale version.

use crate::both;
use crate::helpers::{Backend, TestApp, hanoi_day};
use crate::posts::{campaign, post_form};

async fn scheduled_posts_show_on_their_hanoi_day_and_can_be_moved(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = campaign(&app, &officer).await;
    let day = hanoi_day(2);
    // Imported straight into the schedule at 06:30 Hanoi time (23:30 UTC the day before).
    let csv = format!(
        "title,body,channels,scheduled_at,unit\nLịch sáng sớm,Nội dung,facebook,{day} 06:30,001\nBài Mastodon,Nội dung,mastodon,{day} 10:00,\n"
    );
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("a.csv"),
        )
        .text("schedule", "1");
    // A good import redirects to its result page (POST-redirect-GET).
    assert!(
        officer
            .post_multipart(&format!("/campaigns/{cid}/import"), form)
            .await
            .redirects_to(&format!("/campaigns/{cid}/imports/"))
    );

    let page = officer.get(&format!("/calendar?date={day}")).await;
    assert_eq!(page.status, 200);
    let cell = page
        .body
        .split(&format!("data-date=\"{day}\""))
        .nth(1)
        .unwrap()
        .split("role=\"cell\"")
        .next()
        .unwrap();
    assert!(
        cell.contains("06:30") && cell.contains("Lịch sáng sớm"),
        "the 06:30 post is on its Hanoi day"
    );
    assert!(cell.contains("Bài Mastodon"));
    let facebook_only = officer
        .get(&format!("/calendar?date={day}&channel=facebook"))
        .await;
    assert!(
        facebook_only.body.contains("Lịch sáng sớm")
            && !facebook_only.body.contains("Bài Mastodon")
    );
    let week = officer
        .get(&format!("/calendar?view=week&date={day}&unit=001"))
        .await;
    assert!(week.body.contains("Lịch sáng sớm") && !week.body.contains("Bài Mastodon"));

    // A drag to another day keeps the time of day.
    let (posts, _) = app
        .state
        .store
        .list_posts(&Default::default(), None, 10, 0)
        .await
        .unwrap();
    let early = posts.iter().find(|p| p.title == "Lịch sáng sớm").unwrap();
    let token = officer.csrf().await;
    let moved = officer
        .http
        .post(format!(
            "{}/posts/{}/reschedule",
            officer.base, early.post_id
        ))
        .header("x-csrf-token", &token)
        .header("accept", "application/json")
        .form(&[
            ("date", hanoi_day(5).as_str()),
            ("version", early.version.to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    let after = app.state.store.post(early.post_id).await.unwrap();
    assert_eq!(
        loa::posts::hanoi_input_value(after.scheduled_at.unwrap()),
        format!("{}T06:30", hanoi_day(5))
    );

    // Outside the campaign, or on the old version: refused with the reason, nothing moves.
    let refused = officer
        .http
        .post(format!(
            "{}/posts/{}/reschedule",
            officer.base, early.post_id
        ))
        .header("x-csrf-token", &token)
        .header("accept", "application/json")
        .form(&[
            ("date", hanoi_day(90).as_str()),
            ("version", after.version.to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .contains("ngoài thời gian chiến dịch")
    );
    let stale = officer
        .post(
            &format!("/posts/{}/reschedule", early.post_id),
            &[
                ("scheduled_at", &format!("{}T08:00", hanoi_day(6))),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(stale.status, 409);
    assert_eq!(
        app.state
            .store
            .post(early.post_id)
            .await
            .unwrap()
            .scheduled_at,
        after.scheduled_at
    );

    // District staff see their unit's and the city's posts, and cannot move them.
    let staff = app.logged_in("tayho", "district", "003").await;
    let theirs = staff.get(&format!("/calendar?date={day}")).await;
    assert!(theirs.body.contains("Bài Mastodon") && !theirs.body.contains("Lịch sáng sớm"));
    assert!(!theirs.body.contains("draggable=\"true\""));
    let _ = post_form;
}
both!(scheduled_posts_show_on_their_hanoi_day_and_can_be_moved);
