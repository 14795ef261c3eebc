//! `/publishing` and the post page as an officer reads them while posts go out: what goes out
//! next, what waits, counts that open their lists, channel errors in Vietnamese with what to do
//! (the channel's own text folded away), paused accounts linked to their reconnect form, and
//! district staff seeing only their unit's deliveries.

use loa::sandbox::{self, Fault};
use loa::store::{PostRecord, VariantRow};

use crate::both;
use crate::helpers::{Backend, TestApp, Visitor, id_from_location};
use crate::publishing::{connect, publisher};

/// City posts of `cid` scheduled at `due` for `channel`, with their deliveries.
async fn posts_at(app: &TestApp, cid: i64, titles: &[&str], channel: &str, due: i64) -> Vec<i64> {
    let author = app
        .state
        .store
        .user_for_login("lan")
        .await
        .unwrap()
        .0
        .user_id;
    let records: Vec<PostRecord> = titles
        .iter()
        .map(|t| PostRecord {
            title: t.to_string(),
            body: format!("{t}: nội dung."),
            scheduled_at: Some(due),
            variants: vec![VariantRow {
                channel: channel.into(),
                title: t.to_string(),
                summary: String::new(),
                body: format!("{t}: nội dung."),
                edited: false,
            }],
            ..PostRecord::default()
        })
        .collect();
    let ids = app
        .state
        .store
        .create_posts(cid, author, loa::content::PostStatus::Scheduled, &records)
        .await
        .unwrap();
    for id in &ids {
        app.state.store.schedule_deliveries(*id, due).await.unwrap();
    }
    ids
}

async fn officer(app: &TestApp) -> (Visitor, i64) {
    let v = app.logged_in("lan", "officer", "").await;
    let cid = v.new_campaign("Hàng đợi đăng bài").await;
    (v, cid)
}

async fn the_queue_explains_errors_and_links_every_count(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (officer, cid) = officer(&app).await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    let any = "127.0.0.1:0".parse().unwrap();
    let telegram = sandbox::telegram::spawn(any).await.unwrap();
    let mastodon = sandbox::mastodon::spawn(any).await.unwrap();
    let tg = connect(&app, &telegram, None).await;
    let md = connect(&app, &mastodon, None).await;
    let now = loa::clock::now_ms();
    let sent = posts_at(
        &app,
        cid,
        &["Tin gửi ngay Telegram"],
        "telegram",
        now - 1_000,
    )
    .await;
    let paused = posts_at(
        &app,
        cid,
        &["Tin Mastodon bị dừng"],
        "mastodon",
        now - 1_000,
    )
    .await;
    let later = posts_at(
        &app,
        cid,
        &["Tin hẹn chiều nay"],
        "telegram",
        now + 3_600_000,
    )
    .await;
    telegram.sim.force_next(Fault::RateLimited);
    mastodon.sim.force_next(Fault::ExpiredToken);
    publisher(&app, "worker").step(now).await.unwrap();

    // The post page: the channel's errors in Vietnamese, with what happens next.
    let page = officer.get(&format!("/posts/{}", sent[0])).await.body;
    assert!(page.contains("Kênh đang giới hạn số lượt đăng"), "{page}");
    assert!(page.contains("Loa sẽ tự thử lại lúc"));
    assert!(
        page.contains("<summary>Chi tiết từ kênh</summary><code>") && page.contains("429"),
        "the raw text stays, folded"
    );
    let page = officer.get(&format!("/posts/{}", paused[0])).await.body;
    assert!(
        page.contains("Kênh không chấp nhận mã truy cập"),
        "{:?}",
        app.state.store.deliveries_of_post(paused[0]).await.unwrap()
    );
    assert!(page.contains(&format!("href=\"/accounts/{md}#reconnect\"")));

    // /publishing: next out, counts linking to their lists, paused accounts, refresh.
    let health = officer.get("/publishing").await.body;
    let next =
        &health[health.find("id=\"next\"").unwrap()..health.find("id=\"in-flight\"").unwrap()];
    assert!(
        next.contains("Tin hẹn chiều nay")
            && next.contains(&format!("/posts/{}#deliveries", later[0]))
    );
    assert!(
        next.contains("Tin gửi ngay Telegram"),
        "a retry waits in the queue too"
    );
    assert!(
        next.contains(&loa::clock::format_hanoi(now + 3_600_000)),
        "time in dd/mm/yyyy HH:MM"
    );
    assert!(health.contains("href=\"/publishing?state=paused#list\""));
    assert!(health.contains(&format!("href=\"/accounts/{md}#reconnect\"")));
    assert!(health.contains("Cập nhật lúc") && health.contains("id=\"refresh-link\""));
    let listed = officer.get("/publishing?state=paused").await.body;
    let start = listed.find("id=\"list\"").expect("the list opens");
    let list = &listed[start..start + listed[start..].find("</section>").unwrap()];
    assert!(list.contains("Tin Mastodon bị dừng") && list.contains("Hãy kết nối lại tài khoản"));
    assert!(
        !list.contains("Tin hẹn chiều nay"),
        "only the state asked for"
    );

    // District staff see only their unit's deliveries (none of the city's).
    let theirs = ba_dinh.get("/publishing").await.body;
    assert!(!theirs.contains("Tin hẹn chiều nay") && !theirs.contains("Sandbox mastodon"));
    let _ = tg;
}
both!(the_queue_explains_errors_and_links_every_count);

