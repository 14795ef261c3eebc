//! PostgreSQL: each group is one insert on its writer's connection; folds run on the main pool,
//! one at a time across all instances.

use std::sync::Arc;

use super::ClickDurability;
use super::GroupStats;
use super::fold::{self, Counted};
use super::ledger::{self, Kept, Ledgers};
use super::visitors::{Visitors, pack, unpack};
use crate::engagement::clicks::NewClick;
use crate::store::clickreport;

/// A group in one statement: arrays bind as binary, cheaper for the server than parsing JSON or
/// a statement per click. Numbers follow the writer's own count.
const PG_GROUP: &str = "insert into click (writer_id, seq, link_id, at, day, referrer_host, device, bot, visitor) \
     select $1, $2 + o, l, a, d, r, v, b, x from unnest($3::bigint[], $4::bigint[], $5::text[], \
       $6::text[], $7::text[], $8::boolean[], $9::bigint[]) with ordinality as t (l, a, d, r, v, b, x, o)";

/// Clicks folded per transaction.
const CHUNK: i64 = 50_000;
/// Folds take turns across instances: a fold then never waits on another's rollup rows.
const FOLD_LOCK: i64 = 526_112_701;

/// How a click writer connects: `synchronous_commit` per the durability setting.
pub(in crate::store) fn pg_click_options(
    url: &str,
    durability: ClickDurability,
) -> anyhow::Result<sqlx::postgres::PgConnectOptions> {
    use std::str::FromStr;
    let sync = match durability {
        ClickDurability::Process => "off",
        ClickDurability::Disk => "on",
    };
    Ok(sqlx::postgres::PgConnectOptions::from_str(url)?.options([("synchronous_commit", sync)]))
}

/// One writer: a connection of its own, a row in `click_writer` and the number of its last
/// click. Its groups go one after the other (the lock is held across the insert), which is
/// what makes its folded mark exact (see `fold`).
///
/// The connection is its own rather than a pool's: sqlx pings a pooled connection when it is
/// taken and again when it is given back, two round trips around each group's one.
pub struct PgClickWriter {
    options: sqlx::postgres::PgConnectOptions,
    ledgers: Arc<Ledgers>,
    state: tokio::sync::Mutex<WriterState>,
    stats: Arc<GroupStats>,
}

#[derive(Default)]
struct WriterState {
    /// None after a failure, until the next group reconnects.
    conn: Option<sqlx::PgConnection>,
    /// (writer id, number of its last click); none until the first group.
    numbering: Option<(i64, i64)>,
}

impl PgClickWriter {
    pub(in crate::store) async fn connect(
        options: sqlx::postgres::PgConnectOptions,
        ledgers: Arc<Ledgers>,
        stats: Arc<GroupStats>,
    ) -> sqlx::Result<PgClickWriter> {
        use sqlx::Connection;
        let conn = sqlx::PgConnection::connect_with(&options).await?;
        Ok(PgClickWriter {
            options,
            ledgers,
            state: tokio::sync::Mutex::new(WriterState {
                conn: Some(conn),
                numbering: None,
            }),
            stats,
        })
    }

    /// Writes a group and keeps it for this instance's folds (see `ledger`).
    pub(in crate::store) async fn write(&self, clicks: Vec<NewClick>) -> sqlx::Result<()> {
        let mut state = self.state.lock().await;
        let written = self.write_group(&mut state, &clicks).await;
        // After a failure the next group reconnects and starts a new writer: should the failed
        // statement still commit (a broken connection's server may finish it), it must not
        // land behind clicks already folded past under the same numbering.
        match written {
            Ok((writer_id, first)) => {
                self.ledgers.append(writer_id, first, clicks);
                Ok(())
            }
            Err(e) => {
                if let Some((writer_id, _)) = state.numbering {
                    self.ledgers.forget(writer_id);
                }
                *state = WriterState::default();
                Err(e)
            }
        }
    }

    /// Inserts a group; returns the writer id and the number of its first click.
    async fn write_group(
        &self,
        state: &mut WriterState,
        clicks: &[NewClick],
    ) -> sqlx::Result<(i64, i64)> {
        use sqlx::Connection;
        let conn = match &mut state.conn {
            Some(conn) => conn,
            empty => empty.insert(sqlx::PgConnection::connect_with(&self.options).await?),
        };
        let (writer_id, last_seq) = match state.numbering {
            Some(numbering) => numbering,
            None => {
                let id = sqlx::query_scalar(
                    "insert into click_writer (started_at) values ($1) returning writer_id",
                )
                .bind(crate::clock::now_ms())
                .fetch_one(&mut *conn)
                .await?;
                (id, 0)
            }
        };
        let started = std::time::Instant::now();
        let n = clicks.len();
        let mut l = Vec::with_capacity(n);
        let mut a = Vec::with_capacity(n);
        let mut d = Vec::with_capacity(n);
        let mut r = Vec::with_capacity(n);
        let mut v = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n);
        let mut x = Vec::with_capacity(n);
        for c in clicks {
            l.push(c.link_id);
            a.push(c.at);
            d.push(c.day.as_str());
            r.push(c.referrer_host.as_str());
            v.push(c.device);
            b.push(c.bot);
            // The key's bits as PostgreSQL's signed bigint.
            x.push(c.visitor as i64);
        }
        sqlx::query(PG_GROUP)
            .bind(writer_id)
            .bind(last_seq)
            .bind(&l)
            .bind(&a)
            .bind(&d)
            .bind(&r)
            .bind(&v)
            .bind(&b)
            .bind(&x)
            .execute(&mut *conn)
            .await?;
        self.stats.add(n, started);
        state.numbering = Some((writer_id, last_seq + n as i64));
        Ok((writer_id, last_seq + 1))
    }
}

