//! Publishing as an officer meets it, over HTTP: connect sandbox accounts through the pages
//! (secrets never shown back), schedule a post with an image to five channels, watch it publish
//! (a Zalo token refreshed on the way), break an account and see it paused and explained,
//! reconnect it and see it resume; retry, cancel and "mark as published" on the post page.

use reqwest::multipart::{Form, Part};

use loa::connectors::Kind;
use loa::sandbox::{self, Running};

use crate::both;
use crate::helpers::{Backend, TestApp, Visitor, campaign_form, hanoi_day, id_from_location};
use crate::publishing::{drain, publisher};

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(1600, 900, |x, y| {
        image::Rgb([(x / 7) as u8, (y / 4) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Connects a simulator through the "connect an account" form, as an officer would.
async fn connect_via_form(officer: &Visitor, r: &Running) -> i64 {
    let creds = serde_json::to_value(sandbox::accounts::credentials(r)).unwrap();
    let mut form: Vec<(String, String)> = vec![
        ("kind".into(), r.kind.as_str().into()),
        ("name".into(), format!("Sandbox {}", r.kind.as_str())),
        ("unit_code".into(), String::new()),
        ("sandbox".into(), "1".into()),
    ];
    for (k, v) in creds.as_object().unwrap() {
        if k != "kind" {
            form.push((
                k.clone(),
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            ));
        }
    }
    let page = officer.post_pairs("/accounts/new", &form).await;
    assert!(
        page.redirects_to("/accounts/"),
        "{} {}",
        page.status,
        page.body
    );
    id_from_location(&page, "/accounts/")
}

async fn an_officer_publishes_to_five_sandbox_channels_and_repairs_a_broken_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let any = "127.0.0.1:0".parse().unwrap();
    let sims = [
        sandbox::wordpress::spawn(any).await.unwrap(),
        sandbox::facebook::spawn(any).await.unwrap(),
        sandbox::zalo::spawn(any).await.unwrap(),
        sandbox::telegram::spawn(any).await.unwrap(),
        sandbox::mastodon::spawn(any).await.unwrap(),
    ];
    let mut accounts = Vec::new();
    for s in &sims {
        accounts.push(connect_via_form(&officer, s).await);
    }
    // Secrets are sealed at rest and never shown back.
    let page = officer.get(&format!("/accounts/{}", accounts[1])).await;
    assert!(
        page.body.contains("thử nghiệm"),
        "a sandbox account is labelled"
    );
    assert!(
        !page.body.contains("EAAGsandboxPageToken"),
        "the page token is not shown"
    );
    let acc = app.state.store.account(accounts[1]).await.unwrap();
    assert!(
        !acc.sealed_credentials.contains("EAAGsandboxPageToken"),
        "sealed at rest"
    );
    let tested = officer
        .post(&format!("/accounts/{}/test", accounts[0]), &[])
        .await;
    assert!(
        tested.body.contains("Kết nối được"),
        "test connection works"
    );

    // A post with an image to all five channels, scheduled a minute ahead.
    let campaign = officer
        .post_pairs(
            "/campaigns/new",
            &campaign_form("Phát hành", &hanoi_day(0), &hanoi_day(30)),
        )
        .await;
    let cid = id_from_location(&campaign, "/campaigns/");
    let upload = Form::new()
        .part("file", Part::bytes(png()).file_name("bia.png"))
        .text("alt_text", "Ảnh bìa chiến dịch");
    let media =
        id_from_location(&officer.post_multipart("/media", upload).await, "/media/").to_string();
    let mut form = crate::posts::post_form("Năm kênh một lúc", &[("media_id", &media)]);
    form.retain(|(k, _)| k != "channel");
    for c in ["portal", "facebook", "zalo", "telegram", "mastodon"] {
        form.push(("channel".into(), c.into()));
    }
    let post = id_from_location(
        &officer
            .post_pairs(&format!("/campaigns/{cid}/posts/new"), &form)
            .await,
        "/posts/",
    );
    for action in ["submit", "approve"] {
        let v = app
            .state
            .store
            .post(post)
            .await
            .unwrap()
            .version
            .to_string();
        assert!(
            officer
                .post(
                    &format!("/posts/{post}/transition"),
                    &[("action", action), ("version", &v)]
                )
                .await
                .redirects_to("/posts/")
        );
    }
    let v = app
        .state
        .store
        .post(post)
        .await
        .unwrap()
        .version
        .to_string();
    let when = loa::posts::hanoi_input_value(loa::clock::now_ms() + 120_000);
    let page = officer
        .post(
            &format!("/posts/{post}/transition"),
            &[
                ("action", "schedule"),
                ("version", &v),
                ("scheduled_at", &when),
            ],
        )
        .await;
    assert!(page.redirects_to("/posts/"), "{}", page.body);
    assert_eq!(
        app.state
            .store
            .deliveries_of_post(post)
            .await
            .unwrap()
            .len(),
        5
    );

    let zalo_before = app
        .state
        .store
        .account(accounts[2])
        .await
        .unwrap()
        .sealed_credentials;
    // The Zalo token has expired meanwhile: one worker refreshes it and the article goes out.
    reqwest::Client::new()
        .post(format!("{}/_sim/zalo/expire", sims[2].base_url()))
        .send()
        .await
        .unwrap();
    // Facebook's page token is revoked: that account pauses and says why.
    sims[1].sim.force_next(loa::sandbox::Fault::ExpiredToken);
    let p = publisher(&app, "worker");
    let mut now = loa::clock::now_ms() + 180_000;
    for _ in 0..30 {
        p.step(now).await.unwrap();
        now += 60_000;
    }
    let states: Vec<(i64, String)> = app
        .state
        .store
        .deliveries_of_post(post)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.account_id, d.state.to_string()))
        .collect();
    for (account, state) in &states {
        let expected = if *account == accounts[1] {
            "paused"
        } else {
            "published"
        };
        assert_eq!(state, expected, "account {account}: {states:?}");
    }
    assert_eq!(
        app.state.store.post(post).await.unwrap().status.as_str(),
        "publishing"
    );
    let zalo_after = app
        .state
        .store
        .account(accounts[2])
        .await
        .unwrap()
        .sealed_credentials;
    // Sealing uses a fresh nonce each time, so compare what the seals hold: the new pair of
    // tokens, the single-use refresh token included.
    let open = |sealed: &str| -> loa::connectors::Credentials {
        serde_json::from_slice(&app.state.secret.open(sealed).unwrap()).unwrap()
    };
    let tokens = |c: loa::connectors::Credentials| match c {
        loa::connectors::Credentials::Zalo {
            access_token,
            refresh_token,
            ..
        } => (access_token, refresh_token),
        other => panic!("not Zalo: {other:?}"),
    };
    let (access_before, refresh_before) = tokens(open(&zalo_before));
    let (access_after, refresh_after) = tokens(open(&zalo_after));
    assert_ne!(access_before, access_after, "a new access token was stored");
    assert_ne!(
        refresh_before, refresh_after,
        "the new single-use refresh token was stored"
    );
    assert!(!refresh_after.is_empty());
    let health = officer.get("/publishing").await;
    assert!(
        health.body.contains("Sandbox facebook"),
        "the broken account is listed"
    );
    let page = officer.get(&format!("/posts/{post}")).await;
    assert!(page.body.contains("Tạm dừng") && page.body.contains("xem trên kênh"));

    // Reconnected through the form (secrets left empty keep their values): it resumes.
    let page = officer
        .post(
            &format!("/accounts/{}/credentials", accounts[1]),
            &[
                ("base_url", sims[1].account["base_url"].as_str().unwrap()),
                ("page_id", "1000001"),
            ],
        )
        .await;
    assert!(
        page.redirects_to("/accounts/"),
        "{} {}",
        page.status,
        page.body
    );
    drain(&p, &app, &[post]).await;
    assert_eq!(
        app.state.store.post(post).await.unwrap().status.as_str(),
        "published"
    );
    for s in &sims {
        assert_eq!(s.sim.stats().duplicates, 0, "{:?}", s.kind);
    }
    let _ = Kind::Zalo;
}
both!(an_officer_publishes_to_five_sandbox_channels_and_repairs_a_broken_one);

async fn officers_retry_cancel_or_mark_deliveries_published(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let wp = sandbox::wordpress::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let tg = sandbox::telegram::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    crate::publishing::connect(&app, &wp, None).await;
    crate::publishing::connect(&app, &tg, None).await;
    let posts = crate::publishing::scheduled_posts(&app, 2, &["portal", "telegram"]).await;
    let officer = app.logged_in("minh", "officer", "").await;
    // Telegram's answer is lost after it sent: it cannot be asked, so a person decides.
    tg.sim.force_next(loa::sandbox::Fault::CommitThenFail);
    wp.sim.force_next(loa::sandbox::Fault::ServerError);
    let p = publisher(&app, "worker");
    drain(&p, &app, &posts).await;
    let failed: Vec<_> = app
        .state
        .store
        .deliveries_of_post(posts[0])
        .await
        .unwrap()
        .into_iter()
        .chain(app.state.store.deliveries_of_post(posts[1]).await.unwrap())
        .filter(|d| d.state.as_str() == "failed")
        .collect();
    let why: Vec<(&str, &str)> = failed
        .iter()
        .map(|d| (d.last_error_class.as_str(), d.last_error.as_str()))
        .collect();
    assert_eq!(
        failed.len(),
        1,
        "only the unconfirmable Telegram send waits for a person: {why:?}"
    );
    let d = &failed[0];
    assert!(
        d.last_error.contains("check the channel"),
        "{}",
        d.last_error
    );
    let decide = |decision: &'static str| {
        let officer = &officer;
        let (id, post) = (d.delivery_id, d.post_id.to_string());
        async move {
            officer
                .post(
                    &format!("/deliveries/{id}"),
                    &[
                        ("decision", decision),
                        ("post_id", &post),
                        ("remote_url", "https://t.me/ubnd_sandbox/1"),
                    ],
                )
                .await
        }
    };
    assert!(decide("mark_published").await.redirects_to("/posts/"));
    assert_eq!(
        app.state
            .store
            .post(d.post_id)
            .await
            .unwrap()
            .status
            .as_str(),
        "published"
    );
    assert_eq!(
        decide("cancel").await.status,
        409,
        "a published delivery cannot be cancelled"
    );
    let manager = app.logged_in("sep", "manager", "").await;
    let post_id = d.post_id.to_string();
    assert_eq!(
        manager
            .post(
                &format!("/deliveries/{}", d.delivery_id),
                &[("decision", "retry"), ("post_id", &post_id)]
            )
            .await
            .status,
        403
    );
    assert_eq!(tg.sim.stats().duplicates, 0);

    // A proxy's 502 page before Telegram saw anything: Loa cannot know that, so it asks a
    // person; the officer checks the channel, finds nothing and retries: it goes out once.
    let created = tg.sim.stats().created;
    let again = crate::publishing::scheduled_posts(&app, 1, &["telegram"]).await;
    tg.sim.force_next(loa::sandbox::Fault::HtmlError);
    drain(&p, &app, &again).await;
    let d = app.state.store.deliveries_of_post(again[0]).await.unwrap()[0].clone();
    assert_eq!(d.state.as_str(), "failed", "{d:?}");
    let retried = officer
        .post(
            &format!("/deliveries/{}", d.delivery_id),
            &[("decision", "retry"), ("post_id", &again[0].to_string())],
        )
        .await;
    assert!(retried.redirects_to("/posts/"), "{}", retried.status);
    drain(&p, &app, &again).await;
    let d = app.state.store.deliveries_of_post(again[0]).await.unwrap()[0].clone();
    assert_eq!(d.state.as_str(), "published", "{d:?}");
    assert_eq!(
        tg.sim.stats().created,
        created + 1,
        "sent once, after the retry"
    );
}
both!(officers_retry_cancel_or_mark_deliveries_published);
