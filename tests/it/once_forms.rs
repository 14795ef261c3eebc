//! Every form that creates something carries a one-time key: the same form submitted twice (a
//! double click, a resend after a lost answer) creates one thing, and the repeat is sent where
//! the first one led. A new form is a new key.

use crate::both;
use crate::helpers::{Backend, Page, TestApp, Visitor, campaign_form, hanoi_day};
use crate::kits::{approved_city_post, unit_id};

/// The one-time key of the first creating form on `path`.
async fn key_of(v: &Visitor, path: &str) -> String {
    let page = v.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    page.body
        .split("name=\"once\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("{path} carries no one-time key"))
        .to_string()
}

/// Submits `form` twice with the key of `form_path`; both answers must lead to the same place.
async fn twice(v: &Visitor, form_path: &str, post_path: &str, form: &[(String, String)]) -> Page {
    let mut form = form.to_vec();
    form.push(("once".into(), key_of(v, form_path).await));
    let first = v.post_pairs(post_path, &form).await;
    let second = v.post_pairs(post_path, &form).await;
    assert!(
        (300..400).contains(&first.status),
        "{post_path}: {} {}",
        first.status,
        first.body
    );
    assert_eq!(
        second.status, first.status,
        "{post_path}: the repeat is answered the same way"
    );
    assert_eq!(
        second.location, first.location,
        "{post_path}: the repeat leads to the first result"
    );
    first
}

async fn campaigns(app: &TestApp) -> i64 {
    let all = Default::default();
    app.state
        .store
        .list_campaigns(&all, None, 100, 0)
        .await
        .unwrap()
        .1
}

async fn a_repeated_creating_form_creates_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let store = &app.state.store;

    // A campaign.
    let form = campaign_form("Một lần thôi", &hanoi_day(0), &hanoi_day(30));
    let before = campaigns(&app).await;
    twice(&officer, "/campaigns/new", "/campaigns/new", &form).await;
    let after = campaigns(&app).await;
    assert_eq!(after, before + 1, "one campaign");

    // A post.
    let cid = crate::posts::campaign(&app, &officer).await;
    let posts = || async {
        store
            .list_posts(&Default::default(), None, 1, 0)
            .await
            .unwrap()
            .1
    };
    let before = posts().await;
    let path = format!("/campaigns/{cid}/posts/new");
    twice(
        &officer,
        &path,
        &path,
        &crate::posts::post_form("Bài một lần", &[]),
    )
    .await;
    assert_eq!(posts().await, before + 1, "one post");

    // A kit.
    let (_, pid) = approved_city_post(&officer, &app).await;
    let deadline = loa::posts::hanoi_input_value(loa::clock::now_ms() + 2 * 3_600_000);
    let form: Vec<(String, String)> = vec![
        ("deadline".into(), deadline),
        ("hints".into(), String::new()),
        ("allow_title".into(), "1".into()),
        ("allow_body".into(), "1".into()),
        ("max_length".into(), String::new()),
        ("target".into(), unit_id(&app, "004").await.to_string()),
    ];
    let before = store.list_kits().await.unwrap().len();
    let path = format!("/posts/{pid}/kit");
    twice(&officer, &path, &path, &form).await;
    assert_eq!(
        store.list_kits().await.unwrap().len(),
        before + 1,
        "one kit"
    );

    // A unit's proposal.
    let staff = app.logged_in("quan4", "district", "004").await;
    let form: Vec<(String, String)> = vec![
        ("title".into(), "Đề xuất một lần".into()),
        (
            "body".into(),
            "Phường đề nghị đăng lịch tiếp công dân.".into(),
        ),
        ("link".into(), String::new()),
    ];
    twice(&staff, "/proposals/new", "/proposals/new", &form).await;
    assert_eq!(
        store.proposals(None).await.unwrap().len(),
        1,
        "one proposal"
    );

    // An image upload (multipart).
    let key = key_of(&officer, "/media").await;
    let jpeg = {
        let img = image::RgbImage::from_fn(320, 200, |x, y| image::Rgb([x as u8, y as u8, 90]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        out.into_inner()
    };
    let form = || {
        reqwest::multipart::Form::new()
            .part(
                "file",
                reqwest::multipart::Part::bytes(jpeg.clone()).file_name("anh.jpg"),
            )
            .text("alt_text", "Bảng tin phường")
            .text("focal_x", "0.5")
            .text("focal_y", "0.5")
            .text("once", key.clone())
    };
    let first = officer.post_multipart("/media", form()).await;
    let second = officer.post_multipart("/media", form()).await;
    assert!(
        first.redirects_to("/media/"),
        "{} {}",
        first.status,
        first.body
    );
    assert_eq!(
        second.location, first.location,
        "the repeat leads to the first image"
    );
    assert_eq!(
        store.list_media(None, 100, 0).await.unwrap().1,
        1,
        "one image"
    );

    // A new form is a new key: the same content again is a second campaign.
    let form = campaign_form("Một lần thôi", &hanoi_day(0), &hanoi_day(30));
    let before = campaigns(&app).await;
    twice(&officer, "/campaigns/new", "/campaigns/new", &form).await;
    let after = campaigns(&app).await;
    assert_eq!(after, before + 1);
}
both!(a_repeated_creating_form_creates_once);
