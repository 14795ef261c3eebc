//! Writing a group of clicks, per backend. This is the click path's only database work, so
//! each backend gets its cheapest way to do it atomically:
//!
//! - SQLite: one thread with its own connection and prepared statements, which also forms the
//!   groups: it takes every click waiting since its last commit and writes them in one
//!   transaction. Going through the async pool cost a thread hand-off per statement (begin,
//!   three statements, commit), measured as most of a group's time.
//! - PostgreSQL: one statement (data-modifying CTEs over arrays) in autocommit, so one round
//!   trip; several writers may commit groups at once and PostgreSQL flushes their WAL together.
//!
//! Both skip the visitor insert for (link, day, visitor) keys they know are stored already.
//!
//! Durability is a setting (`click_durability`). By default (`Process`) a click is answered
//! once committed, which no crash of Loa can undo: SQLite's `synchronous=NORMAL` and, on
//! PostgreSQL, `synchronous_commit=off` on the click connections only (PostgreSQL writes the
//! log out within a fraction of a second; a power cut on the database host may lose that
//! fraction). `Disk` waits for the flush to disk as well, at the cost of one disk flush per
//! group (measured by `loa bench clicks`). Publishing never uses the relaxed setting.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use tokio::sync::oneshot;

use crate::engagement::clicks::NewClick;

type Job = (Vec<NewClick>, oneshot::Sender<Result<(), String>>);

/// Largest group per transaction; more waiting clicks go in the next one.
pub const MAX_GROUP: usize = 2_000;

/// When a redirect may answer: its click committed (`Process`), or also flushed (`Disk`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClickDurability {
    #[default]
    Process,
    Disk,
}

/// Groups written, clicks in them, and time spent writing (for `/metrics` and benchmarks).
#[derive(Default)]
pub struct GroupStats {
    pub groups: AtomicU64,
    pub clicks: AtomicU64,
    pub write_micros: AtomicU64,
}

impl GroupStats {
    pub(super) fn add(&self, clicks: usize, started: std::time::Instant) {
        self.groups.fetch_add(1, Ordering::Relaxed);
        self.clicks.fetch_add(clicks as u64, Ordering::Relaxed);
        self.write_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    }
}

/// A dedicated SQLite writer thread for click groups.
pub(super) struct SqliteClickWriter {
    jobs: mpsc::Sender<Job>,
}

impl SqliteClickWriter {
    pub(super) fn start(
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

    pub(super) async fn record(&self, clicks: Vec<NewClick>) -> anyhow::Result<()> {
        let (done, wait) = oneshot::channel();
        self.jobs
            .send((clicks, done))
            .map_err(|_| anyhow::anyhow!("the click writer has stopped"))?;
        wait.await?.map_err(|e| anyhow::anyhow!(e))
    }
}

/// (link, day, visitor) keys known to be stored, so a repeat visit skips the visitor insert
/// (it would be ignored anyway). Bounded; a miss only costs the insert.
#[derive(Default)]
pub(super) struct Seen(std::collections::HashSet<(i64, String, String)>);

impl Seen {
    fn insert(&mut self, c: &NewClick) -> bool {
        if self.0.len() > 500_000 {
            self.0.clear();
        }
        self.0.insert((c.link_id, c.day.clone(), c.visitor.clone()))
    }

