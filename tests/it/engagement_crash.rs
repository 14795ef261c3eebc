//! A Loa process killed with SIGKILL in the middle of a click flood: every redirect it
//! answered has its click stored (and counted in the rollups), because a 302 leaves only after
//! the click's group has committed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::both;
use crate::helpers::{Backend, TestApp};

async fn killing_loa_in_a_click_flood_loses_no_answered_click(backend: Backend) {
    click_flood_then_kill(backend, "process").await
}
both!(killing_loa_in_a_click_flood_loses_no_answered_click);

/// The same with every group flushed to disk before its redirects answer.
async fn killing_loa_with_disk_durability_loses_no_answered_click(backend: Backend) {
    click_flood_then_kill(backend, "disk").await
}
both!(killing_loa_with_disk_durability_loses_no_answered_click);

async fn click_flood_then_kill(backend: Backend, durability: &str) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = officer.new_campaign("Bảng tin").await;
    let destinations: Vec<String> = (0..20)
        .map(|i| format!("https://hanoi.gov.vn/papi/{i}"))
        .collect();
    let made = app
        .state
        .store
        .plain_links(cid, &destinations)
        .await
        .unwrap();
    let slugs: Arc<Vec<String>> = Arc::new(made.into_iter().map(|(slug, _)| slug).collect());

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_loa"))
        .env("LOA_DATA_DIR", app._db.dir.path())
        .env("LOA_DATABASE_URL", &app._db.url)
        .env("LOA_BIND", format!("127.0.0.1:{port}"))
        .env("LOA_CLICK_FLAG_PER_MINUTE", "0")
        .env("LOA_CLICK_LIMIT_PER_MINUTE", "0")
        .env("LOA_CLICK_DURABILITY", durability)
        .env("LOA_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("loa starts");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while reqwest::get(format!("{base}/healthz")).await.is_err() {
        assert!(Instant::now() < deadline, "loa did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let answered = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut flood = tokio::task::JoinSet::new();
    for n in 0..16 {
        let (answered, sent, stop, slugs, base) = (
            answered.clone(),
            sent.clone(),
            stop.clone(),
            slugs.clone(),
            base.clone(),
        );
        flood.spawn(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let mut i = n;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                sent.fetch_add(1, Ordering::Relaxed);
                let url = format!("{base}/{}", slugs[i % slugs.len()]);
                match http
                    .get(url)
                    .header("user-agent", format!("Mozilla/5.0 reader {n}"))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 302 => {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            }
        });
    }
    while answered.load(Ordering::Relaxed) < 3_000 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    while flood.join_next().await.is_some() {}

    let answered = answered.load(Ordering::Relaxed) as i64;
    let sent = sent.load(Ordering::Relaxed) as i64;
    // PostgreSQL finishes a statement whose client was killed: a group in flight at the kill
    // may still commit. Read once the count stops moving (the rollups fold before they are read).
    let store = &app.state.store;
    let mut stored = store.click_count().await.unwrap();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = store.click_count().await.unwrap();
        if now == stored && store.click_rollup_total().await.unwrap() == now {
            break;
        }
        stored = now;
    }
    eprintln!(
        "click crash ({durability}): {sent} sent, {answered} answered with 302, {stored} stored"
    );
    assert!(answered >= 3_000, "the flood ran ({answered})");
    assert!(
        stored >= answered,
        "an answered click was lost: {stored} < {answered}"
    );
    assert!(
        stored <= sent,
        "more clicks than requests: {stored} > {sent}"
    );
    assert_eq!(
        store.click_rollup_total().await.unwrap(),
        stored,
        "rollups agree"
    );
}

/// One source clicking far too often: past `click_flag_per_minute` its clicks count as a
/// robot's, past `click_limit_per_minute` it gets 429 (with `Retry-After: 60`) and nothing more
/// is recorded. Low limits make every number exact.
async fn a_click_flood_is_flagged_then_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.click_flag_per_minute = 5;
        c.click_limit_per_minute = 20;
    })
    .await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = officer.new_campaign("Lũ").await;
    let made = app
        .state
        .store
        .plain_links(cid, &["https://hanoi.gov.vn/papi".to_string()])
        .await
        .unwrap();
    let slug = made[0].0.clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The limits count per clock minute: start well inside one.
    let into_minute = loa::clock::now_ms() % 60_000;
    if into_minute > 50_000 {
        tokio::time::sleep(std::time::Duration::from_millis(
            60_500 - into_minute as u64,
        ))
        .await;
    }
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    for _ in 0..30 {
        let r = http
            .get(format!("{}/{slug}", app.base))
            .header("user-agent", "Mozilla/5.0 Mobile")
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            assert_eq!(
                r.headers().get("retry-after").and_then(|v| v.to_str().ok()),
                Some("60"),
                "a refusal says when to come back"
            );
        }
        *statuses.entry(r.status().as_u16()).or_default() += 1;
    }
    assert_eq!(
        statuses,
        std::collections::BTreeMap::from([(302, 20), (429, 10)]),
        "20 answered, the rest refused"
    );
    assert_eq!(
        app.state.store.click_count().await.unwrap(),
        20,
        "a refused click is not recorded"
    );
    let links = app.state.store.campaign_qr_codes(cid).await.unwrap();
    assert_eq!(
        links[0].scans, 5,
        "past five a minute the source is a robot and its clicks are not counted"
    );
}
both!(a_click_flood_is_flagged_then_refused);
