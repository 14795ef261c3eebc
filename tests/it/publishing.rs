//! The dispatcher against the channel simulators over real HTTP: with faults injected into a
//! fifth of all calls, every delivery ends published or failed with a reason, and the
//! simulators count no duplicate. An expired token pauses an account's deliveries until it is
//! reconnected.

use std::sync::Arc;
use std::time::Duration;

use loa::connectors::{Credentials, Kind};
use loa::publisher::Publisher;
use loa::sandbox::{self, Fault, Running};
use loa::store::{NewAccount, PostRecord, VariantRow};

use crate::both;
use crate::helpers::{Backend, TestApp, campaign_form, hanoi_day, id_from_location};

pub fn publisher(app: &TestApp, owner: &str) -> Publisher {
    Publisher {
        store: app.state.store.clone(),
        secret: app.state.secret.clone(),
        blobs: app.state.blobs.clone(),
        // Short, so a hanging or slow simulator answer becomes an ambiguous outcome quickly.
        http: loa::connectors::http_client(Duration::from_millis(700)),
        owner: owner.to_string(),
        public_url: app.base.clone(),
        link_base: app.base.clone(),
        lease: Duration::from_secs(30),
        // A lost answer may still land for this long: the slow-before-save simulators below
        // save within it.
        settle: Duration::from_secs(5),
        batch: 16,
        metrics: None,
        last_repair: Default::default(),
    }
}

pub async fn connect(app: &TestApp, r: &Running, unit_id: Option<i64>) -> i64 {
    let creds: Credentials = sandbox::accounts::credentials(r);
    let sealed = app.state.secret.seal(&serde_json::to_vec(&creds).unwrap());
    app.state
        .store
        .create_account(&NewAccount {
            kind: r.kind.as_str(),
            name: &format!("Sandbox {}", r.kind.as_str()),
            unit_id,
            sealed_credentials: &sealed,
            sandbox: true,
            rate_per_minute: 600,
            concurrency: 4,
        })
        .await
        .unwrap()
}

/// `n` city posts of a fresh campaign, scheduled a second ago for `channels`, with deliveries.
pub async fn scheduled_posts(app: &TestApp, n: usize, channels: &[&str]) -> Vec<i64> {
    scheduled_posts_with(app, n, channels, None).await
}

