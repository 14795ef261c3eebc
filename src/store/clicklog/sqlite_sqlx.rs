//! The SQLite click writer's `sqlx` driver. sqlx runs each statement on a worker thread of its
//! own, so every statement costs a hand-off there and back; each group is therefore one
//! statement over the clicks as JSON (`json_each`), committed on its own, and each fold step
//! (new readers, daily rows, report rows, post counts) one statement too. The writer thread
//! drives the calls with the runtime's `block_on` (it is not one of the runtime's threads).
//!
//! It measured far slower than `rusqlite` (figures beside that dependency in Cargo.toml) and is
//! kept so that `loa bench clicks --sqlite-writer sqlx` can repeat the measurement, for instance
//! when sqlx or SQLite change.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection};

use super::ClickDurability;
use super::driver::{CHUNK, Driver};
use super::fold::{self, Counted};
use super::visitors::Visitors;
use crate::engagement::clicks::NewClick;
use crate::store::clickreport;

/// A group: `[link, at, day, referrer host, device, bot, visitor]` per click. Alone in its
/// transaction, the statement is the group's transaction.
const GROUP: &str = "insert into click (link_id, at, day, referrer_host, device, bot, visitor) \
     select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6 \
     from json_each($1)";

/// New readers: `[link, day, visitor]` each.
const ADD_READERS: &str = "insert into click_visitor (link_id, day, visitor) \
     select value ->> 0, value ->> 1, value ->> 2 from json_each($1)";

// An upsert over `insert … select` needs a `where` (SQLite's parser would read `on conflict`
// as a join's `on` otherwise).
const ADD_DAILY: &str = "insert into click_daily (link_id, day, clicks, unique_visitors, bot_clicks) \
     select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 from json_each($1) where true \
     on conflict (link_id, day) do update set clicks = click_daily.clicks + excluded.clicks, \
       unique_visitors = click_daily.unique_visitors + excluded.unique_visitors, \
       bot_clicks = click_daily.bot_clicks + excluded.bot_clicks";

const ADD_REPORT: &str = "insert into report_daily \
     (tier, day, campaign_id, area_id, link_clicks, qr_scans, unique_visitors, bot_clicks) \
     select value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, \
       value ->> 7 from json_each($1) where true \
     on conflict (tier, day, campaign_id, area_id) do update set \
       link_clicks = report_daily.link_clicks + excluded.link_clicks, \
       qr_scans = report_daily.qr_scans + excluded.qr_scans, \
       unique_visitors = report_daily.unique_visitors + excluded.unique_visitors, \
       bot_clicks = report_daily.bot_clicks + excluded.bot_clicks";

const ADD_POSTS: &str = "insert into post_engagement (post_id, link_clicks) \
     select value ->> 0, value ->> 1 from json_each($1) where true \
     on conflict (post_id) do update set link_clicks = post_engagement.link_clicks + excluded.link_clicks";

pub(super) struct Sqlx {
    conn: SqliteConnection,
    runtime: tokio::runtime::Handle,
}

