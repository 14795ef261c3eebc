-- Manager reports (SQLite): rollups the district report reads instead of raw clicks and
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
    campaign_id integer not null,
    area_id integer not null,
    link_clicks integer not null default 0,
    qr_scans integer not null default 0,
    unique_visitors integer not null default 0,
    bot_clicks integer not null default 0,
    views integer not null default 0,
    reach integer not null default 0,
    reactions integer not null default 0,
    comments integer not null default 0,
    shares integer not null default 0,
    primary key (tier, day, campaign_id, area_id)
) without rowid;

-- Engagement per post to date, for "top posts" without scanning rollups per link.
create table post_engagement (
    post_id integer primary key,
    link_clicks integer not null default 0,
    qr_scans integer not null default 0,
    views integer not null default 0,
    reach integer not null default 0,
    reactions integer not null default 0,
    comments integer not null default 0,
    shares integer not null default 0
);

-- The latest counters of each delivery: the base the next snapshot's delta is taken from.
create table metric_latest (
    delivery_id integer primary key,
    at integer not null,
    views integer,
    reach integer,
    reactions integer,
    comments integer,
    shares integer
);
create index metric_latest_at on metric_latest (at);

create trigger click_daily_report_ins after insert on click_daily begin
    insert into report_daily (tier, day, campaign_id, area_id, link_clicks, qr_scans, unique_visitors, bot_clicks)
    select t.tier, new.day, case when t.whole = 1 then 0 else l.campaign_id end,
        case t.tier when 'unit' then coalesce(l.unit_id, 0) else coalesce(up.area_id, l.unit_id, 0) end,
        case when l.source = 'post' then new.clicks else 0 end,
        case when l.source = 'qr' then new.clicks else 0 end,
        new.unique_visitors, new.bot_clicks
    from tracked_link l
    cross join (select 'unit' as tier, 0 as whole union all select 'top', 0 union all select 'unit', 1 union all select 'top', 1) t
    left join area u on u.area_id = l.unit_id
    left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district'
    where l.link_id = new.link_id
    on conflict (tier, day, campaign_id, area_id) do update set
        link_clicks = link_clicks + excluded.link_clicks, qr_scans = qr_scans + excluded.qr_scans,
        unique_visitors = unique_visitors + excluded.unique_visitors, bot_clicks = bot_clicks + excluded.bot_clicks;
    insert into post_engagement (post_id, link_clicks)
    select l.post_id, new.clicks from tracked_link l where l.link_id = new.link_id and l.post_id is not null
    on conflict (post_id) do update set link_clicks = link_clicks + excluded.link_clicks;
end;

create trigger click_daily_report_upd after update on click_daily begin
    insert into report_daily (tier, day, campaign_id, area_id, link_clicks, qr_scans, unique_visitors, bot_clicks)
    select t.tier, new.day, case when t.whole = 1 then 0 else l.campaign_id end,
        case t.tier when 'unit' then coalesce(l.unit_id, 0) else coalesce(up.area_id, l.unit_id, 0) end,
        case when l.source = 'post' then new.clicks - old.clicks else 0 end,
        case when l.source = 'qr' then new.clicks - old.clicks else 0 end,
        new.unique_visitors - old.unique_visitors, new.bot_clicks - old.bot_clicks
    from tracked_link l
    cross join (select 'unit' as tier, 0 as whole union all select 'top', 0 union all select 'unit', 1 union all select 'top', 1) t
    left join area u on u.area_id = l.unit_id
    left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district'
    where l.link_id = new.link_id
    on conflict (tier, day, campaign_id, area_id) do update set
        link_clicks = link_clicks + excluded.link_clicks, qr_scans = qr_scans + excluded.qr_scans,
        unique_visitors = unique_visitors + excluded.unique_visitors, bot_clicks = bot_clicks + excluded.bot_clicks;
    insert into post_engagement (post_id, link_clicks)
    select l.post_id, new.clicks - old.clicks from tracked_link l where l.link_id = new.link_id and l.post_id is not null
    on conflict (post_id) do update set link_clicks = link_clicks + excluded.link_clicks;
end;

