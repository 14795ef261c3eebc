//! SQLite: a thread of its own with its own connection and prepared statements forms the
//! groups, writes each in one transaction, and folds between groups. Everything that writes
//! clicks or rollups runs on this one thread, so a fold never waits for a lock a group holds
//! or the other way round; it only takes turns.

use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::fold::{self, Counted};
use super::visitors::Visitors;
use super::{ClickDurability, GroupStats, MAX_GROUP};
use crate::engagement::clicks::NewClick;
use crate::store::clickreport;

/// Clicks folded per transaction: small enough that a group queued behind a fold waits a
/// millisecond or two, large enough that each rollup row is updated once per many clicks.
const CHUNK: i64 = 1_000;
/// Under steady load, fold at least this often even when fewer than `CHUNK` are waiting.
const FOLD_EVERY: Duration = Duration::from_millis(50);
/// With clicks waiting to be folded, a quiet moment this long is used to fold them.
const QUIET: Duration = Duration::from_millis(2);

enum Job {
    Clicks(Vec<NewClick>, oneshot::Sender<Result<(), String>>),
    /// Fold everything stored so far, then answer with the clicks folded.
    Fold(oneshot::Sender<Result<i64, String>>),
}

/// A dedicated SQLite writer thread for click groups and folds.
pub(in crate::store) struct SqliteClickWriter {
    jobs: mpsc::Sender<Job>,
}

fn open(path: &str, durability: ClickDurability) -> rusqlite::Result<rusqlite::Connection> {
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
    // Checkpoints (and their fsyncs) would stall whichever commit crosses the threshold;
    // this connection leaves them to a thread of their own, which never blocks a writer.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(conn)
}

impl SqliteClickWriter {
    pub(in crate::store) fn start(
        path: &str,
        stats: Arc<GroupStats>,
        durability: ClickDurability,
    ) -> anyhow::Result<SqliteClickWriter> {
        let mut conn = open(path, durability)?;
        let visitors = Visitors::load(&conn)?;
        let checkpoints = rusqlite::Connection::open(path)?;
        checkpoints.busy_timeout(Duration::from_secs(5))?;
        let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let still = running.clone();
        std::thread::Builder::new()
            .name("loa-click-checkpoint".into())
            .spawn(move || {
                while still.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(500));
                    let _ = checkpoints.query_row("pragma wal_checkpoint(passive)", [], |_| Ok(()));
                }
            })?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("loa-click-writer".into())
            .spawn(move || {
                serve(&mut conn, &rx, &stats, visitors);
                running.store(false, std::sync::atomic::Ordering::Relaxed);
            })?;
        Ok(SqliteClickWriter { jobs: tx })
    }

    pub(in crate::store) async fn record(&self, clicks: Vec<NewClick>) -> anyhow::Result<()> {
        let (done, wait) = oneshot::channel();
        self.jobs
            .send(Job::Clicks(clicks, done))
            .map_err(|_| anyhow::anyhow!("the click writer has stopped"))?;
        wait.await?.map_err(|e| anyhow::anyhow!(e))
    }

    pub(in crate::store) async fn fold(&self) -> anyhow::Result<i64> {
        let (done, wait) = oneshot::channel();
        self.jobs
            .send(Job::Fold(done))
            .map_err(|_| anyhow::anyhow!("the click writer has stopped"))?;
        wait.await?.map_err(|e| anyhow::anyhow!(e))
    }
}

/// The writer thread: take every job waiting, write the clicks as one group, then fold when
/// asked, when a chunk's worth is waiting, when the last fold is `FOLD_EVERY` old, or in a
/// quiet moment.
fn serve(
    conn: &mut rusqlite::Connection,
    rx: &mpsc::Receiver<Job>,
    stats: &GroupStats,
    mut visitors: Visitors,
) {
    // Unknown at start (a previous process may have left clicks unfolded): look once.
    let mut unfolded: i64 = 1;
    let mut last_fold = Instant::now();
    // After a failed fold, the next try waits a while (the clicks themselves are stored).
    let mut retry_at = Instant::now();
    loop {
        let first = if unfolded > 0 {
            match rx.recv_timeout(QUIET) {
                Ok(job) => Some(job),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        } else {
            match rx.recv() {
                Ok(job) => Some(job),
                Err(_) => return,
            }
        };
        let (mut clicks, mut waiting, mut folds) = (Vec::new(), Vec::new(), Vec::new());
        let mut next = first;
        loop {
            match next.take() {
                Some(Job::Clicks(mut c, done)) => {
                    clicks.append(&mut c);
                    waiting.push(done);
                }
                Some(Job::Fold(done)) => folds.push(done),
                None => {}
            }
            if clicks.len() >= MAX_GROUP {
                break;
            }
            match rx.try_recv() {
                Ok(job) => next = Some(job),
                Err(_) => break,
            }
        }
        if !clicks.is_empty() {
            let started = Instant::now();
            let written = write(conn, &clicks).map_err(|e| e.to_string());
            stats.add(clicks.len(), started);
            if written.is_ok() {
                unfolded += clicks.len() as i64;
            }
            for done in waiting {
                let _ = done.send(written.clone());
            }
        }
        if !folds.is_empty() {
            let started = Instant::now();
            let mut total = Ok(0);
            while let Ok(n) = &mut total {
                match fold_chunk(conn, &mut visitors) {
                    Ok(Some(k)) => *n += k,
                    Ok(None) => break,
                    Err(e) => total = Err(e.to_string()),
                }
            }
            // Counted like PostgreSQL's: only folds that found clicks.
            if matches!(total, Ok(n) if n > 0) {
                stats.add_fold(started);
            }
            match total {
                Ok(_) => unfolded = 0,
                Err(_) => reload(conn, &mut visitors),
            }
            for done in folds {
                let _ = done.send(total.clone());
            }
        } else if unfolded > 0
            && Instant::now() >= retry_at
            && (clicks.is_empty() || unfolded >= CHUNK || last_fold.elapsed() >= FOLD_EVERY)
        {
            let started = Instant::now();
            match fold_chunk(conn, &mut visitors) {
                Ok(None) => unfolded = 0,
                Ok(Some(_)) => {
                    unfolded = (unfolded - CHUNK).max(0);
                    stats.add_fold(started);
                }
                // Left for the next fold; the clicks themselves are stored.
                Err(e) => {
                    tracing::error!(error = %e, "click fold failed");
                    reload(conn, &mut visitors);
                    retry_at = Instant::now() + Duration::from_secs(1);
                }
            }
            last_fold = Instant::now();
        }
    }
}

/// After a failed fold the readers it marked as seen were rolled back: read them again.
fn reload(conn: &rusqlite::Connection, visitors: &mut Visitors) {
    match Visitors::load(conn) {
        Ok(v) => *visitors = v,
        Err(e) => tracing::error!(error = %e, "click visitors not reloaded"),
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

/// Folds the next run of this database's clicks (writer 0: SQLite has one writer). `None`
/// when there was nothing to fold; else the clicks folded.
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
