//! PostgreSQL's folds: on the main pool, one at a time across all instances (the writers are in
//! `pg_writer`).

use super::fold::{self, Counted};
use super::ledger::{self, Kept, Ledgers};
use super::visitors::{Visitors, pack, unpack};
use crate::store::clickreport;

/// Clicks folded per transaction.
const CHUNK: i64 = 50_000;
/// Folds take turns across instances: a fold then never waits on another's rollup rows.
const FOLD_LOCK: i64 = 526_112_701;

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
