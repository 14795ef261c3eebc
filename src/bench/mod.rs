//! Measurements run from the command line, so decisions about speed rest on figures from the
//! machine Loa will run on rather than on a developer's laptop.

/// `loa bench calendar`: the month calendar with 5,000 posts, against an empty month.
pub mod calendar;
/// `loa bench clicks`: the redirect under wrk, against a minimal in-memory redirect.
pub mod clicks;
/// `loa bench media`: ingesting and cutting variants, against ImageMagick.
pub mod media;
/// `loa bench publish`: 10,000 deliveries due at once across 30 district accounts.
pub mod publish;
/// `loa bench report`: the quarter's district report over 10 million clicks.
pub mod report;

use std::path::PathBuf;

use clap::Subcommand;

use crate::store::{CampaignRecord, CampaignTarget, NewUser, Store};

/// A benchmark's officer and its campaign from `starts_on` to `ends_on`, targeting `units`.
pub async fn bench_campaign(
    store: &Store,
    units: &[i64],
    starts_on: time::Date,
    ends_on: time::Date,
) -> anyhow::Result<(i64, i64)> {
    let user = store
        .create_user(&NewUser {
            username: "bench",
            display_name: "Bench",
            password_hash: "unused",
            role: crate::domain::Role::Officer,
            unit_id: None,
            must_change_password: false,
        })
        .await?;
    let campaign = store
        .create_campaign(
            &CampaignRecord {
                title: "Bench".into(),
                owner_code: "vp-ubnd".into(),
                snapshot: store.active_snapshot().await?,
                status: "active".into(),
                starts_on: starts_on.to_string(),
                ends_on: ends_on.to_string(),
                dimensions: vec!["D2".into()],
                targets: units
                    .iter()
                    .map(|u| CampaignTarget {
                        area_id: *u,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            },
            user,
            |_| Default::default(),
        )
        .await?;
    Ok((user, campaign))
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Time ingesting a photo and rendering its variants, against ImageMagick if installed.
    Media {
        /// A JPEG, PNG or WebP photo (with --generate: where to write a synthetic one).
        file: PathBuf,
        /// How many times to repeat each step; the median and minimum are shown.
        #[arg(long, default_value_t = 5)]
        runs: u32,
        /// First write a synthetic 4000×3000 JPEG to FILE, for a machine with no photo at hand.
        #[arg(long)]
        generate: bool,
    },
    /// Publish many deliveries due at once through simulators; report throughput and lateness.
    Publish {
        #[arg(long, default_value_t = 10_000)]
        deliveries: usize,
        /// District accounts (one simulator each).
        #[arg(long, default_value_t = 30)]
        accounts: usize,
        /// Simulated API answer time.
        #[arg(long, default_value_t = 50)]
        latency_ms: u64,
        /// Calls a minute each account may make.
        #[arg(long, default_value_t = 120)]
        rate_per_minute: i64,
        /// Calls in flight per account.
        #[arg(long, default_value_t = 8)]
        concurrency: i64,
        /// An EMPTY PostgreSQL database to use instead of a temporary SQLite file.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Load the click redirect with wrk, against a minimal in-memory redirect (the ceiling).
    Clicks {
        /// Seconds per wrk run.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
        /// Rounds of a ceiling run followed by a Loa run; the median round's ratio is the result.
        #[arg(long, default_value_t = 3)]
        rounds: u32,
        /// Open connections.
        #[arg(long, default_value_t = 64)]
        connections: u32,
        /// Distinct short links requested at random.
        #[arg(long, default_value_t = 100)]
        links: usize,
        /// Distinct readers (user agents) the requests come from.
        #[arg(long, default_value_t = 5000)]
        visitors: u32,
        /// `process` (the default setting) or `disk`: see the `click_durability` setting.
        #[arg(long, default_value = "process")]
        durability: String,
        /// The library SQLite's click writer uses: `rusqlite` (a statement per click) or
        /// `sqlx` (a statement per group).
        #[arg(long, default_value = "rusqlite")]
        sqlite_writer: String,
        /// An EMPTY PostgreSQL database to use instead of a temporary SQLite file.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Seed 90 days of clicks and snapshots and time the quarter's district report.
    Report {
        /// Click events (rolled up per link and day; robots 3 %).
        #[arg(long, default_value_t = 10_000_000)]
        events: u64,
        /// Metric snapshots, spread over the deliveries in time order.
        #[arg(long, default_value_t = 1_000_000)]
        snapshots: u64,
        #[arg(long, default_value_t = 5000)]
        posts: usize,
        /// Requests per page; the median is shown.
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Also write one raw `click` row per event (the report never reads them).
        #[arg(long)]
        raw_clicks: bool,
        /// An EMPTY PostgreSQL database to use instead of a temporary SQLite file.
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Time the month calendar with many scheduled posts on a fresh database.
    Calendar {
        /// Posts to schedule in one month.
        #[arg(long, default_value_t = 5000)]
        posts: usize,
        /// Requests per page; the median and minimum are shown.
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// An EMPTY PostgreSQL database to use instead of a temporary SQLite file.
        #[arg(long)]
        database_url: Option<String>,
    },
}

/// Runs one benchmark. Benchmarks need neither configuration nor the server's database, and
/// print their own table.
pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Media {
            file,
            runs,
            generate,
        } => {
            let opts = crate::bench::media::Options {
                file,
                runs,
                generate,
            };
            tokio::task::spawn_blocking(move || crate::bench::media::run(opts)).await?
        }
        BenchCommand::Calendar {
            posts,
            runs,
            database_url,
        } => {
            let report = crate::bench::calendar::run(posts, runs.max(1), database_url).await?;
            report.print();
            Ok(())
        }
        BenchCommand::Publish {
            deliveries,
            accounts,
            latency_ms,
            rate_per_minute,
            concurrency,
            database_url,
        } => {
            crate::bench::publish::run(crate::bench::publish::Options {
                deliveries,
                accounts,
                latency_ms,
                rate_per_minute,
                concurrency,
                database_url,
            })
            .await
        }
        BenchCommand::Report {
            events,
            snapshots,
            posts,
            runs,
            raw_clicks,
            database_url,
        } => {
            crate::bench::report::run(crate::bench::report::Options {
                events,
                snapshots,
                posts,
                runs: runs.max(1),
                raw_clicks,
                database_url,
            })
            .await
        }
        BenchCommand::Clicks {
            seconds,
            rounds,
            connections,
            links,
            visitors,
            durability,
            sqlite_writer,
            database_url,
        } => {
            let durability = match durability.as_str() {
                "process" => crate::store::ClickDurability::Process,
                "disk" => crate::store::ClickDurability::Disk,
                other => anyhow::bail!("--durability: '{other}' must be `process` or `disk`"),
            };
            let sqlite_writer = match sqlite_writer.as_str() {
                "rusqlite" => crate::store::SqliteClickDriver::Rusqlite,
                "sqlx" => crate::store::SqliteClickDriver::Sqlx,
                other => anyhow::bail!("--sqlite-writer: '{other}' must be `rusqlite` or `sqlx`"),
            };
            crate::bench::clicks::run(crate::bench::clicks::Options {
                seconds,
                rounds,
                connections,
                links,
                visitors,
                durability,
                sqlite_writer,
                database_url,
            })
            .await
        }
    }
}

/// A benchmark's signed-in HTTP client: a session created directly in the store, and a GET
/// that times one page and returns its size.
pub(crate) struct SignedIn {
    http: reqwest::Client,
    cookie: String,
}

impl SignedIn {
    pub(crate) async fn new(store: &crate::store::Store, user: i64) -> anyhow::Result<SignedIn> {
        let token = uuid::Uuid::new_v4().to_string();
        store
            .create_session(
                &crate::auth::session_key(&token),
                user,
                "bench-csrf",
                crate::clock::now_ms() + 3_600_000,
            )
            .await?;
        Ok(SignedIn {
            http: reqwest::Client::new(),
            cookie: format!("loa_session={token}"),
        })
    }

    pub(crate) async fn get(&self, url: String) -> anyhow::Result<(std::time::Duration, usize)> {
        let t = std::time::Instant::now();
        let resp = self
            .http
            .get(&url)
            .header("cookie", &self.cookie)
            .send()
            .await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "{url} answered {}",
            resp.status()
        );
        let body = resp.text().await?;
        Ok((t.elapsed(), body.len()))
    }
}
