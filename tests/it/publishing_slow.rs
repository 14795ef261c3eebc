//! Channels that are slow before they save, on the real clock: the request outlives Loa's
//! timeout, the channel saves it anyway a little later (as PHP or Rails do after the client
//! has gone), and its listings show the new post later still. Loa must not send again while
//! that request may land: every channel ends with each post exactly once, and every delivery
//! owns a remote post of its own.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use loa::connectors::Kind;
use loa::sandbox::{self, Fault};
use loa::store::Delivery;

use crate::both;
use crate::helpers::{Backend, TestApp};
use crate::publishing::{connect, publisher, scheduled_posts, scheduled_posts_with};
use crate::publishing_crash::stored_webhooks;

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 120])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// How long a slow channel holds the first request before saving it (Loa gives up at 0.7 s).
const SLOW_MS: u64 = 2_500;
/// How long after saving a post shows in the channel's listings.
const LAG_MS: u64 = 1_500;

/// Steps the dispatcher on the real clock until no delivery of `posts` is open.
async fn settle(app: &TestApp, p: &loa::publisher::Publisher, posts: &[i64]) -> Vec<Delivery> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        p.step(loa::clock::now_ms()).await.unwrap();
        let mut all = Vec::new();
        for id in posts {
            all.extend(app.state.store.deliveries_of_post(*id).await.unwrap());
        }
        let open = all
            .iter()
            .filter(|d| !["published", "failed", "cancelled"].contains(&d.state.as_str()))
            .count();
        if open == 0 {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries still open after a minute: {:?}",
            all.iter()
                .map(|d| (d.delivery_id, d.state))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn slow_before_save_publishes_each_post_once_on_every_channel(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let any = "127.0.0.1:0".parse().unwrap();
    let sims = [
        sandbox::wordpress::spawn(any).await.unwrap(),
        sandbox::facebook::spawn(any).await.unwrap(),
        sandbox::zalo::spawn(any).await.unwrap(),
        sandbox::mastodon::spawn(any).await.unwrap(),
        sandbox::telegram::spawn(any).await.unwrap(),
        sandbox::webhook::spawn(any).await.unwrap(),
    ];
    let mut accounts = Vec::new();
    for s in &sims {
        accounts.push((connect(&app, s, None).await, s.kind));
        s.sim.set_slow(Some(SLOW_MS), None);
        s.sim.set_lag(LAG_MS);
        // The first post's create is slow; the second goes through at once.
        s.sim.force_next(Fault::Slow);
    }
    let channels = ["portal", "facebook", "mastodon", "telegram", "webhook"];
    let mut posts = scheduled_posts(&app, 2, &channels).await;
    // A Zalo article needs a cover image.
    let uploader = app.logged_in("anh", "officer", "").await;
    let page = crate::media::upload(&uploader, "bia.png", png(800, 450), "Ảnh bìa").await;
    let media = crate::helpers::id_from_location(&page, "/media/");
    posts.extend(scheduled_posts_with(&app, 2, &["zalo"], Some(media)).await);
    let p = publisher(&app, "worker-slow");
    let deliveries = settle(&app, &p, &posts).await;

    for (s, (account, kind)) in sims.iter().zip(&accounts) {
        let mine: Vec<&Delivery> = deliveries
            .iter()
            .filter(|d| d.account_id == *account)
            .collect();
        assert_eq!(mine.len(), 2, "{kind:?}: one delivery per post");
        let stats = s.sim.stats();
        match kind {
            Kind::Webhook => {
                // Resending is safe here: the receiver keeps each delivery id once.
                assert!(
                    mine.iter().all(|d| d.state.as_str() == "published"),
                    "{mine:?}"
                );
                assert_eq!(stored_webhooks(s).await, 2, "each webhook stored once");
            }
            Kind::Telegram => {
                // The Bot API cannot be asked: the slow message is left for a person, never
                // sent twice.
                assert_eq!(
                    (stats.created, stats.duplicates),
                    (2, 0),
                    "{kind:?}: {stats:?}"
                );
                let states: HashSet<&str> = mine.iter().map(|d| d.state.as_str()).collect();
                assert_eq!(states, HashSet::from(["published", "failed"]), "{mine:?}");
                let failed = mine.iter().find(|d| d.state.as_str() == "failed").unwrap();
                assert!(
                    failed.last_error.contains("check the channel"),
                    "{failed:?}"
                );
            }
            _ => {
                assert_eq!(
                    (stats.created, stats.duplicates),
                    (2, 0),
                    "{kind:?}: each post saved exactly once: {stats:?} {mine:?}"
                );
                assert!(
                    mine.iter().all(|d| d.state.as_str() == "published"),
                    "{kind:?}: {mine:?}"
                );
                let ids: HashSet<&str> =
                    mine.iter().filter_map(|d| d.remote_id.as_deref()).collect();
                assert_eq!(
                    ids.len(),
                    2,
                    "{kind:?}: each delivery owns its own remote post"
                );
                assert!(
                    mine.iter().all(|d| d.sends == 1),
                    "{kind:?}: nothing was sent twice: {mine:?}"
                );
                assert!(
                    mine.iter().any(|d| d.attempts > 1),
                    "{kind:?}: the slow one was looked up, not taken on faith: {mine:?}"
                );
            }
        }
    }
}
both!(slow_before_save_publishes_each_post_once_on_every_channel);

/// The review's Facebook case: a post with the same text as one published a minute earlier.
/// Its own answer is lost; the lookup must not take the older post for it (that one belongs
/// to another delivery), and it must still be published, once.
async fn a_look_alike_is_never_taken_for_a_lost_post(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let opts = sandbox::facebook::Options {
        // Graph refuses an identical *consecutive* post; this case is about a lookup, so the
        // older post is followed by another before ours.
        reject_duplicate_message: false,
        ..Default::default()
    };
    let fb = sandbox::facebook::spawn_with("127.0.0.1:0".parse().unwrap(), opts)
        .await
        .unwrap();
    let account = connect(&app, &fb, None).await;
    let p = publisher(&app, "worker-alike");
    // The same text twice: two posts of one campaign, published one after the other.
    let first = scheduled_posts(&app, 1, &["facebook"]).await;
    settle(&app, &p, &first).await;
    fb.sim.set_slow(Some(SLOW_MS), None);
    fb.sim.set_lag(LAG_MS);
    fb.sim.force_next(Fault::Slow);
    let second = same_text_again(&app, first[0]).await;
    let all = settle(&app, &p, &[first[0], second[0]]).await;
    let stats = fb.sim.stats();
    assert_eq!(
        stats.created, 2,
        "both posts on the Page, once each: {stats:?}"
    );
    let ids: HashSet<String> = all
        .iter()
        .filter(|d| d.account_id == account && d.state.as_str() == "published")
        .filter_map(|d| d.remote_id.clone())
        .collect();
    assert_eq!(
        ids.len(),
        2,
        "no remote id belongs to two deliveries: {all:?}"
    );
}
both!(a_look_alike_is_never_taken_for_a_lost_post);

/// A second post of the same campaign with exactly the text of `post`, due now.
async fn same_text_again(app: &TestApp, post: i64) -> Vec<i64> {
    let store = &app.state.store;
    let original = store.post(post).await.unwrap();
    let variants = store.post_variants(post).await.unwrap();
    let due = loa::clock::now_ms() - 1_000;
    let record = loa::store::PostRecord {
        title: original.title.clone(),
        body: original.body.clone(),
        link: original.link.clone(),
        scheduled_at: Some(due),
        variants,
        ..Default::default()
    };
    let ids = store
        .create_posts(
            original.campaign_id,
            original.author_id,
            loa::content::PostStatus::Scheduled,
            &[record],
        )
        .await
        .unwrap();
    store.schedule_deliveries(ids[0], due).await.unwrap();
    ids
}
