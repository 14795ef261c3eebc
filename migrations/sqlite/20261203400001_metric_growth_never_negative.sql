-- Channel counters can go down (a share withdrawn, a reaction taken back, a demo curve that
-- wobbles), and a snapshot used to add that fall to its day as a negative delta: a period
-- could show "Chia sẻ −2". A period now counts what grew past the highest value seen so far:
-- never negative, and a fall followed by a recovery is not counted twice. `metric_latest`
-- keeps those highest values (it is read only by this trigger and for the polling time).
drop trigger metric_snapshot_report;

create trigger metric_snapshot_report after insert on metric_snapshot
when new.note = '' and not exists (select 1 from metric_latest m where m.delivery_id = new.delivery_id and m.at > new.at)
begin
    insert into report_daily (tier, day, campaign_id, area_id, views, reach, reactions, comments, shares)
    select t.tier, date(new.at / 1000, 'unixepoch', '+7 hours'), case when t.whole = 1 then 0 else p.campaign_id end,
        case t.tier when 'unit' then coalesce(a.unit_id, 0) else coalesce(up.area_id, a.unit_id, 0) end,
        max(coalesce(new.views, 0) - coalesce(m.views, 0), 0),
        max(coalesce(new.reach, 0) - coalesce(m.reach, 0), 0),
        max(coalesce(new.reactions, 0) - coalesce(m.reactions, 0), 0),
        max(coalesce(new.comments, 0) - coalesce(m.comments, 0), 0),
        max(coalesce(new.shares, 0) - coalesce(m.shares, 0), 0)
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
        max(coalesce(new.views, 0) - coalesce(m.views, 0), 0),
        max(coalesce(new.reach, 0) - coalesce(m.reach, 0), 0),
        max(coalesce(new.reactions, 0) - coalesce(m.reactions, 0), 0),
        max(coalesce(new.comments, 0) - coalesce(m.comments, 0), 0),
        max(coalesce(new.shares, 0) - coalesce(m.shares, 0), 0)
    from delivery d left join metric_latest m on m.delivery_id = d.delivery_id
    where d.delivery_id = new.delivery_id
    on conflict (post_id) do update set views = views + excluded.views, reach = reach + excluded.reach,
        reactions = reactions + excluded.reactions, comments = comments + excluded.comments, shares = shares + excluded.shares;
    -- SQLite's two-argument max() is null when either side is: coalesce keeps the known one.
    insert into metric_latest (delivery_id, at, views, reach, reactions, comments, shares)
    values (new.delivery_id, new.at, new.views, new.reach, new.reactions, new.comments, new.shares)
    on conflict (delivery_id) do update set at = excluded.at,
        views = coalesce(max(excluded.views, views), excluded.views, views),
        reach = coalesce(max(excluded.reach, reach), excluded.reach, reach),
        reactions = coalesce(max(excluded.reactions, reactions), excluded.reactions, reactions),
        comments = coalesce(max(excluded.comments, comments), excluded.comments, comments),
        shares = coalesce(max(excluded.shares, shares), excluded.shares, shares);
end;

-- Existing data: the channel measures of the rollups are counted again from the snapshots,
-- each adding what its counters rose above their earlier highest (clicks are left as they are).
update report_daily set views = 0, reach = 0, reactions = 0, comments = 0, shares = 0;
update post_engagement set views = 0, reach = 0, reactions = 0, comments = 0, shares = 0;
create temporary table metric_growth as
select s.delivery_id, s.at,
    coalesce(max(s.views) over upto, 0) - coalesce(max(s.views) over earlier, 0) as views,
    coalesce(max(s.reach) over upto, 0) - coalesce(max(s.reach) over earlier, 0) as reach,
    coalesce(max(s.reactions) over upto, 0) - coalesce(max(s.reactions) over earlier, 0) as reactions,
    coalesce(max(s.comments) over upto, 0) - coalesce(max(s.comments) over earlier, 0) as comments,
    coalesce(max(s.shares) over upto, 0) - coalesce(max(s.shares) over earlier, 0) as shares
from metric_snapshot s where s.note = ''
window upto as (partition by s.delivery_id order by s.at, s.snapshot_id rows between unbounded preceding and current row),
    earlier as (partition by s.delivery_id order by s.at, s.snapshot_id rows between unbounded preceding and 1 preceding);
insert into report_daily (tier, day, campaign_id, area_id, views, reach, reactions, comments, shares)
select t.tier, date(g.at / 1000, 'unixepoch', '+7 hours'), case when t.whole = 1 then 0 else p.campaign_id end,
    case t.tier when 'unit' then coalesce(a.unit_id, 0) else coalesce(up.area_id, a.unit_id, 0) end,
    sum(g.views), sum(g.reach), sum(g.reactions), sum(g.comments), sum(g.shares)
from metric_growth g join delivery d on d.delivery_id = g.delivery_id join post p on p.post_id = d.post_id
join channel_account a on a.account_id = d.account_id
cross join (select 'unit' as tier, 0 as whole union all select 'top', 0 union all select 'unit', 1 union all select 'top', 1) t
left join area u on u.area_id = a.unit_id
left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district'
where true group by 1, 2, 3, 4
on conflict (tier, day, campaign_id, area_id) do update set
    views = views + excluded.views, reach = reach + excluded.reach, reactions = reactions + excluded.reactions,
    comments = comments + excluded.comments, shares = shares + excluded.shares;
insert into post_engagement (post_id, views, reach, reactions, comments, shares)
select d.post_id, sum(g.views), sum(g.reach), sum(g.reactions), sum(g.comments), sum(g.shares)
from metric_growth g join delivery d on d.delivery_id = g.delivery_id where true group by d.post_id
on conflict (post_id) do update set views = excluded.views, reach = excluded.reach,
    reactions = excluded.reactions, comments = excluded.comments, shares = excluded.shares;
update metric_latest set
    views = (select max(s.views) from metric_snapshot s where s.delivery_id = metric_latest.delivery_id and s.note = ''),
    reach = (select max(s.reach) from metric_snapshot s where s.delivery_id = metric_latest.delivery_id and s.note = ''),
    reactions = (select max(s.reactions) from metric_snapshot s where s.delivery_id = metric_latest.delivery_id and s.note = ''),
    comments = (select max(s.comments) from metric_snapshot s where s.delivery_id = metric_latest.delivery_id and s.note = ''),
    shares = (select max(s.shares) from metric_snapshot s where s.delivery_id = metric_latest.delivery_id and s.note = '');
drop table metric_growth;
