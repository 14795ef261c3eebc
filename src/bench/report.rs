//! `loa bench report`: the district report for a quarter over 90 days of activity — 30
//! districts, 579 wards, 5,000 posts, N click events and M metric snapshots — timed as a real
//! HTTP request to a real server, and as the store function alone.
//!
//! Clicks are seeded as the `click_daily` rows N clicks produce (robots 3 %, QR scans a fifth),
//! added to the report rollups by `Store::rebuild_click_reports`; `--raw-clicks` also writes the
//! N raw rows. Snapshots go in per delivery in time order through the snapshot trigger.

use std::fmt::Write;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::startup::Application;
use crate::store::{CampaignRecord, CampaignTarget, ReportQuery, Scope, Store};

pub struct Options {
    pub events: u64,
    pub snapshots: u64,
    pub posts: usize,
    pub runs: usize,
    pub raw_clicks: bool,
    pub database_url: Option<String>,
}

fn median(v: &[Duration]) -> f64 {
    let mut s = v.to_vec();
    s.sort();
    s.get(s.len() / 2)
        .copied()
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0
}

/// A small deterministic generator, so two runs seed the same data.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub async fn run(o: Options) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("loa-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let mut config = Config::for_data_dir(&dir, o.database_url.clone());
    config.run_worker = false;
    config.admin_password = Some("bench-admin-password".into());
    let app = Application::build(config).await?;
    let state = app.state().clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped(std::future::pending()));
    let store = &state.store;
    println!(
        "report benchmark on {} ({} events, {} snapshots, {} posts)",
        store.backend_name(),
        o.events,
        o.snapshots,
        o.posts
    );

    let started = Instant::now();
    let snapshot = store.active_snapshot().await?;
    let districts = store.area_codes_at_level(&snapshot, "district").await?;
    let to = crate::reports::period::today();
    let from = to - time::Duration::days(89);
    let start_ms = crate::store::day_start_ms(from);
    let end_ms = crate::store::day_start_ms(to) + 86_399_000;
    let ids: Vec<i64> = districts.iter().map(|d| d.0).collect();
    let (user, first) = super::bench_campaign(store, &ids, from, to).await?;
    let mut campaigns = vec![first];
    for i in 1..12 {
        let rec = CampaignRecord {
            title: format!("Chiến dịch {i}"),
            owner_code: "vp-ubnd".into(),
            snapshot: snapshot.clone(),
            status: "active".into(),
            starts_on: from.to_string(),
            ends_on: to.to_string(),
            dimensions: vec![format!("D{}", i % 8 + 1)],
            targets: ids
                .iter()
                .map(|u| CampaignTarget {
                    area_id: *u,
                    kpi_posts: Some(15),
                    kpi_reach: Some(40_000),
                    kpi_clicks: Some(20_000),
                    kpi_scans: Some(2_000),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        campaigns.push(
            store
                .create_campaign(&rec, user, |_| Default::default())
                .await?,
        );
    }
    store
        .execute_generated(&format!(
            "insert into channel_account (kind, name, unit_id, sealed_credentials, created_at, updated_at) \
             select 'facebook', 'Bench ' || code, area_id, 'x', 0, 0 from area where snapshot = '{snapshot}' and level = 'district'; \
             insert into channel_account (kind, name, unit_id, sealed_credentials, created_at, updated_at) \
             values ('facebook', 'Bench city', null, 'x', 0, 0)"
        ))
        .await?;
    // Posts: one in 31 is the city's, the others each district's in turn, spread over 90 days.
    let mut rng = Lcg(7);
    for chunk in (0..o.posts).collect::<Vec<_>>().chunks(1000) {
        let mut sql = String::from(
            "insert into post (campaign_id, unit_id, author_id, title, body, status, published_at, created_at, updated_at) values ",
        );
        for (n, i) in chunk.iter().enumerate() {
            let unit = match i % 31 {
                0 => "null".to_string(),
                k => ids[(k - 1) % ids.len()].to_string(),
            };
            let at = start_ms + (rng.next() * (end_ms - start_ms) as f64) as i64;
            let _ = write!(
                sql,
                "{}({}, {unit}, {user}, 'Bài {i}: công khai ngân sách', 'Nội dung', 'published', {at}, {at}, {at})",
                if n > 0 { ", " } else { "" },
                campaigns[i % campaigns.len()]
            );
        }
        store.execute_generated(&sql).await?;
    }
    let qr_campaigns: Vec<String> = campaigns.iter().take(4).map(|c| c.to_string()).collect();
    store
        .execute_generated(&format!(
            "insert into delivery (post_id, account_id, nonce, state, due_at, created_at, updated_at, published_at, remote_id) \
             select p.post_id, a.account_id, 'bench-' || p.post_id, 'published', p.published_at, p.published_at, \
             p.published_at, p.published_at, 'r' || p.post_id from post p \
             join channel_account a on a.unit_id is not distinct from p.unit_id; \
             insert into tracked_link (slug, campaign_id, post_id, account_id, unit_id, source, destination, created_at, attribution) \
             select 'bp' || p.post_id, p.campaign_id, p.post_id, d.account_id, p.unit_id, 'post', 'https://hanoi.gov.vn/', \
             p.published_at, 'bench-post-' || p.post_id from delivery d join post p on p.post_id = d.post_id; \
             insert into tracked_link (slug, campaign_id, post_id, account_id, unit_id, source, destination, created_at, attribution) \
             select 'bq' || c.campaign_id || '-' || w.area_id, c.campaign_id, null, null, w.area_id, 'qr', \
             'https://hanoi.gov.vn/', 0, 'bench-qr-' || c.campaign_id || '-' || w.area_id from campaign c \
             cross join area w where w.snapshot = '{snapshot}' and w.level = 'commune' and c.campaign_id in ({})",
            qr_campaigns.join(", ")
        ))
        .await?;
    let setup = started.elapsed();

    // Clicks: people's post clicks over the 14 days after publishing (decaying), QR scans
    // over the whole 90 days; robots on top. Counts are whole numbers summing exactly to N.
    let t = Instant::now();
    let post_links = store
        .pairs_generated("select l.link_id, p.published_at from tracked_link l join post p on p.post_id = l.post_id order by l.link_id")
        .await?;
    let qr_links = store
        .pairs_generated("select link_id, cast(0 as bigint) from tracked_link where source = 'qr' order by link_id")
        .await?;
    let mut cells: Vec<(i64, i64, f64)> = Vec::new();
    for (link, published) in &post_links {
        let day0 = (published - start_ms) / 86_400_000;
        for d in 0..14 {
            if day0 + d < 90 {
                cells.push((
                    *link,
                    day0 + d,
                    0.8 * 0.7f64.powi(d as i32) * (0.5 + rng.next()),
                ));
            }
        }
    }
    let post_weight: f64 = cells.iter().map(|c| c.2).sum();
    let post_cells = cells.len();
    for (link, _) in &qr_links {
        for d in 0..90 {
            cells.push((*link, d, rng.next()));
        }
    }
    let qr_weight: f64 = cells[post_cells..].iter().map(|c| c.2).sum();
    let people = o.events - o.events * 3 / 100;
    let bots = o.events - people;
    let mut counts: Vec<(i64, i64)> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let share = if i < post_cells {
                0.8 * c.2 / post_weight
            } else {
                0.2 * c.2 / qr_weight
            };
            let n = (people as f64 * share).floor() as i64;
            let b = (bots as f64 * share).floor() as i64;
            (n, b)
        })
        .collect();
    let (placed, placed_bots) = counts.iter().fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
    let n = counts.len() as i64;
    for i in 0..(people as i64 - placed) {
        counts[(i % n) as usize].0 += 1;
    }
    for i in 0..(bots as i64 - placed_bots) {
        counts[(i % n) as usize].1 += 1;
    }
    let mut rows = 0u64;
    let mut sql = String::new();
    for (i, ((link, d, _), (clicks, bots))) in cells.iter().zip(&counts).enumerate() {
        if *clicks + *bots == 0 {
            continue;
        }
        if sql.is_empty() {
            sql.push_str("insert into click_daily (link_id, day, clicks, unique_visitors, bot_clicks) values ");
        } else {
            sql.push_str(", ");
        }
        let day = from + time::Duration::days(*d);
        let _ = write!(
            sql,
            "({link}, '{day}', {clicks}, {}, {bots})",
            (clicks * 4 + 4) / 5
        );
        rows += 1;
        if rows.is_multiple_of(2000) || i + 1 == cells.len() {
            store.execute_generated(&sql).await?;
            sql.clear();
        }
    }
    if !sql.is_empty() {
        store.execute_generated(&sql).await?;
    }
    // Loaded as rollup rows rather than clicked: the report rollups are computed from them
    // the way the click writer would have added them.
    store.rebuild_click_reports().await?;
    let rollups = t.elapsed();
    let t = Instant::now();
    if o.raw_clicks {
        raw_clicks(store).await?;
    }
    let raw = t.elapsed();

    let t = Instant::now();
    let deliveries = store
        .scalar_generated("select count(*) from delivery")
        .await?
        .max(1);
    let per = (o.snapshots as i64 / deliveries).max(1);
    numbers(store, per).await?;
    let series = "bench_number g";
    store
        .execute_generated(&format!(
            "insert into metric_snapshot (delivery_id, at, views, reach, reactions, comments, shares, clicks, note) \
             select d.delivery_id, d.published_at + g.n * (({end_ms} - d.published_at) / {per}), \
             g.n * (d.delivery_id % 50 + 10), g.n * (d.delivery_id % 50 + 10) * 6 / 10, g.n * (d.delivery_id % 7 + 1), \
             g.n * (d.delivery_id % 3), g.n * (d.delivery_id % 2 + 1), null, '' \
             from delivery d cross join {series} where g.n <= {per} order by d.delivery_id, g.n"
        ))
        .await?;
    let snaps = t.elapsed();
    // Statistics and visibility maps as autovacuum would leave them after such a load (the
    // quarter took 287 ms on PostgreSQL right after loading).
    let pg = store.backend_name() == "postgres";
    let analyze = if pg { "vacuum analyze" } else { "analyze" };
    store.execute_generated(analyze).await?;

    let count = |sql: &'static str| store.scalar_generated(sql);
    let events =
        count("select cast(coalesce(sum(clicks + bot_clicks), 0) as bigint) from click_daily")
            .await?;
    println!(
        "  seeded in {:.1} s: setup {:.1} s, click rollups {:.1} s, raw clicks {:.1} s, snapshots {:.1} s",
        started.elapsed().as_secs_f64(),
        setup.as_secs_f64(),
        rollups.as_secs_f64(),
        raw.as_secs_f64(),
        snaps.as_secs_f64()
    );
    println!(
        "  click events (rollup sum) {events}; click_daily rows {}; raw click rows {}; metric_snapshot rows {}; report_daily rows {}",
        count("select count(*) from click_daily").await?,
        count("select count(*) from click").await?,
        count("select count(*) from metric_snapshot").await?,
        count("select count(*) from report_daily").await?
    );

    // Timing: the store function alone, then the whole page over HTTP (rendering included).
    let q = ReportQuery {
        snapshot: snapshot.clone(),
        from,
        to,
        campaign_id: None,
        dimension: None,
        district: None,
        scope: Scope::City,
        compare: None,
    };
    let mut store_times = Vec::new();
    store.district_report_full(&q).await?;
    for _ in 0..o.runs {
        let t = Instant::now();
        std::hint::black_box(store.district_report_full(&q).await?);
        store_times.push(t.elapsed());
    }
    let client = super::SignedIn::new(store, user).await?;
    let page = |path: String| client.get(path);
    let quarter = format!("{base}/reports?period=custom&from={from}&to={to}");
    let drill = format!("{quarter}&district={}", districts[0].1);
    page(quarter.clone()).await?;
    let (mut full, mut wards, mut bytes) = (Vec::new(), Vec::new(), 0);
    for _ in 0..o.runs {
        let (t, b) = page(quarter.clone()).await?;
        full.push(t);
        bytes = b;
        wards.push(page(drill.clone()).await?.0);
    }
    println!("  {:<52} {:>9}", "90-day district report", "median ms");
    println!(
        "  {:<52} {:>9.1}",
        "Store::district_report_full (rows, weeks, campaigns)",
        median(&store_times)
    );
    println!(
        "  {:<52} {:>9.1}",
        "GET /reports (whole page, HTTP)",
        median(&full)
    );
    println!(
        "  {:<52} {:>9.1}",
        "GET /reports?district=… (drill-down)",
        median(&wards)
    );
    println!("  page size {} KiB, {} runs each", bytes / 1024, o.runs);
    server.abort();
    store.close().await;
    // LOA_BENCH_KEEP=1 keeps the seeded SQLite database for a look at query plans.
    if std::env::var_os("LOA_BENCH_KEEP").is_some() {
        println!("  kept {}", dir.display());
    } else {
        std::fs::remove_dir_all(&dir).ok();
    }
    Ok(())
}

