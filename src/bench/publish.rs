//! `loa bench publish`: 10,000 deliveries due at the same minute across 30 district accounts,
//! each account on its own simulator answering after 50 ms, each with a per-minute rate limit.
//!
//! Lateness is measured against what the rate limit allows: the k-th delivery of an account
//! limited to r calls a minute cannot go before `due + floor(k / r)` minutes, so only time
//! beyond that counts. CPU time is this process's (dispatcher, database and simulators together),
//! read from /proc/self/stat, so it overstates Loa's own share.

use std::time::{Duration, Instant};

use crate::config::Config;
use crate::connectors::Kind;
use crate::publisher::Publisher;
use crate::sandbox;
use crate::startup::Application;
use crate::store::{NewAccount, PostRecord, VariantRow};

pub struct Options {
    pub deliveries: usize,
    pub accounts: usize,
    pub latency_ms: u64,
    pub rate_per_minute: i64,
    pub concurrency: i64,
    pub database_url: Option<String>,
}

/// User plus system CPU seconds of this process so far (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after the ')'.
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub async fn run(o: Options) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("loa-bench-publish-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let mut config = Config::for_data_dir(&dir, o.database_url.clone());
    config.run_worker = false;
    config.admin_password = Some("bench-admin-password".into());
    let app = Application::build(config).await?;
    let state = app.state().clone();
    let store = state.store.clone();

    let snapshot = store.active_snapshot().await?;
    let units = store.area_codes_at_level(&snapshot, "district").await?;
    let units: Vec<(i64, String, String)> = units.into_iter().take(o.accounts).collect();
    let today = crate::clock::to_hanoi(crate::clock::now_ms()).date();
    let ids: Vec<i64> = units.iter().map(|u| u.0).collect();
    let (user, campaign) = super::bench_campaign(
        &store,
        &ids,
        today - time::Duration::days(1),
        today + time::Duration::days(1),
    )
    .await?;

    // One simulator per district account, a third each of WordPress, Facebook and webhook.
    let kinds = [Kind::Wordpress, Kind::Facebook, Kind::Webhook];
    let mut sims = Vec::new();
    for (i, (area_id, _, _)) in units.iter().enumerate() {
        let any = "127.0.0.1:0".parse()?;
        let r = match kinds[i % 3] {
            Kind::Wordpress => sandbox::wordpress::spawn(any).await?,
            Kind::Facebook => sandbox::facebook::spawn(any).await?,
            _ => sandbox::webhook::spawn(any).await?,
        };
        r.sim.set_latency(o.latency_ms);
        let creds = sandbox::accounts::credentials(&r);
        let sealed = state.secret.seal(&serde_json::to_vec(&creds)?);
        store
            .create_account(&NewAccount {
                kind: r.kind.as_str(),
                name: &format!("Bench {i}"),
                unit_id: Some(*area_id),
                sealed_credentials: &sealed,
                sandbox: true,
                rate_per_minute: o.rate_per_minute,
                concurrency: o.concurrency,
            })
            .await?;
        sims.push((r, *area_id));
    }
    // Seeded for later; all moved to one instant once seeding is done.
    let seed_due = crate::clock::now_ms() + 86_400_000;
    let per_account = o.deliveries / units.len().max(1);
    for (r, area_id) in &sims {
        let channel = r.kind.channel().as_str();
        let records: Vec<PostRecord> = (0..per_account)
            .map(|k| PostRecord {
                unit_id: Some(*area_id),
                title: format!("Tin {area_id}-{k}"),
                body: format!("Nội dung {area_id}-{k}"),
                scheduled_at: Some(seed_due),
                variants: vec![VariantRow {
                    channel: channel.into(),
                    title: format!("Tin {area_id}-{k}"),
                    summary: "Tóm tắt".into(),
                    body: format!("Nội dung {area_id}-{k}"),
                    edited: false,
                }],
                ..Default::default()
            })
            .collect();
        for id in store
            .create_posts(
                campaign,
                user,
                crate::content::PostStatus::Scheduled,
                &records,
            )
            .await?
        {
            store.schedule_deliveries(id, seed_due).await?;
        }
    }
    let due = crate::clock::now_ms() + 1_000;
    store.set_pending_due(due).await?;
    let total = per_account * sims.len();
    println!(
        "publishing {total} deliveries due at one instant: {} accounts × {per_account}, {} ms simulated latency, \
         {}/min and {} in flight per account",
        sims.len(),
        o.latency_ms,
        o.rate_per_minute,
        o.concurrency
    );

    let p = Publisher::for_state(&state);
    let store = store.clone();
    while crate::clock::now_ms() < due {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cpu0 = cpu_seconds();
    let wall = Instant::now();
    // The server's own dispatch loop (`Publisher::run`, as the worker runs it), stopped once
    // nothing is left open.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let lanes = tokio::spawn({
        let p = p.clone();
        let lanes = crate::publisher::lanes_for(&store);
        async move {
            p.run(lanes, Duration::from_millis(100), stop_rx, None)
                .await
        }
    });
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let counts = store.delivery_counts().await?;
        let open: i64 = counts
            .iter()
            .filter(|c| !["published", "failed", "cancelled"].contains(&c.0.as_str()))
            .map(|c| c.1)
            .sum();
        if open == 0 {
            break;
        }
    }
    let _ = stop_tx.send(true);
    lanes.await?;
    let elapsed = wall.elapsed();
    let cpu = cpu_seconds() - cpu0;

    // Lateness per delivery beyond its account's rate-limit minimum.
    let mut lateness: Vec<i64> = Vec::with_capacity(total);
    let mut failed = 0;
    for (_, area_id) in &sims {
        let mut times: Vec<i64> = Vec::new();
        for d in store.deliveries_of_unit(*area_id).await? {
            match d.published_at {
                Some(t) if d.state == crate::states::DeliveryState::Published => times.push(t),
                _ => failed += 1,
            }
        }
        times.sort();
        for (k, t) in times.iter().enumerate() {
            let minimum = due + (k as i64 / o.rate_per_minute.max(1)) * 60_000;
            lateness.push((t - minimum).max(0));
        }
    }
    lateness.sort();
    let duplicates: u64 = sims.iter().map(|(r, _)| r.sim.stats().duplicates).sum();
    println!("  wall time              {:.2} s", elapsed.as_secs_f64());
    println!(
        "  throughput             {:.0} deliveries/s",
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  lateness beyond limit  p50 {} ms, p99 {} ms, max {} ms",
        percentile(&lateness, 0.5),
        percentile(&lateness, 0.99),
        lateness.last().copied().unwrap_or(0)
    );
    println!(
        "  CPU (whole process)    {:.3} s, {:.0} µs per delivery",
        cpu,
        cpu * 1e6 / total as f64
    );
    println!("  failed {failed}, duplicates at the simulators {duplicates}");
    store.close().await;
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