-- Only complete snapshots (no note), as on the campaign page; one older than the delivery's
-- latest (arriving late) is kept but adds nothing.
create trigger metric_snapshot_report after insert on metric_snapshot
when new.note = '' and not exists (select 1 from metric_latest m where m.delivery_id = new.delivery_id and m.at > new.at)
begin
    insert into report_daily (tier, day, campaign_id, area_id, views, reach, reactions, comments, shares)
    select t.tier, date(new.at / 1000, 'unixepoch', '+7 hours'), case when t.whole = 1 then 0 else p.campaign_id end,
        case t.tier when 'unit' then coalesce(a.unit_id, 0) else coalesce(up.area_id, a.unit_id, 0) end,
        coalesce(new.views, m.views, 0) - coalesce(m.views, 0),
        coalesce(new.reach, m.reach, 0) - coalesce(m.reach, 0),
        coalesce(new.reactions, m.reactions, 0) - coalesce(m.reactions, 0),
        coalesce(new.comments, m.comments, 0) - coalesce(m.comments, 0),
        coalesce(new.shares, m.shares, 0) - coalesce(m.shares, 0)
    from delivery d join post p on p.post_id = d.post_id
    join channel_account a on a.account_id = d.account_id
    cross join (select 'unit' as tier, 0 as whole union all select 'top', 0 union all select 'unit', 1 union all select 'top', 1) t
    left join area u on u.area_id = a.unit_id
    left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district'
    left join metric_latest m on m.delivery_id = d.delivery_id
    where d.delivery_id = new.delivery_id
    on conflict (tier, day, campaign_id, area_id) do update set
        views = views + excluded.views, reach = reach + excluded.reach, reactions = reactions + excluded.reactions,
        comments = comments + excluded.comments, shares = shares + excluded.shares;
    insert into post_engagement (post_id, views, reach, reactions, comments, shares)
    select d.post_id,
        coalesce(new.views, m.views, 0) - coalesce(m.views, 0),
        coalesce(new.reach, m.reach, 0) - coalesce(m.reach, 0),
        coalesce(new.reactions, m.reactions, 0) - coalesce(m.reactions, 0),
        coalesce(new.comments, m.comments, 0) - coalesce(m.comments, 0),
        coalesce(new.shares, m.shares, 0) - coalesce(m.shares, 0)
    from delivery d left join metric_latest m on m.delivery_id = d.delivery_id
    where d.delivery_id = new.delivery_id
    on conflict (post_id) do update set views = views + excluded.views, reach = reach + excluded.reach,
        reactions = reactions + excluded.reactions, comments = comments + excluded.comments, shares = shares + excluded.shares;
    insert into metric_latest (delivery_id, at, views, reach, reactions, comments, shares)
    values (new.delivery_id, new.at, new.views, new.reach, new.reactions, new.comments, new.shares)
    on conflict (delivery_id) do update set at = excluded.at,
        views = coalesce(excluded.views, views), reach = coalesce(excluded.reach, reach),
        reactions = coalesce(excluded.reactions, reactions), comments = coalesce(excluded.comments, comments),
        shares = coalesce(excluded.shares, shares);
end;

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
cross join (select 'unit' as tier, 0 as whole union all select 'top', 0 union all select 'unit', 1 union all select 'top', 1) t
left join area u on u.area_id = l.unit_id
left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district'
group by 1, 2, 3, 4;
insert into metric_latest (delivery_id, at, views, reach, reactions, comments, shares)
select s.delivery_id, s.at, s.views, s.reach, s.reactions, s.comments, s.shares from metric_snapshot s
where s.snapshot_id = (select max(s2.snapshot_id) from metric_snapshot s2 where s2.delivery_id = s.delivery_id and s2.note = '');
insert into report_daily (tier, day, campaign_id, area_id, views, reach, reactions, comments, shares)
select t.tier, date(m.at / 1000, 'unixepoch', '+7 hours'), case when t.whole = 1 then 0 else p.campaign_id end,
    case t.tier when 'unit' then coalesce(a.unit_id, 0) else coalesce(up.area_id, a.unit_id, 0) end,
    sum(coalesce(m.views, 0)), sum(coalesce(m.reach, 0)), sum(coalesce(m.reactions, 0)),
    sum(coalesce(m.comments, 0)), sum(coalesce(m.shares, 0))
from metric_latest m join delivery d on d.delivery_id = m.delivery_id join post p on p.post_id = d.post_id
join channel_account a on a.account_id = d.account_id
cross join (select 'unit' as tier, 0 as whole union all select 'top', 0 union all select 'unit', 1 union all select 'top', 1) t
left join area u on u.area_id = a.unit_id
left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district'
where true group by 1, 2, 3, 4
on conflict (tier, day, campaign_id, area_id) do update set
    views = views + excluded.views, reach = reach + excluded.reach, reactions = reactions + excluded.reactions,
    comments = comments + excluded.comments, shares = shares + excluded.shares;
insert into post_engagement (post_id, link_clicks)
select l.post_id, sum(cd.clicks) from click_daily cd join tracked_link l on l.link_id = cd.link_id
where l.post_id is not null group by l.post_id;
insert into post_engagement (post_id, views, reach, reactions, comments, shares)
select d.post_id, sum(coalesce(m.views, 0)), sum(coalesce(m.reach, 0)), sum(coalesce(m.reactions, 0)),
    sum(coalesce(m.comments, 0)), sum(coalesce(m.shares, 0))
from metric_latest m join delivery d on d.delivery_id = m.delivery_id where true group by d.post_id
on conflict (post_id) do update set views = excluded.views, reach = excluded.reach,
    reactions = excluded.reactions, comments = excluded.comments, shares = excluded.shares;

-- Residents per unit, for engagement per 1,000 residents; always with its source.
create table unit_population (
    area_id integer primary key references area (area_id) on delete cascade,
    population integer not null check (population > 0),
    year integer not null,
    source text not null,
    updated_by integer not null references app_user (user_id),
    updated_at integer not null
);

-- A read-only link to one report: only the token's hash is stored.
create table report_share (
    share_id integer primary key,
    token_hash text not null unique,
    query text not null,
    created_by integer not null references app_user (user_id),
    created_at integer not null,
    expires_at integer not null,
    revoked_at integer
);
