//! Exactly once under the two hardest conditions: two dispatchers on one database at the same
//! time, and a Loa process killed with SIGKILL in the middle of a run, then restarted.

use std::time::{Duration, Instant};

use loa::sandbox::{self, Running};
use loa::store::Store;

use crate::both;
use crate::helpers::{Backend, TestApp};
use crate::publishing::{connect, publisher, scheduled_posts};

async fn open_count(store: &Store, posts: &[i64]) -> usize {
    let mut open = 0;
    for id in posts {
        open += store
            .deliveries_of_post(*id)
            .await
            .unwrap()
            .iter()
            .filter(|d| !["published", "failed", "cancelled"].contains(&d.state.as_str()))
            .count();
    }
    open
}

/// How many deliveries the webhook receiver kept (it keeps each delivery id once).
pub async fn stored_webhooks(r: &Running) -> usize {
    let v: serde_json::Value = reqwest::get(format!("{}/_sim/received", r.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["deliveries"].as_array().map(|a| a.len()).unwrap_or(0)
}

async fn two_dispatchers_on_one_database_publish_each_delivery_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let any = "127.0.0.1:0".parse().unwrap();
    let sims = [
        sandbox::wordpress::spawn(any).await.unwrap(),
        sandbox::mastodon::spawn(any).await.unwrap(),
        sandbox::webhook::spawn(any).await.unwrap(),
    ];
    for s in &sims {
        connect(&app, s, None).await;
        s.sim.set_latency(5);
    }
    let posts = scheduled_posts(&app, 40, &["portal", "mastodon", "webhook"]).await;
    // A second instance: its own connection pool and its own lease owner.
    let second = Store::connect(&app._db.url, 4).await.unwrap();
    let mut b = publisher(&app, "instance-b");
    b.store = second.clone();
    let a = publisher(&app, "instance-a");
    let run = |p: loa::publisher::Publisher| async move {
        for _ in 0..100 {
            p.step(loa::clock::now_ms()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while open_count(&app.state.store, &posts).await > 0 && Instant::now() < deadline {
        tokio::join!(run(a.clone()), run(b.clone()));
    }
    assert_eq!(open_count(&app.state.store, &posts).await, 0);
    for s in &sims[..2] {
        let stats = s.sim.stats();
        assert_eq!(
            (stats.created, stats.duplicates),
            (40, 0),
            "{:?}: {stats:?}",
            s.kind
        );
    }
    assert_eq!(stored_webhooks(&sims[2]).await, 40);
    assert_eq!(
        sims[2].sim.stats().duplicates,
        0,
        "no webhook was even sent twice"
    );
    second.close().await;
}
both!(two_dispatchers_on_one_database_publish_each_delivery_once);

/// Starts `loa serve` on the test's database with a fast worker and short leases.
fn start_loa(app: &TestApp) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_loa"))
        .env("LOA_DATA_DIR", app._db.dir.path())
        .env("LOA_DATABASE_URL", &app._db.url)
        .env("LOA_BIND", "127.0.0.1:0")
        .env("LOA_WORKER_INTERVAL_MS", "50")
        .env("LOA_CONNECTOR_TIMEOUT_SECONDS", "1")
        .env("LOA_PUBLISH_LEASE_SECONDS", "5")
        // Deliveries in flight at the kill wait this long (plus the timeout) for their lost
        // requests to land before anything is sent again.
        .env("LOA_PUBLISH_SETTLE_SECONDS", "10")
        .env("LOA_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("loa starts")
}

/// Posts in the crash run; each goes to 32 accounts: 9,984 deliveries.
const POSTS: usize = 312;

async fn a_killed_process_loses_nothing_and_publishes_nothing_twice(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let any = "127.0.0.1:0".parse().unwrap();
    // Eight accounts (each its own simulated page, site or receiver) per kind: 32 in all.
    let mut sims: Vec<Running> = Vec::new();
    for _ in 0..8 {
        sims.push(sandbox::wordpress::spawn(any).await.unwrap());
        sims.push(sandbox::facebook::spawn(any).await.unwrap());
        // Mastodon allows 300 statuses per 5 minutes; this run sends 312 per account, and
        // waiting out the window is the rate-limit test's business, not this one's.
        let roomy = sandbox::mastodon::Options {
            rate_limit: 1_000,
            ..Default::default()
        };
        sims.push(sandbox::mastodon::spawn_with(any, roomy).await.unwrap());
        sims.push(sandbox::webhook::spawn(any).await.unwrap());
    }
    for s in &sims {
        s.sim.set_latency(2);
        connect(&app, s, None).await;
    }
    // POSTS posts × 32 accounts.
    let posts = scheduled_posts(&app, POSTS, &["portal", "facebook", "mastodon", "webhook"]).await;
    let total: usize = POSTS * 32;
    let published = |store: Store| async move {
        store
            .delivery_counts()
            .await
            .unwrap()
            .iter()
            .find(|c| c.0 == "published")
            .map(|c| c.1)
            .unwrap_or(0) as usize
    };

    let started = Instant::now();
    let mut child = start_loa(&app);
    // Kill it mid-run: once half are out, with a full batch in flight.
    let deadline = Instant::now() + Duration::from_secs(120);
    while published(app.state.store.clone()).await < total / 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "crash test: {} published after {:.1} s",
        published(app.state.store.clone()).await,
        started.elapsed().as_secs_f64()
    );
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let at_kill = published(app.state.store.clone()).await;
    assert!(
        at_kill < total,
        "the kill landed mid-run ({at_kill}/{total})"
    );

    let restarted = Instant::now();
    let mut child = start_loa(&app);
    let deadline = Instant::now() + Duration::from_secs(240);
    // One aggregate query a second: a reader that never lets go would keep SQLite from
    // checkpointing its log and slow the process under test.
    while published(app.state.store.clone()).await < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
    child.kill().ok();
    child.wait().ok();
    let looked_up: i64 = app
        .state
        .store
        .attempt_counts()
        .await
        .unwrap()
        .iter()
        .filter(|(operation, _, _)| operation.starts_with("reconcile"))
        .map(|c| c.2)
        .sum();
    eprintln!(
        "crash test: killed at {at_kill}/{total} published; restart finished the rest in {:.1} s, \
         looking {looked_up} deliveries up on their channels first",
        restarted.elapsed().as_secs_f64()
    );
    assert_eq!(
        open_count(&app.state.store, &posts).await,
        0,
        "nothing lost"
    );
    assert_eq!(
        published(app.state.store.clone()).await,
        total,
        "every delivery published"
    );
    for s in &sims {
        if s.kind == loa::connectors::Kind::Webhook {
            // Webhooks are resent after an unconfirmed outcome; the receiver keeps each once.
            assert_eq!(stored_webhooks(s).await, POSTS, "each webhook stored once");
        } else {
            let stats = s.sim.stats();
            assert_eq!(
                stats.duplicates, 0,
                "{:?} saw a duplicate: {stats:?}",
                s.kind
            );
            assert_eq!(stats.created as usize, POSTS, "{:?}", s.kind);
        }
    }
}
both!(a_killed_process_loses_nothing_and_publishes_nothing_twice);
