//! `loa demo`: the demo workspace loads on a fresh database (both backends), reads well in the
//! pages a newcomer opens first, loads only once, and the command serves.

use crate::both;
use crate::helpers::{Backend, TestApp};

/// One number from the database, read beside the application (as an operator's query would).
async fn count(app: &TestApp, sql: &str) -> i64 {
    let url = &app._db.url;
    let n: Option<i64> = if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.expect("connects");
        let n = sqlx::query_scalar(sql).fetch_one(&pool).await.expect(sql);
        pool.close().await;
        n
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.expect("connects");
        let n = sqlx::query_scalar(sql).fetch_one(&pool).await.expect(sql);
        pool.close().await;
        n
    };
    n.unwrap_or(0)
}

async fn demo_workspace_loads_once_and_shows_engagement(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let sims = loa::sandbox::all::spawn_all(0).await.expect("simulators");
    let started = std::time::Instant::now();
    let loaded = loa::demo::load(&app.state, &sims)
        .await
        .expect("demo loads");
    eprintln!(
        "demo workspace loaded in {:?}: {loaded:?}",
        started.elapsed()
    );
    assert!(!loaded.reused);
    assert_eq!(loaded.campaigns, 4);
    assert!(loaded.written.posts > 100, "{loaded:?}");
    assert!(loaded.kit.is_some());

    // Every demo account logs in with the printed password.
    for (user, ..) in loa::demo::USERS {
        app.visitor().login(user, loa::demo::DEMO_PASSWORD).await;
    }
    let campaigns = count(
        &app,
        "select count(*) from campaign where title like '[Demo]%'",
    )
    .await;
    assert_eq!(campaigns, 4);
    let published = count(
        &app,
        "select count(*) from delivery where state = 'published'",
    )
    .await;
    assert!(published > 200, "{published}");
    let district_posts = count(&app, "select count(*) from post where unit_id is not null").await;
    assert!(district_posts > 30, "{district_posts}");
    let snapshots = count(&app, "select count(*) from metric_snapshot").await;
    assert!(snapshots > 1_000, "{snapshots}");
    let days = count(&app, "select count(distinct day) from click_daily").await;
    assert!(days >= 50, "{days}");
    let bots = count(
        &app,
        "select cast(sum(bot_clicks) as bigint) from click_daily",
    )
    .await;
    let humans = count(&app, "select cast(sum(clicks) as bigint) from click_daily").await;
    assert!(
        bots > 0 && bots * 10 < humans,
        "bots {bots} humans {humans}"
    );
    let qr = count(
        &app,
        "select count(*) from tracked_link where source = 'qr'",
    )
    .await;
    assert!(qr >= 36, "{qr}");

    // The campaign page: engagement by district, bots not counted.
    let campaign = loa::demo::demo_campaigns(&app.state.store).await.unwrap()[0];
    let rows = app.state.store.campaign_engagement(campaign).await.unwrap();
    let badinh = rows
        .iter()
        .find(|r| r.unit_code.as_deref() == Some("001"))
        .expect("Ba Đình has engagement");
    assert!(badinh.views > 0 && badinh.link_clicks > 0 && badinh.qr_scans > 0);
    let sql = format!(
        "select cast(sum(cd.clicks) as bigint) from click_daily cd join tracked_link l on l.link_id = cd.link_id \
         where l.campaign_id = {campaign}"
    );
    let all_clicks: i64 = rows.iter().map(|r| r.link_clicks + r.qr_scans).sum();
    assert_eq!(
        all_clicks,
        count(&app, &sql).await,
        "bot clicks are left out"
    );
    let manager = app.visitor();
    manager
        .login("demo-manager", loa::demo::DEMO_PASSWORD)
        .await;
    let page = manager.get(&format!("/campaigns/{campaign}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Tương tác theo đơn vị"), "{}", page.body);
    assert!(page.body.contains("Quận Ba Đình") && page.body.contains("[Demo]"));
    for path in ["/kits", "/calendar", "/publishing", "/campaigns"] {
        assert_eq!(manager.get(path).await.status, 200, "{path}");
    }
    let cascade = manager.get(&format!("/kits/{}", loaded.kit.unwrap())).await;
    assert_eq!(cascade.status, 200);
    assert!(
        cascade.body.contains("Quận Ba Đình") && cascade.body.contains("Quận Hoàn Kiếm"),
        "{}",
        cascade.body
    );

    // Live posts: scheduled a few seconds ahead with their deliveries to the simulators.
    let now = loa::clock::now_ms();
    let live = loa::demo::schedule_live(&app.state.store, now)
        .await
        .unwrap();
    assert_eq!(live.len(), 3);
    let pending = count(
        &app,
        "select count(*) from delivery where state = 'pending'",
    )
    .await;
    assert_eq!(pending, 6, "4 city channels and 2 district pages");

    // Loading again changes nothing.
    let before = count(&app, "select count(*) from post").await;
    let again = loa::demo::load(&app.state, &sims).await.expect("reloads");
    assert!(again.reused);
    assert_eq!(count(&app, "select count(*) from post").await, before);
    assert_eq!(
        count(
            &app,
            "select count(*) from app_user where username like 'demo-%'"
        )
        .await,
        5
    );
}
both!(demo_workspace_loads_once_and_shows_engagement);

/// `loa demo` prints where it is, serves /healthz, and on a second start reuses the workspace.
#[test]
fn demo_command_serves_and_reuses_its_workspace() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data-demo");
    let demo = |extra: &[&str]| {
        let mut args = vec!["demo", "--port", "0", "--sandbox-port", "0", "--no-traffic"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--data-dir", data.to_str().unwrap()]);
        Command::new(env!("CARGO_BIN_EXE_loa"))
            .args(&args)
            .current_dir(dir.path())
            .env("LOA_LANG", "en")
            .env("LOA_LOG", "warn")
            .env_remove("LOA_DATABASE_URL")
            .env_remove("LOA_DATA_DIR")
            .env_remove("LOA_ADMIN_PASSWORD")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("loa runs")
    };
    let mut child = demo(&[]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = String::new();
    let url = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("loa demo stopped before it was ready:\n{seen}\n{err}");
        };
        seen.push_str(&line);
        seen.push('\n');
        if let Some(url) = line.strip_prefix("Loa demo is ready at ") {
            break url.trim().to_string();
        }
    };
    let addr = url.trim_start_matches("http://").to_string();
    let mut conn = std::net::TcpStream::connect(&addr).expect("the demo listens");
    write!(conn, "GET /healthz HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
        "{answer}"
    );
    assert!(seen.contains("demo workspace loaded"), "{seen}");
    assert!(
        seen.contains("loa-demo-2026") && seen.contains("demo-manager"),
        "{seen}"
    );
    assert!(
        seen.contains("/reports") && seen.contains("loaded in"),
        "{seen}"
    );

    let again = demo(&["--exit-after-load"]).wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success(), "{text}");
    assert!(text.contains("reused"), "{text}");
}