/// What this instance knows of `click_reader_batch`: every reader in it up to batch `synced`.
#[derive(Default)]
pub struct PgVisitors {
    set: Visitors,
    synced: i64,
}

/// Folds every writer's unfolded clicks (`catch_up`), or one run per writer; returns how many
/// were folded.
///
/// The fold's reads are planned afresh each time (`persistent(false)`): the click log grows
/// from nothing within seconds, and a plan cached while it was empty scanned all of it.
pub(in crate::store) async fn fold_pg(
    pool: &sqlx::PgPool,
    visitors: &tokio::sync::Mutex<PgVisitors>,
    ledgers: &Ledgers,
    catch_up: bool,
) -> sqlx::Result<i64> {
    let mut visitors = visitors.lock().await;
    let mut total = 0;
    loop {
        // Usually nobody is behind: found without taking any lock.
        let behind: Vec<i64> = sqlx::query_scalar(
            "select w.writer_id from click_writer w where exists \
             (select 1 from click c where c.writer_id = w.writer_id and c.seq > w.folded_seq) order by 1",
        )
        .persistent(false)
        .fetch_all(pool)
        .await?;
        let mut progressed = false;
        for writer in behind {
            if let Some(n) = fold_writer(pool, writer, &mut visitors, ledgers).await? {
                total += n;
                progressed = true;
            }
        }
        // One pass folds a run per writer; under load, folding runs of a steady cadence's
        // size costs less per click than chasing every last click.
        if !progressed || !catch_up {
            return Ok(total);
        }
    }
}