/// A table of the numbers 1..=n, to multiply rows set-based on both databases.
async fn numbers(store: &Store, n: i64) -> anyhow::Result<()> {
    store
        .execute_generated(&format!(
            "drop table if exists bench_number; create table bench_number (n bigint primary key); \
             insert into bench_number (n) with recursive s(n) as (select 1 union all select n + 1 from s where n < {n}) \
             select n from s"
        ))
        .await?;
    Ok(())
}

/// One raw click row per event counted in `click_daily`, set-based in the database.
async fn raw_clicks(store: &Store) -> anyhow::Result<()> {
    let max = store
        .scalar_generated(
            "select cast(coalesce(max(clicks + bot_clicks), 0) as bigint) from click_daily",
        )
        .await?;
    numbers(store, max).await?;
    let pg = store.backend_name() == "postgres";
    let day_ms = if pg {
        "cast(cast(cd.day as date) - date '1970-01-01' as bigint) * 86400000 - 25200000"
    } else {
        "(julianday(cd.day) - 2440587.5) * 86400000 - 25200000"
    };
    let (yes, no) = if pg { ("true", "false") } else { ("1", "0") };
    // A reader key: a number on PostgreSQL, hex text on SQLite (see `clicklog`).
    let visitor = if pg {
        "g.n % 997"
    } else {
        "printf('%016x', g.n % 997)"
    };
    // Writer -1: loaded, never folded (the rollups above already count them). SQLite numbers
    // rows itself; its one writer's mark then moves past them, so no fold scans them.
    let seq = if pg { "row_number() over ()" } else { "null" };
    store
        .execute_generated(&format!(
            "insert into click (writer_id, seq, link_id, at, day, device, bot, visitor) \
             select -1, {seq}, cd.link_id, cast({day_ms} as bigint) + g.n * 1000, cd.day, 'mobile', \
             case when g.n > cd.clicks then {yes} else {no} end, {visitor} \
             from click_daily cd join bench_number g on g.n <= cd.clicks + cd.bot_clicks"
        ))
        .await?;
    if !pg {
        store
            .execute_generated(
                "update click_writer set folded_seq = (select max(seq) from click) where writer_id = 0",
            )
            .await?;
    }
    Ok(())
}