    fn knows(&self, c: &NewClick) -> bool {
        self.0
            .contains(&(c.link_id, c.day.clone(), c.visitor.clone()))
    }
}

fn write(
    conn: &mut rusqlite::Connection,
    clicks: &[NewClick],
    seen: &mut Seen,
) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut first_time: HashMap<(i64, &str), i64> = HashMap::new();
    {
        let mut click = tx.prepare_cached(
            "insert into click (link_id, at, day, referrer_host, device, bot, visitor) \
             values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut visitor = tx.prepare_cached(
            "insert into click_visitor (link_id, day, visitor) values (?1, ?2, ?3) on conflict do nothing",
        )?;
        for c in clicks {
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
            if !c.bot
                && seen.insert(c)
                && visitor.execute(rusqlite::params![c.link_id, c.day, c.visitor])? == 1
            {
                *first_time.entry((c.link_id, c.day.as_str())).or_default() += 1;
            }
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
        for ((link, day), (n, bots)) in by_link_day(clicks) {
            let uniques = first_time.get(&(link, day)).copied().unwrap_or(0);
            daily.execute(rusqlite::params![link, day, n, uniques, bots])?;
        }
    }
    tx.commit()
}

/// (people, robots) per (link, day), in key order: two writers adding to the same rollup
/// rows take their locks in the same order and cannot deadlock.
pub(super) fn by_link_day(clicks: &[NewClick]) -> BTreeMap<(i64, &str), (i64, i64)> {
    let mut daily: BTreeMap<(i64, &str), (i64, i64)> = BTreeMap::new();
    for c in clicks {
        let e = daily.entry((c.link_id, c.day.as_str())).or_default();
        if c.bot { e.1 += 1 } else { e.0 += 1 }
    }
    daily
}

/// PostgreSQL: the whole group in one statement. Data-modifying CTEs all run to completion
/// (referenced or not) in one snapshot; the rollup reads the visitor rows this statement added
/// through `returning`. Arrays bind as binary, cheaper for the server than parsing JSON.
const PG_GROUP: &str = "with logged as (insert into click (link_id, at, day, referrer_host, device, bot, visitor) \
       select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::text[])), \
     added as (insert into click_visitor (link_id, day, visitor) \
       select * from unnest($8::bigint[], $9::text[], $10::text[]) on conflict do nothing returning link_id, day), \
     uniques as (select link_id, day, count(*) as n from added group by link_id, day) \
     insert into click_daily (link_id, day, clicks, unique_visitors, bot_clicks) \
     select t.l, t.d, t.n, coalesce(u.n, 0), t.b \
       from unnest($11::bigint[], $12::text[], $13::bigint[], $14::bigint[]) as t (l, d, n, b) \
       left join uniques u on u.link_id = t.l and u.day = t.d order by t.l, t.d \
     on conflict (link_id, day) do update set clicks = click_daily.clicks + excluded.clicks, \
       unique_visitors = click_daily.unique_visitors + excluded.unique_visitors, \
       bot_clicks = click_daily.bot_clicks + excluded.bot_clicks";

/// The click connections: `synchronous_commit` per the durability setting, and no more than
/// the writers need.
pub(super) async fn pg_click_pool(
    url: &str,
    durability: ClickDurability,
) -> anyhow::Result<sqlx::PgPool> {
    use std::str::FromStr;
    let sync = match durability {
        ClickDurability::Process => "off",
        ClickDurability::Disk => "on",
    };
    let options =
        sqlx::postgres::PgConnectOptions::from_str(url)?.options([("synchronous_commit", sync)]);
    Ok(sqlx::postgres::PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?)
}

/// Writes one group on PostgreSQL. Visitors already known to be stored are left out of the
/// visitor insert; the ones this group adds become known only once it has committed.
pub(super) async fn write_pg(
    pool: &sqlx::PgPool,
    clicks: &[NewClick],
    seen: &std::sync::Mutex<Seen>,
) -> sqlx::Result<()> {
    let n = clicks.len();
    let (mut l, mut a, mut d) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut r, mut v, mut b, mut x) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for c in clicks {
        l.push(c.link_id);
        a.push(c.at);
        d.push(c.day.as_str());
        r.push(c.referrer_host.as_str());
        v.push(c.device);
        b.push(c.bot);
        x.push(c.visitor.as_str());
    }
    // In key order, like the rollups: two writers inserting the same visitors take their
    // index locks in one order and cannot deadlock.
    let new: Vec<&NewClick> = {
        let seen = seen.lock().expect("seen visitors");
        let keys: BTreeMap<(i64, &str, &str), &NewClick> = clicks
            .iter()
            .filter(|c| !c.bot && !seen.knows(c))
            .map(|c| ((c.link_id, c.day.as_str(), c.visitor.as_str()), c))
            .collect();
        keys.into_values().collect()
    };
    let vl: Vec<i64> = new.iter().map(|c| c.link_id).collect();
    let vd: Vec<&str> = new.iter().map(|c| c.day.as_str()).collect();
    let vx: Vec<&str> = new.iter().map(|c| c.visitor.as_str()).collect();
    let daily = by_link_day(clicks);
    let dl: Vec<i64> = daily.keys().map(|k| k.0).collect();
    let dd: Vec<&str> = daily.keys().map(|k| k.1).collect();
    let dn: Vec<i64> = daily.values().map(|v| v.0).collect();
    let db: Vec<i64> = daily.values().map(|v| v.1).collect();
    sqlx::query(PG_GROUP)
        .bind(l)
        .bind(a)
        .bind(d)
        .bind(r)
        .bind(v)
        .bind(b)
        .bind(x)
        .bind(vl)
        .bind(vd)
        .bind(vx)
        .bind(dl)
        .bind(dd)
        .bind(dn)
        .bind(db)
        .execute(pool)
        .await?;
    let mut seen = seen.lock().expect("seen visitors");
    for c in new {
        seen.insert(c);
    }
    Ok(())
}