async fn an_account_is_prefilled_tested_and_shown_as_it_really_is(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (officer, _) = officer(&app).await;
    let telegram = sandbox::telegram::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let creds = serde_json::to_value(sandbox::accounts::credentials(&telegram)).unwrap();
    let (base, chat, token) = (
        creds["base_url"].as_str().unwrap().to_string(),
        creds["chat_id"].as_str().unwrap().to_string(),
        creds["bot_token"].as_str().unwrap().to_string(),
    );
    // Vietnamese labels on the form.
    let wp = officer.get("/accounts/new?kind=wordpress").await.body;
    assert!(wp.contains("Mật khẩu ứng dụng (Application Password)"));
    let page = officer
        .post(
            "/accounts/new",
            &[
                ("kind", "telegram"),
                ("name", "Kênh Telegram Cầu Giấy"),
                ("unit_code", ""),
                ("base_url", &base),
                ("bot_token", "123:sai"),
                ("chat_id", &chat),
                ("sandbox", "1"),
            ],
        )
        .await;
    let id = id_from_location(&page, "/accounts/");
    let list = officer.get("/accounts").await.body;
    assert!(
        list.contains("Chưa kiểm tra") && !list.contains(">Hoạt động<"),
        "{list}"
    );

    // A failed test is explained and stays visible.
    let tested = officer
        .post(&format!("/accounts/{id}/test"), &[])
        .await
        .body;
    assert!(tested.contains("Không kết nối được."));
    assert!(
        tested.contains("Kênh không chấp nhận mã truy cập"),
        "{tested}"
    );
    assert!(tested.contains("<summary>Chi tiết từ kênh</summary>") && tested.contains("401"));
    assert!(
        officer
            .get("/accounts")
            .await
            .body
            .contains("Kiểm tra thất bại")
    );

    // The reconnect form keeps the saved address and chat: only the token changes.
    let show = officer.get(&format!("/accounts/{id}")).await.body;
    assert!(
        show.contains(&format!("value=\"{}\"", base.replace('/', "&#x2F;"))),
        "{show}"
    );
    assert!(show.contains(&format!("value=\"{chat}\"")));
    let saved = officer
        .post(
            &format!("/accounts/{id}/credentials"),
            &[
                ("base_url", &base),
                ("bot_token", &token),
                ("chat_id", &chat),
            ],
        )
        .await;
    assert!(saved.redirects_to("/accounts/"), "{}", saved.body);
    assert!(
        officer
            .get(&format!("/accounts/{id}"))
            .await
            .body
            .contains("Chưa kiểm tra")
    );
    let tested = officer
        .post(&format!("/accounts/{id}/test"), &[])
        .await
        .body;
    assert!(tested.contains("Kết nối được"), "{tested}");
    let list = officer.get("/accounts").await.body;
    assert!(list.contains(">Hoạt động<") && !list.contains("Kiểm tra thất bại"));

    // Beside the simulators (loa demo), the form offers the values to paste.
    let values =
        serde_json::json!({"telegram": {"base_url": base, "bot_token": token, "chat_id": chat}});
    app.state
        .store
        .set_setting(loa::channel_accounts::SANDBOX_VALUES, &values.to_string())
        .await
        .unwrap();
    let form = officer.get("/accounts/new?kind=telegram").await.body;
    assert!(form.contains("id=\"sandbox-values\"") && form.contains(&token));
}
both!(an_account_is_prefilled_tested_and_shown_as_it_really_is);
