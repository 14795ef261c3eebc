//! SQLite: a thread of its own with its own connection forms the groups, writes each in one
//! transaction, and folds between groups. Everything that writes clicks or rollups runs on this
//! one thread, so a fold never waits for a lock a group holds or the other way round; it only
//! takes turns.
//!
//! Two drivers can serve the thread (`SqliteClickDriver`): `rusqlite`, with a prepared
//! statement per click, and `sqlx`, with each group and each fold step as one statement over
//! JSON. `loa bench clicks --sqlite-writer` measures one against the other.

use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use super::driver::{CHUNK, Driver};
use super::visitors::Visitors;
use super::{ClickDurability, GroupStats, MAX_GROUP};
pub use crate::config::SqliteClickDriver;
use crate::engagement::clicks::NewClick;

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

impl SqliteClickWriter {
    pub(in crate::store) fn start(
        path: &str,
        stats: Arc<GroupStats>,
        durability: ClickDurability,
        driver: SqliteClickDriver,
    ) -> anyhow::Result<SqliteClickWriter> {
        match driver {
            SqliteClickDriver::Rusqlite => {
                Self::start_with::<super::sqlite_rusqlite::Rusqlite>(path, stats, durability)
            }
            SqliteClickDriver::Sqlx => {
                Self::start_with::<super::sqlite_sqlx::Sqlx>(path, stats, durability)
            }
        }
    }

    /// Opens the connections and starts the threads; returns once the writer's connection is
    /// open and its readers loaded (or with the reason they are not).
    fn start_with<D: Driver>(
        path: &str,
        stats: Arc<GroupStats>,
        durability: ClickDurability,
    ) -> anyhow::Result<SqliteClickWriter> {
        let runtime = tokio::runtime::Handle::try_current()?;
        let path = path.to_string();
        let open = move || -> anyhow::Result<(D, Visitors, D)> {
            let mut conn = D::open(&path, durability, &runtime)?;
            let visitors = conn.visitors()?;
            Ok((conn, visitors, D::open(&path, durability, &runtime)?))
        };
        let (opened, ready) = mpsc::sync_channel(1);
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("loa-click-writer".into())
            .spawn(move || {
                let (mut conn, visitors, mut checkpoints) = match open() {
                    Ok(all) => {
                        let _ = opened.send(Ok(()));
                        all
                    }
                    Err(e) => {
                        let _ = opened.send(Err(e));
                        return;
                    }
                };
                // Checkpoints (and their fsyncs) would stall whichever commit crosses the
                // threshold; the writer's connection leaves them to a thread of their own,
                // which never blocks it.
                let running = Arc::new(std::sync::atomic::AtomicBool::new(true));
                let still = running.clone();
                let checkpointing = std::thread::Builder::new()
                    .name("loa-click-checkpoint".into())
                    .spawn(move || {
                        while still.load(std::sync::atomic::Ordering::Relaxed) {
                            std::thread::sleep(Duration::from_millis(500));
                            checkpoints.checkpoint();
                        }
                    });
                if let Err(e) = checkpointing {
                    tracing::error!(error = %e, "no click checkpoint thread");
                }
                serve(&mut conn, &rx, &stats, visitors);
                running.store(false, std::sync::atomic::Ordering::Relaxed);
            })?;
        ready.recv()??;
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
fn serve<D: Driver>(
    conn: &mut D,
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
            let written = conn.write(&clicks).map_err(|e| format!("{e:#}"));
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
                match conn.fold_chunk(&mut visitors) {
                    Ok(Some(k)) => *n += k,
                    Ok(None) => break,
                    Err(e) => total = Err(format!("{e:#}")),
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
            match conn.fold_chunk(&mut visitors) {
                Ok(None) => unfolded = 0,
                Ok(Some(_)) => {
                    unfolded = (unfolded - CHUNK).max(0);
                    stats.add_fold(started);
                }
                // Left for the next fold; the clicks themselves are stored.
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "click fold failed");
                    reload(conn, &mut visitors);
                    retry_at = Instant::now() + Duration::from_secs(1);
                }
            }
            last_fold = Instant::now();
        }
    }
}

/// After a failed fold the readers it marked as seen were rolled back: read them again.
fn reload<D: Driver>(conn: &mut D, visitors: &mut Visitors) {
    match conn.visitors() {
        Ok(v) => *visitors = v,
        Err(e) => tracing::error!(error = %format!("{e:#}"), "click visitors not reloaded"),
    }
}
