-- Manager reports (PostgreSQL): rollups the district report reads instead of raw clicks and
-- snapshots, population per unit with its source, and shareable read-only report links.

-- Engagement per (tier, day, campaign, unit). Every change lands four times: tier 'unit' under
-- the unit it is attributed to (a ward, a district, a 2025 commune; 0 = the city's own
-- accounts) and tier 'top' under the unit a city-wide report shows (a ward's district), each
-- under its campaign and under campaign 0 (all campaigns). An unfiltered quarter's district
-- report reads ~90 days x 31 units rows, whatever the click volume.
-- Metrics are deltas: a snapshot adds what grew since the delivery's previous snapshot, on
-- the Hanoi day it was taken, so a period sums what grew during it.
create table report_daily (
    tier text not null check (tier in ('top', 'unit')),
    day text not null,
    campaign_id bigint not null,
    area_id bigint not null,
    link_clicks bigint not null default 0,
    qr_scans bigint not null default 0,
    unique_visitors bigint not null default 0,
    bot_clicks bigint not null default 0,
    views bigint not null default 0,
    reach bigint not null default 0,
    reactions bigint not null default 0,
    comments bigint not null default 0,
    shares bigint not null default 0,
    primary key (tier, day, campaign_id, area_id)
);

-- Engagement per post to date, for "top posts" without scanning rollups per link.
create table post_engagement (
    post_id bigint primary key,
    link_clicks bigint not null default 0,
    qr_scans bigint not null default 0,
    views bigint not null default 0,
    reach bigint not null default 0,
    reactions bigint not null default 0,
    comments bigint not null default 0,
    shares bigint not null default 0
);

-- The latest counters of each delivery: the base the next snapshot's delta is taken from.
create table metric_latest (
    delivery_id bigint primary key,
    at bigint not null,
    views bigint,
    reach bigint,
    reactions bigint,
    comments bigint,
    shares bigint
);
create index metric_latest_at on metric_latest (at);

-- Two click writers (and the metrics poller) add to the same rollup rows in different orders
-- (rows are keyed by unit, not by link); one transaction-level lock taken before the first
-- rollup write orders them, so they queue instead of deadlocking. Row triggers run at the end
-- of their statement, so a writer already holds its own click rows when it asks.
create function click_daily_report() returns trigger language plpgsql as $$
declare
    d_clicks bigint := new.clicks - case when tg_op = 'UPDATE' then old.clicks else 0 end;
    d_uniques bigint := new.unique_visitors - case when tg_op = 'UPDATE' then old.unique_visitors else 0 end;
    d_bots bigint := new.bot_clicks - case when tg_op = 'UPDATE' then old.bot_clicks else 0 end;
begin
    perform pg_advisory_xact_lock(526112601);
    insert into report_daily (tier, day, campaign_id, area_id, link_clicks, qr_scans, unique_visitors, bot_clicks)
    select t.tier, new.day, case when t.whole = 1 then 0 else l.campaign_id end,
        case t.tier when 'unit' then coalesce(l.unit_id, 0) else coalesce(up.area_id, l.unit_id, 0) end,
        case when l.source = 'post' then d_clicks else 0 end,
        case when l.source = 'qr' then d_clicks else 0 end,
        d_uniques, d_bots
    from tracked_link l
    cross join (values ('unit', 0), ('top', 0), ('unit', 1), ('top', 1)) t (tier, whole)
    left join area u on u.area_id = l.unit_id
    left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district'
    where l.link_id = new.link_id
    on conflict (tier, day, campaign_id, area_id) do update set
        link_clicks = report_daily.link_clicks + excluded.link_clicks,
        qr_scans = report_daily.qr_scans + excluded.qr_scans,
        unique_visitors = report_daily.unique_visitors + excluded.unique_visitors,
        bot_clicks = report_daily.bot_clicks + excluded.bot_clicks;
    insert into post_engagement (post_id, link_clicks)
    select l.post_id, d_clicks from tracked_link l where l.link_id = new.link_id and l.post_id is not null
    on conflict (post_id) do update set link_clicks = post_engagement.link_clicks + excluded.link_clicks;
    return null;
end $$;

create trigger click_daily_report after insert or update on click_daily
    for each row execute function click_daily_report();

-- Only complete snapshots (no note), as on the campaign page; one older than the delivery's
-- latest (arriving late) is kept but adds nothing.
create function metric_snapshot_report() returns trigger language plpgsql as $$
declare
    m metric_latest%rowtype;
    dv bigint; dr bigint; dre bigint; dc bigint; ds bigint;
begin
    if new.note <> '' then
        return null;
    end if;
    perform pg_advisory_xact_lock(526112601);
    select * into m from metric_latest where delivery_id = new.delivery_id for update;
    if found and m.at > new.at then
        return null;
    end if;
    dv := coalesce(new.views, m.views, 0) - coalesce(m.views, 0);
    dr := coalesce(new.reach, m.reach, 0) - coalesce(m.reach, 0);
    dre := coalesce(new.reactions, m.reactions, 0) - coalesce(m.reactions, 0);
    dc := coalesce(new.comments, m.comments, 0) - coalesce(m.comments, 0);
    ds := coalesce(new.shares, m.shares, 0) - coalesce(m.shares, 0);
    insert into report_daily (tier, day, campaign_id, area_id, views, reach, reactions, comments, shares)
    select t.tier, to_char(to_timestamp(new.at / 1000.0) at time zone 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD'), case when t.whole = 1 then 0 else p.campaign_id end,
        case t.tier when 'unit' then coalesce(a.unit_id, 0) else coalesce(up.area_id, a.unit_id, 0) end,
        dv, dr, dre, dc, ds
    from delivery d join post p on p.post_id = d.post_id
    join channel_account a on a.account_id = d.account_id
    cross join (values ('unit', 0), ('top', 0), ('unit', 1), ('top', 1)) t (tier, whole)
    left join area u on u.area_id = a.unit_id
    left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district'
    where d.delivery_id = new.delivery_id
    on conflict (tier, day, campaign_id, area_id) do update set
        views = report_daily.views + excluded.views, reach = report_daily.reach + excluded.reach,
        reactions = report_daily.reactions + excluded.reactions,
        comments = report_daily.comments + excluded.comments, shares = report_daily.shares + excluded.shares;
    insert into post_engagement (post_id, views, reach, reactions, comments, shares)
    select d.post_id, dv, dr, dre, dc, ds from delivery d where d.delivery_id = new.delivery_id
    on conflict (post_id) do update set views = post_engagement.views + excluded.views,
        reach = post_engagement.reach + excluded.reach, reactions = post_engagement.reactions + excluded.reactions,
        comments = post_engagement.comments + excluded.comments, shares = post_engagement.shares + excluded.shares;
    insert into metric_latest (delivery_id, at, views, reach, reactions, comments, shares)
    values (new.delivery_id, new.at, new.views, new.reach, new.reactions, new.comments, new.shares)
    on conflict (delivery_id) do update set at = excluded.at,
        views = coalesce(excluded.views, metric_latest.views), reach = coalesce(excluded.reach, metric_latest.reach),
        reactions = coalesce(excluded.reactions, metric_latest.reactions),
        comments = coalesce(excluded.comments, metric_latest.comments),
        shares = coalesce(excluded.shares, metric_latest.shares);
    return null;
end $$;

create trigger metric_snapshot_report after insert on metric_snapshot
    for each row execute function metric_snapshot_report();

-- A post's publication time is its first published delivery's (set by the dispatcher from now on).
update post set published_at = (select min(d.published_at) from delivery d
    where d.post_id = post.post_id and d.state = 'published')
where published_at is null and status in ('published', 'partially_published');

-- Existing data: clicks as they were rolled up; each delivery's latest snapshot counted on its day.
insert into report_daily (tier, day, campaign_id, area_id, link_clicks, qr_scans, unique_visitors, bot_clicks)
select t.tier, cd.day, case when t.whole = 1 then 0 else l.campaign_id end,
    case t.tier when 'unit' then coalesce(l.unit_id, 0) else coalesce(up.area_id, l.unit_id, 0) end,
    sum(case when l.source = 'post' then cd.clicks else 0 end), sum(case when l.source = 'qr' then cd.clicks else 0 end),
    sum(cd.unique_visitors), sum(cd.bot_clicks)
from click_daily cd join tracked_link l on l.link_id = cd.link_id
cross join (values ('unit', 0), ('top', 0), ('unit', 1), ('top', 1)) t (tier, whole)
left join area u on u.area_id = l.unit_id
left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district'
group by 1, 2, 3, 4;
insert into metric_latest (delivery_id, at, views, reach, reactions, comments, shares)
select s.delivery_id, s.at, s.views, s.reach, s.reactions, s.comments, s.shares from metric_snapshot s
where s.snapshot_id = (select max(s2.snapshot_id) from metric_snapshot s2 where s2.delivery_id = s.delivery_id and s2.note = '');
insert into report_daily (tier, day, campaign_id, area_id, views, reach, reactions, comments, shares)
select t.tier, to_char(to_timestamp(m.at / 1000.0) at time zone 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD'), case when t.whole = 1 then 0 else p.campaign_id end,
    case t.tier when 'unit' then coalesce(a.unit_id, 0) else coalesce(up.area_id, a.unit_id, 0) end,
    sum(coalesce(m.views, 0)), sum(coalesce(m.reach, 0)), sum(coalesce(m.reactions, 0)),
    sum(coalesce(m.comments, 0)), sum(coalesce(m.shares, 0))
from metric_latest m join delivery d on d.delivery_id = m.delivery_id join post p on p.post_id = d.post_id
join channel_account a on a.account_id = d.account_id
cross join (values ('unit', 0), ('top', 0), ('unit', 1), ('top', 1)) t (tier, whole)
left join area u on u.area_id = a.unit_id
left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district'
group by 1, 2, 3, 4
on conflict (tier, day, campaign_id, area_id) do update set
    views = report_daily.views + excluded.views, reach = report_daily.reach + excluded.reach,
    reactions = report_daily.reactions + excluded.reactions,
    comments = report_daily.comments + excluded.comments, shares = report_daily.shares + excluded.shares;
insert into post_engagement (post_id, link_clicks)
select l.post_id, sum(cd.clicks) from click_daily cd join tracked_link l on l.link_id = cd.link_id
where l.post_id is not null group by l.post_id;
insert into post_engagement (post_id, views, reach, reactions, comments, shares)
select d.post_id, sum(coalesce(m.views, 0)), sum(coalesce(m.reach, 0)), sum(coalesce(m.reactions, 0)),
    sum(coalesce(m.comments, 0)), sum(coalesce(m.shares, 0))
from metric_latest m join delivery d on d.delivery_id = m.delivery_id group by d.post_id
on conflict (post_id) do update set views = excluded.views, reach = excluded.reach,
    reactions = excluded.reactions, comments = excluded.comments, shares = excluded.shares;

-- Residents per unit, for engagement per 1,000 residents; always with its source.
create table unit_population (
    area_id bigint primary key references area (area_id) on delete cascade,
    population bigint not null check (population > 0),
    year bigint not null,
    source text not null,
    updated_by bigint not null references app_user (user_id),
    updated_at bigint not null
);

-- A read-only link to one report: only the token's hash is stored.
create table report_share (
    share_id bigint generated by default as identity primary key,
    token_hash text not null unique,
    query text not null,
    created_by bigint not null references app_user (user_id),
    created_at bigint not null,
    expires_at bigint not null,
    revoked_at bigint
);
