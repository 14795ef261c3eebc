//! Persistence. `Store` is the one interface the rest of Loa talks to; underneath it runs on an
//! embedded SQLite file (the default: nothing to install) or on PostgreSQL (several instances
//! behind a load balancer).
//!
//! Why an enum and not a trait object: almost every query is the same SQL on both databases
//! (`$1` placeholders, `returning`, `on conflict` all work on both), so each method is written
//! once inside `on_pool!`, which expands it for each backend and type-checks it against each
//! driver. Where the databases really differ (job leasing, bulk upserts) a method matches on
//! the backend and has two bodies. Migrations are separate trees (`migrations/sqlite`,
//! `migrations/postgres`), and one contract suite (`tests/it/store_contract.rs`) runs on both.

mod accounts;
mod areas;
mod audit;
mod campaigns;
mod clicklog;
mod clickreport;
mod dashboard;
mod deliveries;
mod demo;
mod dispatch;
mod effects;
mod engagement;
mod kit_steps;
mod kits;
mod links;
mod media;
mod notices;
mod oauth;
mod once;
mod papi;
mod posts;
mod queue;
mod remote;
mod reports;
mod sessions;
mod settings;
mod snapshots;
mod steps;
mod tx;
mod users;

pub(crate) use tx::on_tx;

pub use accounts::{ChannelAccount, NewAccount, kind_for_channel};
pub use areas::{Area, AreaFilter, AreaImportRow, ConversionRow, Scope};
pub use audit::AuditEntry;
pub use campaigns::{Campaign, CampaignFilter, CampaignRecord, CampaignTarget, Department, KPIS};
pub use clicklog::{ClickDurability, GroupStats, MAX_GROUP, SqliteClickDriver};
pub use dashboard::Headline;
pub use deliveries::{Delivery, DeliveryResult};
pub use demo::{BackfillClicks, BackfillDelivery, BackfillSnapshot};
pub use dispatch::{Finished, PostContent};
pub use effects::{Audience, AuditRow, Effects, Notice};
pub use engagement::{LinkClicks, Placement, QrCodeRow, UnitEngagement, Ward};
pub use kits::{Kit, KitTarget, LocalEngagement, NewKit, UnitShareRate};
pub use links::ClickWriter;
pub use links::{LinkRow, TrackedLink};
pub use media::{MediaItem, MediaVariantRow, NewMedia};
pub use notices::{Notification, Proposal};
pub use oauth::OauthPending;
pub use once::{ONCE_KEEP_MS, PostImport};
pub use papi::{PapiDimension, PapiResult, PapiScore};
pub use posts::{
    CalendarPost, Post, PostFilter, PostRecord, Step, Transition, UnitScope, VariantRow,
};
pub use queue::QueueRow;
pub use reports::{
    DistrictReport, Measures, Population, ReportQuery, ReportRow, ShareLink, TopPost, WeekPoint,
    day_start_ms,
};
pub use sessions::{LoginFailureCounts, SessionUser};
pub use settings::ACTIVE_SNAPSHOT;
pub use snapshots::{DuePoll, Snapshot};
pub use tx::{Faults, Tx};
pub use users::{NewUser, User, UserFilter, UserUpdate};

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

#[derive(Clone)]
pub struct Store {
    db: Db,
    /// SQLite only: the click groups' own writer thread (see `clicklog`), started on first use.
    clicklog: Arc<std::sync::OnceLock<anyhow::Result<clicklog::SqliteClickWriter>>>,
    /// PostgreSQL only: the writer `record_clicks` uses (the recorder's tasks have their own).
    click_writer: Arc<tokio::sync::OnceCell<ClickWriter>>,
    /// PostgreSQL only: readers this instance knows are in `click_reader_batch` (see `clicklog`).
    click_visitors: Arc<tokio::sync::Mutex<clicklog::PgVisitors>>,
    /// PostgreSQL only: this instance's clicks no fold has taken yet (see `clicklog::ledger`).
    click_ledgers: Arc<clicklog::Ledgers>,
    click_stats: Arc<clicklog::GroupStats>,
    click_durability: ClickDurability,
    /// Injected faults for the crash tests (never armed in service).
    faults: Arc<Faults>,
    sqlite_click_driver: SqliteClickDriver,
    /// The SQLite file, or the PostgreSQL URL (the click writers open their own connections).
    path: Arc<str>,
}

#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same body against whichever pool the store holds. The body is compiled twice, once
/// per driver, so a query that does not type-check on both does not build.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            crate::store::Db::Sqlite($pool) => $body,
            crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique or foreign-key constraint refused the write; carries the constraint's detail.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Another writer changed the row first (optimistic concurrency).
    #[error("the record was changed by someone else")]
    Stale,
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db)
                if db.is_unique_violation() || db.is_foreign_key_violation() =>
            {
                StoreError::Conflict(db.message().to_string())
            }
            other => StoreError::Other(anyhow::Error::new(other)),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// `$from, $from+1, …` for `n` values, for statements over a list of ids or rows.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How long a request waits for a pooled connection before it is answered "unavailable".
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

impl Store {
    /// Opens the database named by `url` (`sqlite://…` or `postgres://…`). An SQLite file and
    /// its folder are created when missing.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Store> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // A lost database should give people the "temporarily unavailable" page within
            // seconds, not after 10 s; under load a connection is free well before 3 s.
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect(url)
                .await
                .with_context(|| format!("cannot connect to {}", crate::config::redact_url(url)))?;
            Db::Postgres(pool)
        } else {
            let path = url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            if let Some(parent) = std::path::Path::new(path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
                .with_context(|| format!("bad SQLite address {url}"))?
                .create_if_missing(true)
                // WAL lets readers proceed while one writer commits; NORMAL sync is durable
                // across process crashes (the WAL is fsynced at checkpoints and commits survive
                // a kill -9), which is the failure the product must survive.
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options)
                .await
                .with_context(|| format!("cannot open SQLite database {path}"))?;
            Db::Sqlite(pool)
        };
        let path = match &db {
            Db::Sqlite(_) => url
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:")
                .into(),
            Db::Postgres(_) => url.into(),
        };
        Ok(Store {
            db,
            clicklog: Arc::default(),
            click_writer: Arc::default(),
            click_visitors: Arc::default(),
            click_ledgers: Arc::default(),
            click_stats: Arc::default(),
            click_durability: ClickDurability::Process,
            faults: Arc::default(),
            sqlite_click_driver: SqliteClickDriver::default(),
            path,
        })
    }

    /// How durable a click is when its redirect answers (set before the first click).
    pub fn with_click_durability(mut self, durability: ClickDurability) -> Store {
        self.click_durability = durability;
        self
    }

    /// The library SQLite's click writer uses (set before the first click).
    pub fn with_sqlite_click_driver(mut self, driver: SqliteClickDriver) -> Store {
        self.sqlite_click_driver = driver;
        self
    }

    /// Applies the embedded migrations of this backend; already applied ones are skipped.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.db {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
        .context("applying database migrations failed")
    }

    pub fn backend_name(&self) -> &'static str {
        match self.db {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// A round trip to the database, for `/healthz`.
    pub async fn ping(&self) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("select 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}