impl Driver for Sqlx {
    fn open(
        path: &str,
        durability: ClickDurability,
        runtime: &tokio::runtime::Handle,
    ) -> anyhow::Result<Sqlx> {
        // The same settings as the pool (see `Store::connect`); FULL syncs every commit.
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match durability {
                ClickDurability::Process => SqliteSynchronous::Normal,
                ClickDurability::Disk => SqliteSynchronous::Full,
            })
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            .pragma("wal_autocheckpoint", "0");
        let conn = runtime.block_on(SqliteConnection::connect_with(&options))?;
        Ok(Sqlx {
            conn,
            runtime: runtime.clone(),
        })
    }

    fn write(&mut self, clicks: &[NewClick]) -> anyhow::Result<()> {
        let rows: Vec<_> = clicks
            .iter()
            .map(|c| {
                (
                    c.link_id,
                    c.at,
                    &c.day,
                    &c.referrer_host,
                    c.device,
                    i64::from(c.bot),
                    // Hex, as the column always held (see `visitors::short`).
                    format!("{:016x}", c.visitor),
                )
            })
            .collect();
        let json = serde_json::to_string(&rows)?;
        let conn = &mut self.conn;
        self.runtime
            .block_on(sqlx::query(GROUP).bind(json).execute(conn))?;
        Ok(())
    }

    fn fold_chunk(&mut self, visitors: &mut Visitors) -> anyhow::Result<Option<i64>> {
        let conn = &mut self.conn;
        self.runtime.block_on(fold_chunk(conn, visitors))
    }

    fn visitors(&mut self) -> anyhow::Result<Visitors> {
        let rows: Vec<(i64, String, String)> = self.runtime.block_on(
            sqlx::query_as("select link_id, day, visitor from click_visitor")
                .fetch_all(&mut self.conn),
        )?;
        let mut v = Visitors::default();
        for (link, day, visitor) in rows {
            v.insert(link, &day, &visitor);
        }
        Ok(v)
    }

    fn checkpoint(&mut self) {
        let _ = self
            .runtime
            .block_on(sqlx::query("pragma wal_checkpoint(passive)").execute(&mut self.conn));
    }
}

async fn fold_chunk(
    conn: &mut SqliteConnection,
    visitors: &mut Visitors,
) -> anyhow::Result<Option<i64>> {
    let mut tx = conn.begin_with("begin immediate").await?;
    let folded: i64 = sqlx::query_scalar("select folded_seq from click_writer where writer_id = 0")
        .fetch_one(&mut *tx)
        .await?;
    let hi: Option<i64> = sqlx::query_scalar(fold::FOLD_HI)
        .bind(0)
        .bind(folded)
        .bind(CHUNK)
        .fetch_one(&mut *tx)
        .await?;
    let Some(hi) = hi else { return Ok(None) };
    let run: Vec<(i64, String, String)> = sqlx::query_as(fold::FOLD_READERS)
        .bind(0)
        .bind(folded)
        .bind(hi)
        .fetch_all(&mut *tx)
        .await?;
    let mut added: Vec<(i64, String)> = Vec::new();
    let mut readers = Vec::new();
    for (link, day, visitor) in run {
        if visitors.insert(link, &day, &visitor) {
            added.push((link, day.clone()));
            readers.push((link, day, visitor));
        }
    }
    if !readers.is_empty() {
        sqlx::query(ADD_READERS)
            .bind(serde_json::to_string(&readers)?)
            .execute(&mut *tx)
            .await?;
    }
    let counted: Vec<Counted> = sqlx::query_as(fold::FOLD_COUNTS)
        .bind(0)
        .bind(folded)
        .bind(hi)
        .fetch_all(&mut *tx)
        .await?;
    let rows = fold::link_days(counted, &added);
    let daily: Vec<_> = rows
        .iter()
        .map(|r| (r.link_id, &r.day, r.people, r.uniques, r.robots))
        .collect();
    let reports: Vec<_> = clickreport::report_deltas(&rows)
        .into_iter()
        .map(|((tier, day, campaign, unit), d)| {
            let counts = (d.link_clicks, d.qr_scans, d.unique_visitors, d.bot_clicks);
            (
                tier, day, campaign, unit, counts.0, counts.1, counts.2, counts.3,
            )
        })
        .collect();
    let posts: Vec<(i64, i64)> = clickreport::post_deltas(&rows).into_iter().collect();
    for (sql, json) in [
        (ADD_DAILY, serde_json::to_string(&daily)?),
        (ADD_REPORT, serde_json::to_string(&reports)?),
        (ADD_POSTS, serde_json::to_string(&posts)?),
    ] {
        sqlx::query(sql).bind(json).execute(&mut *tx).await?;
    }
    sqlx::query(fold::FOLD_MARK)
        .bind(0)
        .bind(hi)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(rows.iter().map(|r| r.people + r.robots).sum()))
}