async fn fold_writer(
    pool: &sqlx::PgPool,
    writer: i64,
    visitors: &mut PgVisitors,
    ledgers: &Ledgers,
) -> sqlx::Result<Option<i64>> {
    let mut attempt = 0;
    loop {
        let folded = fold_run(pool, writer, visitors, ledgers).await;
        if folded.is_err() {
            // Readers this run marked as seen were rolled back with it: start over.
            *visitors = PgVisitors::default();
        }
        match folded {
            // A metrics snapshot adds to the same report rows from a trigger; should the two
            // ever deadlock, PostgreSQL cancels one and the run is simply folded again.
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("40P01") && attempt < 3 =>
            {
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// A fold query over the run (folded, hi] of a writer, planned afresh (see `fold_pg`).
async fn over_run<T>(
    tx: &mut sqlx::PgConnection,
    sql: &'static str,
    (writer, folded, hi): (i64, i64, i64),
) -> sqlx::Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    sqlx::query_as(sql)
        .persistent(false)
        .bind(writer)
        .bind(folded)
        .bind(hi)
        .fetch_all(tx)
        .await
}

async fn fold_run(
    pool: &sqlx::PgPool,
    writer: i64,
    visitors: &mut PgVisitors,
    ledgers: &Ledgers,
) -> sqlx::Result<Option<i64>> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(FOLD_LOCK)
        .execute(&mut *tx)
        .await?;
    let folded: i64 =
        sqlx::query_scalar("select folded_seq from click_writer where writer_id = $1")
            .bind(writer)
            .fetch_one(&mut *tx)
            .await?;
    // This instance's own clicks from memory; should the fold roll back, the next one reads
    // them from the database (the ledger no longer starts at the mark).
    let kept = ledgers.take(writer, folded, CHUNK as usize);
    let hi = match &kept {
        Some(run) => folded + run.len() as i64,
        None => {
            let hi: Option<i64> = sqlx::query_scalar(fold::FOLD_HI)
                .persistent(false)
                .bind(writer)
                .bind(folded)
                .bind(CHUNK)
                .fetch_one(&mut *tx)
                .await?;
            let Some(hi) = hi else { return Ok(None) };
            hi
        }
    };
    // Readers other instances' folds added since this one last looked.
    let others: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
        "select batch_id, day, readers from click_reader_batch where batch_id > $1 order by batch_id",
    )
    .bind(visitors.synced)
    .fetch_all(&mut *tx)
    .await?;
    for (id, day, readers) in others {
        for (link, key) in unpack(&readers) {
            visitors.set.insert_key(link, &day, key);
        }
        visitors.synced = id;
    }
    let mut added: Vec<(i64, String)> = Vec::new();
    // The new readers per day, as `click_reader_batch` rows.
    let mut batches: std::collections::BTreeMap<String, Vec<(i64, u64)>> = Default::default();
    let mut note = |link: i64, day: &str, key: u64| {
        if visitors.set.insert_key(link, day, key) {
            batches
                .entry(day.to_string())
                .or_default()
                .push((link, key));
            added.push((link, day.to_string()));
        }
    };
    let counted: Vec<Counted> = match &kept {
        Some(run) => {
            for k in run.iter().filter(|k| !k.bot) {
                note(k.link_id, &k.day, k.key);
            }
            counted_in_memory(&mut tx, run).await?
        }
        None => {
            let run: Vec<(i64, String, i64)> =
                over_run(&mut tx, fold::FOLD_READERS, (writer, folded, hi)).await?;
            for (link, day, visitor) in run {
                note(link, &day, visitor as u64);
            }
            over_run(&mut tx, fold::FOLD_COUNTS, (writer, folded, hi)).await?
        }
    };
    if !batches.is_empty() {
        let last: Option<i64> = sqlx::query_scalar(
            "with appended as (insert into click_reader_batch (day, readers) \
               select * from unnest($1::text[], $2::bytea[]) returning batch_id) \
             select max(batch_id) from appended",
        )
        .bind(batches.keys().map(String::as_str).collect::<Vec<_>>())
        .bind(batches.values().map(|p| pack(p)).collect::<Vec<_>>())
        .fetch_one(&mut *tx)
        .await?;
        // Folds take turns, so these are the newest rows: nothing below them is unread.
        visitors.synced = last.unwrap_or(visitors.synced);
    }
    let rows = fold::link_days(counted, &added);
    sqlx::query(
        "insert into click_daily (link_id, day, clicks, unique_visitors, bot_clicks) \
         select * from unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[]) \
         on conflict (link_id, day) do update set clicks = click_daily.clicks + excluded.clicks, \
           unique_visitors = click_daily.unique_visitors + excluded.unique_visitors, \
           bot_clicks = click_daily.bot_clicks + excluded.bot_clicks",
    )
    .bind(rows.iter().map(|r| r.link_id).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.day.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.people).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.uniques).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.robots).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    let reports = clickreport::report_deltas(&rows);
    sqlx::query(
        "insert into report_daily (tier, day, campaign_id, area_id, link_clicks, qr_scans, unique_visitors, bot_clicks) \
         select * from unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], \
           $7::bigint[], $8::bigint[]) \
         on conflict (tier, day, campaign_id, area_id) do update set \
           link_clicks = report_daily.link_clicks + excluded.link_clicks, \
           qr_scans = report_daily.qr_scans + excluded.qr_scans, \
           unique_visitors = report_daily.unique_visitors + excluded.unique_visitors, \
           bot_clicks = report_daily.bot_clicks + excluded.bot_clicks",
    )
    .bind(reports.keys().map(|k| k.0).collect::<Vec<_>>())
    .bind(reports.keys().map(|k| k.1).collect::<Vec<_>>())
    .bind(reports.keys().map(|k| k.2).collect::<Vec<_>>())
    .bind(reports.keys().map(|k| k.3).collect::<Vec<_>>())
    .bind(reports.values().map(|d| d.link_clicks).collect::<Vec<_>>())
    .bind(reports.values().map(|d| d.qr_scans).collect::<Vec<_>>())
    .bind(reports.values().map(|d| d.unique_visitors).collect::<Vec<_>>())
    .bind(reports.values().map(|d| d.bot_clicks).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    let posts = clickreport::post_deltas(&rows);
    sqlx::query(
        "insert into post_engagement (post_id, link_clicks) select * from unnest($1::bigint[], $2::bigint[]) \
         on conflict (post_id) do update set link_clicks = post_engagement.link_clicks + excluded.link_clicks",
    )
    .bind(posts.keys().copied().collect::<Vec<_>>())
    .bind(posts.values().copied().collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    sqlx::query(fold::FOLD_MARK)
        .bind(writer)
        .bind(hi)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(rows.iter().map(|r| r.people + r.robots).sum()))
}

/// `fold::FOLD_COUNTS` for a run held in memory: counted here, with each link's attribution
/// read by key.
async fn counted_in_memory(
    tx: &mut sqlx::PgConnection,
    run: &[Kept],
) -> sqlx::Result<Vec<Counted>> {
    let counts = ledger::tally(run);
    let mut links: Vec<i64> = counts.keys().map(|k| k.0).collect();
    links.sort_unstable();
    links.dedup();
    let targets: Vec<Counted> = sqlx::query_as(fold::LINK_TARGETS)
        .bind(&links)
        .fetch_all(&mut *tx)
        .await?;
    let targets: std::collections::HashMap<i64, Counted> =
        targets.into_iter().map(|t| (t.link_id, t)).collect();
    Ok(counts
        .into_iter()
        .filter_map(|((link, day), (people, robots))| {
            let t = targets.get(&link)?;
            Some(Counted {
                day: day.to_string(),
                people,
                robots,
                source: t.source.clone(),
                ..*t
            })
        })
        .collect())
}
