//! SQLite: a thread of its own with its own connection and prepared statements forms the
//! groups and writes each in one transaction.

use std::collections::HashMap;
use std::sync::{Arc, mpsc};

use tokio::sync::oneshot;

use super::{ClickDurability, GroupStats, MAX_GROUP, Seen, by_link_day};
use crate::engagement::clicks::NewClick;
use crate::store::clickreport;

type Job = (Vec<NewClick>, oneshot::Sender<Result<(), String>>);

/// A dedicated SQLite writer thread for click groups.
pub(in crate::store) struct SqliteClickWriter {
    jobs: mpsc::Sender<Job>,
}

impl SqliteClickWriter {
    pub(in crate::store) fn start(
        path: &str,
        stats: Arc<GroupStats>,
        durability: ClickDurability,
    ) -> anyhow::Result<SqliteClickWriter> {
        let mut conn = rusqlite::Connection::open(path)?;
        // Same settings as the pool: WAL, NORMAL sync (a commit survives a process crash), a
        // busy wait while another connection holds the write lock. FULL syncs every commit.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let sync = match durability {
            ClickDurability::Process => "NORMAL",
            ClickDurability::Disk => "FULL",
        };
        conn.pragma_update(None, "synchronous", sync)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Checkpoints (and their fsyncs) would stall whichever commit crosses the threshold;
        // this connection leaves them to a thread of their own, which never blocks a writer.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpoints = rusqlite::Connection::open(path)?;
        checkpoints.busy_timeout(std::time::Duration::from_secs(5))?;
        let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let still = running.clone();
        std::thread::Builder::new()
            .name("loa-click-checkpoint".into())
            .spawn(move || {
                while still.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    let _ = checkpoints.query_row("pragma wal_checkpoint(passive)", [], |_| Ok(()));
                }
            })?;
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("loa-click-writer".into())
            .spawn(move || {
                let mut seen = Seen::default();
                while let Ok(first) = rx.recv() {
                    let mut jobs = vec![first];
                    let mut n = jobs[0].0.len();
                    while n < MAX_GROUP {
                        match rx.try_recv() {
                            Ok(job) => {
                                n += job.0.len();
                                jobs.push(job);
                            }
                            Err(_) => break,
                        }
                    }
                    let clicks: Vec<NewClick> = jobs
                        .iter_mut()
                        .flat_map(|j| std::mem::take(&mut j.0))
                        .collect();
                    let started = std::time::Instant::now();
                    let written = write(&mut conn, &clicks, &mut seen).map_err(|e| e.to_string());
                    stats.add(clicks.len(), started);
                    if written.is_err() {
                        // The transaction rolled back: forget what it claimed to have added.
                        seen = Seen::default();
                    }
                    for (_, done) in jobs {
                        let _ = done.send(written.clone());
                    }
                }
                running.store(false, std::sync::atomic::Ordering::Relaxed);
            })?;
        Ok(SqliteClickWriter { jobs: tx })
    }

    pub(in crate::store) async fn record(&self, clicks: Vec<NewClick>) -> anyhow::Result<()> {
        let (done, wait) = oneshot::channel();
        self.jobs
            .send((clicks, done))
            .map_err(|_| anyhow::anyhow!("the click writer has stopped"))?;
        wait.await?.map_err(|e| anyhow::anyhow!(e))
    }
}

fn write(
    conn: &mut rusqlite::Connection,
    clicks: &[NewClick],
    seen: &mut Seen,
) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut new_visitor = vec![false; clicks.len()];
    {
        let mut click = tx.prepare_cached(
            "insert into click (link_id, at, day, referrer_host, device, bot, visitor) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut visitor = tx.prepare_cached(
            "insert into click_visitor (link_id, day, visitor) values (?1, ?2, ?3) on conflict do nothing",
        )?;
        for (i, c) in clicks.iter().enumerate() {
            click.execute(rusqlite::params![
                c.link_id,
                c.at,
                c.day,
                c.referrer_host,
                c.device,
                c.bot,
                c.visitor
            ])?;
            // A new (link, day, visitor) is a unique visitor; robots are not readers.
            new_visitor[i] = !c.bot
                && seen.insert(c)
                && visitor.execute(rusqlite::params![c.link_id, c.day, c.visitor])? == 1;
        }
    }
    {
        let mut daily = tx.prepare_cached(
            "insert into click_daily (link_id, day, clicks, unique_visitors, bot_clicks) \
             values (?1, ?2, ?3, ?4, ?5) on conflict (link_id, day) do update set \
             clicks = click_daily.clicks + excluded.clicks, \
             unique_visitors = click_daily.unique_visitors + excluded.unique_visitors, \
             bot_clicks = click_daily.bot_clicks + excluded.bot_clicks",
        )?;
        let mut uniques: HashMap<(i64, &str), i64> = HashMap::new();
        for (c, _) in clicks.iter().zip(&new_visitor).filter(|(_, new)| **new) {
            *uniques.entry((c.link_id, c.day.as_str())).or_default() += 1;
        }
        for ((link, day), (n, bots)) in by_link_day(clicks) {
            let u = uniques.get(&(link, day)).copied().unwrap_or(0);
            daily.execute(rusqlite::params![link, day, n, u, bots])?;
        }
        let mut report = tx.prepare_cached(clickreport::ADD_REPORT_ROW)?;
        for ((tier, day, campaign, unit), d) in clickreport::report_deltas(clicks, &new_visitor) {
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
        for (post, n) in clickreport::post_deltas(clicks) {
            posts.execute(rusqlite::params![post, n])?;
        }
    }
    tx.commit()
}
