//! `loa bench calendar`: the month calendar with 5,000 posts, measured as a browser would see
//! it (a real HTTP request to a real server on a fresh database), server time taken from the
//! request's wall clock on the same machine.
//!
//! Baseline for the ratio: the same page for an empty month, which is routing, session,
//! templates and the filter lists without the posts; the difference is what 5,000 posts cost.

use std::time::{Duration, Instant};

use anyhow::Context;

use crate::config::Config;
use crate::startup::Application;
use crate::store::{PostRecord, VariantRow};

pub struct CalendarReport {
    pub posts: usize,
    pub seed: Duration,
    pub empty: Vec<Duration>,
    pub full: Vec<Duration>,
    pub week: Vec<Duration>,
    pub bytes: usize,
}

fn median(v: &[Duration]) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    s[s.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl CalendarReport {
    pub fn print(&self) {
        println!(
            "month calendar, {} posts in one month ({} runs each)",
            self.posts,
            self.full.len()
        );
        println!("  seeding the database: {:.0} ms", ms(self.seed));
        println!("  {:<34} {:>9} {:>9}", "page", "median ms", "min ms");
        for (name, v) in [
            ("empty month (baseline)", &self.empty),
            ("month with all posts", &self.full),
            ("one week of it", &self.week),
        ] {
            println!(
                "  {:<34} {:>9.2} {:>9.2}",
                name,
                ms(median(v)),
                ms(*v.iter().min().unwrap_or(&Duration::ZERO))
            );
        }
        println!("  month page size: {} KiB", self.bytes / 1024);
        println!(
            "  ratio full / empty month: {:.1}×",
            ms(median(&self.full)) / ms(median(&self.empty)).max(0.001)
        );
    }
}

/// Seeds `posts` scheduled posts over one month of a fresh database and times the pages.
pub async fn run(
    posts: usize,
    runs: usize,
    database_url: Option<String>,
) -> anyhow::Result<CalendarReport> {
    let dir = tempfile_dir()?;
    let mut config = Config::for_data_dir(&dir, database_url);
    config.run_worker = false;
    config.admin_password = Some("bench-admin-password".into());
    let app = Application::build(config).await?;
    let state = app.state().clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped(std::future::pending()));
    let store = &state.store;

    let started = Instant::now();
    let snapshot = store.active_snapshot().await?;
    let units = store.area_codes_at_level(&snapshot, "district").await?;
    // The month after this one, so every post is in the future and in one month view.
    let today = crate::clock::to_hanoi(crate::clock::now_ms()).date();
    let month = (today.replace_day(1)? + time::Duration::days(32)).replace_day(1)?;
    let last = (month + time::Duration::days(32)).replace_day(1)? - time::Duration::days(1);
    let ids: Vec<i64> = units.iter().map(|(id, _, _)| *id).collect();
    let (user, campaign) = super::bench_campaign(store, &ids, month, last).await?;
    let start_ms = month
        .midnight()
        .assume_offset(crate::clock::HANOI)
        .unix_timestamp()
        * 1000;
    let days = i64::from(last.day());
    let records: Vec<PostRecord> = (0..posts)
        .map(|i| PostRecord {
            unit_id: units.get(i % units.len().max(1)).map(|u| u.0),
            title: format!("Bài {i}: công khai ngân sách phường"),
            body: "Nội dung".into(),
            scheduled_at: Some(
                start_ms + (i as i64 % days) * 86_400_000 + (i as i64 % 14 + 6) * 3_600_000,
            ),
            variants: ["facebook", "zalo"]
                .iter()
                .map(|c| VariantRow {
                    channel: c.to_string(),
                    body: "Nội dung".into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    for chunk in records.chunks(1000) {
        store
            .create_posts(campaign, user, crate::content::PostStatus::Scheduled, chunk)
            .await?;
    }
    let seed = started.elapsed();

    let client = super::SignedIn::new(store, user).await?;
    let get = |path: String| client.get(path);
    let empty_month = (month + time::Duration::days(70)).replace_day(1)?;
    let mut report = CalendarReport {
        posts,
        seed,
        empty: vec![],
        full: vec![],
        week: vec![],
        bytes: 0,
    };
    // One warm-up each: the first request pays for template and connection set-up.
    get(format!("{base}/calendar?date={month}")).await?;
    get(format!("{base}/calendar?date={empty_month}")).await?;
    for _ in 0..runs {
        report
            .empty
            .push(get(format!("{base}/calendar?date={empty_month}")).await?.0);
        let (t, bytes) = get(format!("{base}/calendar?date={month}")).await?;
        report.full.push(t);
        report.bytes = bytes;
        report.week.push(
            get(format!(
                "{base}/calendar?view=week&date={}",
                month + time::Duration::days(7)
            ))
            .await?
            .0,
        );
    }
    server.abort();
    store.close().await;
    std::fs::remove_dir_all(&dir).ok();
    Ok(report)
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("loa-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}