/// Like `scheduled_posts`, each post carrying the image `media_id` when given.
pub async fn scheduled_posts_with(
    app: &TestApp,
    n: usize,
    channels: &[&str],
    media_id: Option<i64>,
) -> Vec<i64> {
    static OFFICERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let nth = OFFICERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // One officer per call, so a test may call this more than once.
    let officer = app.logged_in(&format!("lan{nth}"), "officer", "").await;
    let page = officer
        .post_pairs(
            "/campaigns/new",
            &campaign_form("Phát hành", &hanoi_day(-1), &hanoi_day(30)),
        )
        .await;
    let cid = id_from_location(&page, "/campaigns/");
    let author = app
        .state
        .store
        .post(0)
        .await
        .map(|p| p.author_id)
        .unwrap_or(1);
    let due = loa::clock::now_ms() - 1_000;
    let records: Vec<PostRecord> = (0..n)
        .map(|i| PostRecord {
            title: format!("Tin PAPI số {i}"),
            body: format!("Nội dung số {i} về công khai ngân sách."),
            link: Some(format!("https://hanoi.gov.vn/papi/{i}")),
            scheduled_at: Some(due),
            media_id,
            variants: channels
                .iter()
                .map(|c| VariantRow {
                    channel: c.to_string(),
                    title: format!("Tin PAPI số {i}"),
                    summary: "Tóm tắt".into(),
                    body: format!("Nội dung số {i} về công khai ngân sách."),
                    edited: false,
                })
                .collect(),
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

/// Steps the dispatcher until nothing is open, moving the clock past every backoff. An
/// account flagged by an expired-token fault is reconnected, as an officer would.
pub async fn drain(p: &Publisher, app: &TestApp, posts: &[i64]) {
    let mut now = loa::clock::now_ms();
    for _ in 0..200 {
        p.step(now).await.unwrap();
        for a in app.state.store.list_accounts(None).await.unwrap() {
            if a.status.as_str() == "needs_reauth" {
                app.state
                    .store
                    .set_account_status(a.account_id, loa::states::AccountStatus::Active, "")
                    .await
                    .unwrap();
            }
        }
        let mut open = 0;
        for id in posts {
            open += app
                .state
                .store
                .deliveries_of_post(*id)
                .await
                .unwrap()
                .iter()
                .filter(|d| !["published", "failed", "cancelled"].contains(&d.state.as_str()))
                .count();
        }
        if open == 0 {
            return;
        }
        // The test clock jumps past backoffs, but simulators count their rate limits in real
        // time (Telegram: about one message a second per chat); let a little of it pass.
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        now += 15 * 60_000;
    }
    panic!("deliveries still open after 200 steps");
}

async fn twenty_percent_faults_end_published_or_failed_with_no_duplicate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let any = "127.0.0.1:0".parse().unwrap();
    let sims = [
        sandbox::wordpress::spawn(any).await.unwrap(),
        sandbox::facebook::spawn(any).await.unwrap(),
        sandbox::webhook::spawn(any).await.unwrap(),
    ];
    // This test moves the clock 15 minutes a step, which real-time slowness cannot follow:
    // a request held before saving is `publishing_slow`'s case, on the real clock.
    let kinds: Vec<Fault> = Fault::ALL
        .into_iter()
        .filter(|f| *f != Fault::Slow)
        .collect();
    let mut accounts = Vec::new();
    for (i, s) in sims.iter().enumerate() {
        accounts.push(connect(&app, s, None).await);
        s.sim.set_faults(0.2, kinds.clone(), 7 + i as u64);
    }
    let posts = scheduled_posts(&app, 20, &["portal", "facebook", "webhook"]).await;
    let p = publisher(&app, "worker-a");
    drain(&p, &app, &posts).await;

    let mut published = 0;
    for id in &posts {
        let deliveries = app.state.store.deliveries_of_post(*id).await.unwrap();
        assert_eq!(deliveries.len(), 3);
        for d in &deliveries {
            match d.state.as_str() {
                "published" => {
                    published += 1;
                    assert!(d.remote_id.as_deref().is_some_and(|r| !r.is_empty()));
                }
                "failed" => assert!(!d.last_error.is_empty(), "a dead letter carries its reason"),
                other => panic!("delivery {} ended {other}", d.delivery_id),
            }
        }
        let post = app.state.store.post(*id).await.unwrap();
        let done = deliveries
            .iter()
            .filter(|d| d.state.as_str() == "published")
            .count();
        let expected = match done {
            3 => "published",
            0 => "failed",
            _ => "partially_published",
        };
        assert_eq!(
            post.status.as_str(),
            expected,
            "the post sums its deliveries"
        );
    }
    assert!(
        published >= 50,
        "most deliveries get through 20% faults: {published}/60"
    );
    for s in &sims[..2] {
        let stats = s.sim.stats();
        assert!(stats.faults > 0, "{:?} injected faults", s.kind);
        assert_eq!(
            stats.duplicates, 0,
            "{:?} saw a duplicate: {stats:?}",
            s.kind
        );
    }
    // Webhooks are resent after an ambiguous answer by design; the receiver keeps each once.
    let received: serde_json::Value = reqwest::get(format!("{}/_sim/received", sims[2].base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored = received["deliveries"].as_array().unwrap().len();
    let mut webhook_published = 0;
    for id in &posts {
        webhook_published += app
            .state
            .store
            .deliveries_of_post(*id)
            .await
            .unwrap()
            .iter()
            .filter(|d| d.account_id == accounts[2] && d.state.as_str() == "published")
            .count();
    }
    assert_eq!(
        stored, webhook_published,
        "the receiver kept each published webhook delivery once"
    );
}
both!(twenty_percent_faults_end_published_or_failed_with_no_duplicate);

async fn an_expired_token_pauses_the_account_until_it_is_reconnected(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let wp = sandbox::wordpress::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let account = connect(&app, &wp, None).await;
    let posts = scheduled_posts(&app, 3, &["portal"]).await;
    for _ in 0..3 {
        wp.sim.force_next(Fault::ExpiredToken);
    }
    let p = publisher(&app, "worker-a");
    p.step(loa::clock::now_ms()).await.unwrap();
    let acc = app.state.store.account(account).await.unwrap();
    assert_eq!(acc.status.as_str(), "needs_reauth");
    assert!(!acc.status_reason.is_empty());
    for id in &posts {
        let d = &app.state.store.deliveries_of_post(*id).await.unwrap()[0];
        assert_eq!(
            d.state.as_str(),
            "paused",
            "nothing is sent through a broken account"
        );
    }
    // Nothing more is claimed while the account waits for a person.
    assert_eq!(
        p.step(loa::clock::now_ms() + 3_600_000)
            .await
            .unwrap()
            .claimed,
        0
    );

    // Reconnected: the paused deliveries resume and publish.
    app.state
        .store
        .set_account_status(account, loa::states::AccountStatus::Active, "")
        .await
        .unwrap();
    drain(&p, &app, &posts).await;
    for id in &posts {
        assert_eq!(
            app.state.store.post(*id).await.unwrap().status.as_str(),
            "published"
        );
    }
    assert_eq!(wp.sim.stats().duplicates, 0);
    let _ = Arc::new(Kind::Wordpress);
}
both!(an_expired_token_pauses_the_account_until_it_is_reconnected);
