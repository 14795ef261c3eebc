//! PostgreSQL: each group is one statement on the click connections.

use std::collections::BTreeMap;

use super::{ClickDurability, Seen, by_link_day};
use crate::engagement::clicks::NewClick;
use crate::store::clickreport;

/// The whole group in one statement. Data-modifying CTEs all run to completion (referenced or
/// not) in one snapshot; the rollups read the visitor rows this statement added through
/// `returning`, since only the database knows whether another instance counted a visitor
/// first. Arrays bind as binary, cheaper for the server than parsing JSON. Every rollup is
/// written in key order, so concurrent writers queue on a row instead of deadlocking.
const PG_GROUP: &str = "with logged as (insert into click (link_id, at, day, referrer_host, device, bot, visitor) \
       select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::text[])), \
     added as (insert into click_visitor (link_id, day, visitor) \
       select * from unnest($8::bigint[], $9::text[], $10::text[]) on conflict do nothing returning link_id, day), \
     uniques as (select link_id, day, count(*) as n from added group by link_id, day), \
     target as (select * from unnest($15::bigint[], $16::bigint[], $17::bigint[], $18::bigint[]) \
       as t (link_id, campaign_id, unit_id, top_id)), \
     unique_rows as (select k.tier, a.day, case when k.whole = 1 then 0 else t.campaign_id end as campaign_id, \
         case k.tier when 'unit' then t.unit_id else t.top_id end as area_id, count(*) as n \
       from added a join target t on t.link_id = a.link_id \
       cross join (values ('unit', 0), ('top', 0), ('unit', 1), ('top', 1)) k (tier, whole) \
       group by 1, 2, 3, 4), \
     reported as (insert into report_daily (tier, day, campaign_id, area_id, link_clicks, qr_scans, unique_visitors, bot_clicks) \
       select r.tier, r.day, r.campaign_id, r.area_id, r.link_clicks, r.qr_scans, coalesce(u.n, 0), r.bot_clicks \
       from unnest($19::text[], $20::text[], $21::bigint[], $22::bigint[], $23::bigint[], $24::bigint[], $25::bigint[]) \
         as r (tier, day, campaign_id, area_id, link_clicks, qr_scans, bot_clicks) \
       left join unique_rows u on u.tier = r.tier and u.day = r.day and u.campaign_id = r.campaign_id and u.area_id = r.area_id \
       order by 1, 2, 3, 4 \
       on conflict (tier, day, campaign_id, area_id) do update set \
         link_clicks = report_daily.link_clicks + excluded.link_clicks, qr_scans = report_daily.qr_scans + excluded.qr_scans, \
         unique_visitors = report_daily.unique_visitors + excluded.unique_visitors, \
         bot_clicks = report_daily.bot_clicks + excluded.bot_clicks), \
     posted as (insert into post_engagement (post_id, link_clicks) \
       select * from unnest($26::bigint[], $27::bigint[]) order by 1 \
       on conflict (post_id) do update set link_clicks = post_engagement.link_clicks + excluded.link_clicks) \
     insert into click_daily (link_id, day, clicks, unique_visitors, bot_clicks) \
     select t.l, t.d, t.n, coalesce(u.n, 0), t.b \
       from unnest($11::bigint[], $12::text[], $13::bigint[], $14::bigint[]) as t (l, d, n, b) \
       left join uniques u on u.link_id = t.l and u.day = t.d order by t.l, t.d \
     on conflict (link_id, day) do update set clicks = click_daily.clicks + excluded.clicks, \
       unique_visitors = click_daily.unique_visitors + excluded.unique_visitors, \
       bot_clicks = click_daily.bot_clicks + excluded.bot_clicks";

/// The click connections: `synchronous_commit` per the durability setting, and no more than
/// the writers need.
pub(in crate::store) async fn pg_click_pool(
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
pub(in crate::store) async fn write_pg(
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
    let mut targets: BTreeMap<i64, (i64, i64, i64)> = BTreeMap::new();
    for c in clicks {
        let unit = c.to.unit_id.unwrap_or(0);
        let top = c.to.report_unit_id.or(c.to.unit_id).unwrap_or(0);
        targets.insert(c.link_id, (c.to.campaign_id, unit, top));
    }
    let reports = clickreport::report_deltas(clicks, &[]);
    let posts = clickreport::post_deltas(clicks);
    // A metrics snapshot adds to the same report rows from a trigger; should the two ever
    // deadlock, PostgreSQL cancels one and the group is simply written again.
    let mut attempt = 0;
    loop {
        let written = sqlx::query(PG_GROUP)
            .bind(&l)
            .bind(&a)
            .bind(&d)
            .bind(&r)
            .bind(&v)
            .bind(&b)
            .bind(&x)
            .bind(&vl)
            .bind(&vd)
            .bind(&vx)
            .bind(&dl)
            .bind(&dd)
            .bind(&dn)
            .bind(&db)
            .bind(targets.keys().copied().collect::<Vec<i64>>())
            .bind(targets.values().map(|t| t.0).collect::<Vec<i64>>())
            .bind(targets.values().map(|t| t.1).collect::<Vec<i64>>())
            .bind(targets.values().map(|t| t.2).collect::<Vec<i64>>())
            .bind(reports.keys().map(|k| k.0).collect::<Vec<&str>>())
            .bind(reports.keys().map(|k| k.1).collect::<Vec<&str>>())
            .bind(reports.keys().map(|k| k.2).collect::<Vec<i64>>())
            .bind(reports.keys().map(|k| k.3).collect::<Vec<i64>>())
            .bind(
                reports
                    .values()
                    .map(|r| r.link_clicks)
                    .collect::<Vec<i64>>(),
            )
            .bind(reports.values().map(|r| r.qr_scans).collect::<Vec<i64>>())
            .bind(reports.values().map(|r| r.bot_clicks).collect::<Vec<i64>>())
            .bind(posts.keys().copied().collect::<Vec<i64>>())
            .bind(posts.values().copied().collect::<Vec<i64>>())
            .execute(pool)
            .await;
        match written {
            Ok(_) => break,
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("40P01") && attempt < 3 =>
            {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
    let mut seen = seen.lock().expect("seen visitors");
    for c in new {
        seen.insert(c);
    }
    Ok(())
}
