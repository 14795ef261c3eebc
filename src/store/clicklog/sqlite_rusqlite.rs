//! The SQLite click writer's `rusqlite` driver: prepared statements on the writer thread's own
//! connection, a statement per click, with no hand-off to another thread per statement.

use std::time::Duration;

use super::ClickDurability;
use super::driver::{CHUNK, Driver};
use super::fold::{self, Counted};
use super::visitors::Visitors;
use crate::engagement::clicks::NewClick;
use crate::store::clickreport;

pub(super) struct Rusqlite(rusqlite::Connection);

impl Driver for Rusqlite {
    fn open(
        path: &str,
        durability: ClickDurability,
        _: &tokio::runtime::Handle,
    ) -> anyhow::Result<Rusqlite> {
        let conn = rusqlite::Connection::open(path)?;
        // Same settings as the pool: WAL, NORMAL sync (a commit survives a process crash), a
        // busy wait while another connection holds the write lock. FULL syncs every commit.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let sync = match durability {
            ClickDurability::Process => "NORMAL",
            ClickDurability::Disk => "FULL",
        };
        conn.pragma_update(None, "synchronous", sync)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(Rusqlite(conn))
    }

    fn write(&mut self, clicks: &[NewClick]) -> anyhow::Result<()> {
        Ok(write(&mut self.0, clicks)?)
    }

    fn fold_chunk(&mut self, visitors: &mut Visitors) -> anyhow::Result<Option<i64>> {
        Ok(fold_chunk(&mut self.0, visitors)?)
    }

    fn visitors(&mut self) -> anyhow::Result<Visitors> {
        let mut v = Visitors::default();
        let mut st = self
            .0
            .prepare("select link_id, day, visitor from click_visitor")?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (link, day, visitor) = row?;
            v.insert(link, &day, &visitor);
        }
        Ok(v)
    }

    fn checkpoint(&mut self) {
        let _ = self
            .0
            .query_row("pragma wal_checkpoint(passive)", [], |_| Ok(()));
    }
}

fn write(conn: &mut rusqlite::Connection, clicks: &[NewClick]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut click = tx.prepare_cached(
            "insert into click (link_id, at, day, referrer_host, device, bot, visitor) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for c in clicks {
            click.execute(rusqlite::params![
                c.link_id,
                c.at,
                c.day,
                c.referrer_host,
                c.device,
                c.bot,
                // Hex, as the column always held (see `visitors::short`).
                format!("{:016x}", c.visitor)
            ])?;
        }
    }
    tx.commit()
}

/// The shared statements use PostgreSQL's `$n`; SQLite reads `?n` the same way.
fn q(sql: &str) -> String {
    sql.replace('$', "?")
}

fn fold_chunk(
    conn: &mut rusqlite::Connection,
    visitors: &mut Visitors,
) -> rusqlite::Result<Option<i64>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let folded: i64 = tx.query_row(
        "select folded_seq from click_writer where writer_id = 0",
        [],
        |r| r.get(0),
    )?;
    let hi: Option<i64> = tx
        .prepare_cached(&q(fold::FOLD_HI))?
        .query_row(rusqlite::params![0, folded, CHUNK], |r| r.get(0))?;
    let Some(hi) = hi else { return Ok(None) };
    let mut added: Vec<(i64, String)> = Vec::new();
    {
        let mut read = tx.prepare_cached(&q(fold::FOLD_READERS))?;
        let mut append = tx.prepare_cached(
            "insert into click_visitor (link_id, day, visitor) values (?1, ?2, ?3)",
        )?;
        let mut rows = read.query(rusqlite::params![0, folded, hi])?;
        while let Some(r) = rows.next()? {
            let (link, day): (i64, String) = (r.get(0)?, r.get(1)?);
            let visitor = r.get_ref(2)?.as_str()?;
            if visitors.insert(link, &day, visitor) {
                append.execute(rusqlite::params![link, day, visitor])?;
                added.push((link, day));
            }
        }
    }
    let counted: Vec<Counted> = tx
        .prepare_cached(&q(fold::FOLD_COUNTS))?
        .query_map(rusqlite::params![0, folded, hi], |r| {
            Ok(Counted {
                link_id: r.get(0)?,
                day: r.get(1)?,
                people: r.get(2)?,
                robots: r.get(3)?,
                campaign_id: r.get(4)?,
                post_id: r.get(5)?,
                unit_id: r.get(6)?,
                report_unit_id: r.get(7)?,
                source: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let rows = fold::link_days(counted, &added);
    {
        let mut daily = tx.prepare_cached(&q(fold::ADD_DAILY))?;
        for r in &rows {
            daily.execute(rusqlite::params![
                r.link_id, r.day, r.people, r.uniques, r.robots
            ])?;
        }
        let mut report = tx.prepare_cached(clickreport::ADD_REPORT_ROW)?;
        for ((tier, day, campaign, unit), d) in clickreport::report_deltas(&rows) {
            report.execute(rusqlite::params![
                tier,
                day,
                campaign,
                unit,
                d.link_clicks,
                d.qr_scans,
                d.unique_visitors,
                d.bot_clicks
            ])?;
        }
        let mut posts = tx.prepare_cached(clickreport::ADD_POST_CLICKS)?;
        for (post, n) in clickreport::post_deltas(&rows) {
            posts.execute(rusqlite::params![post, n])?;
        }
    }
    tx.execute(&q(fold::FOLD_MARK), rusqlite::params![0, hi])?;
    tx.commit()?;
    Ok(Some(rows.iter().map(|r| r.people + r.robots).sum()))
}
