-- Channel counters can go down (a share withdrawn, a reaction taken back, a demo curve that
-- wobbles), and a snapshot used to add that fall to its day as a negative delta: a period
-- could show "Chia sẻ −2". A period now counts what grew past the highest value seen so far:
-- never negative, and a fall followed by a recovery is not counted twice. `metric_latest`
-- keeps those highest values (it is read only by this trigger and for the polling time).
create or replace function metric_snapshot_report() returns trigger language plpgsql as $$
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
    dv := greatest(coalesce(new.views, 0) - coalesce(m.views, 0), 0);
    dr := greatest(coalesce(new.reach, 0) - coalesce(m.reach, 0), 0);
    dre := greatest(coalesce(new.reactions, 0) - coalesce(m.reactions, 0), 0);
    dc := greatest(coalesce(new.comments, 0) - coalesce(m.comments, 0), 0);
    ds := greatest(coalesce(new.shares, 0) - coalesce(m.shares, 0), 0);
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
    -- greatest() ignores nulls, so a counter the channel did not report keeps its highest.
    insert into metric_latest (delivery_id, at, views, reach, reactions, comments, shares)
    values (new.delivery_id, new.at, new.views, new.reach, new.reactions, new.comments, new.shares)
    on conflict (delivery_id) do update set at = excluded.at,
        views = greatest(excluded.views, metric_latest.views), reach = greatest(excluded.reach, metric_latest.reach),
        reactions = greatest(excluded.reactions, metric_latest.reactions),
        comments = greatest(excluded.comments, metric_latest.comments),
        shares = greatest(excluded.shares, metric_latest.shares);
    return null;
end $$;

-- Existing data: the channel measures of the rollups are counted again from the snapshots,
-- each adding what its counters rose above their earlier highest (clicks are left as they are).
update report_daily set views = 0, reach = 0, reactions = 0, comments = 0, shares = 0;
update post_engagement set views = 0, reach = 0, reactions = 0, comments = 0, shares = 0;
create temporary table metric_growth on commit drop as
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
select t.tier, to_char(to_timestamp(g.at / 1000.0) at time zone 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD'), case when t.whole = 1 then 0 else p.campaign_id end,
    case t.tier when 'unit' then coalesce(a.unit_id, 0) else coalesce(up.area_id, a.unit_id, 0) end,
    sum(g.views), sum(g.reach), sum(g.reactions), sum(g.comments), sum(g.shares)
from metric_growth g join delivery d on d.delivery_id = g.delivery_id join post p on p.post_id = d.post_id
join channel_account a on a.account_id = d.account_id
cross join (values ('unit', 0), ('top', 0), ('unit', 1), ('top', 1)) t (tier, whole)
left join area u on u.area_id = a.unit_id
left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district'
group by 1, 2, 3, 4
on conflict (tier, day, campaign_id, area_id) do update set
    views = report_daily.views + excluded.views, reach = report_daily.reach + excluded.reach,
    reactions = report_daily.reactions + excluded.reactions,
    comments = report_daily.comments + excluded.comments, shares = report_daily.shares + excluded.shares;
insert into post_engagement (post_id, views, reach, reactions, comments, shares)
select d.post_id, sum(g.views), sum(g.reach), sum(g.reactions), sum(g.comments), sum(g.shares)
from metric_growth g join delivery d on d.delivery_id = g.delivery_id group by d.post_id
on conflict (post_id) do update set views = excluded.views, reach = excluded.reach,
    reactions = excluded.reactions, comments = excluded.comments, shares = excluded.shares;
update metric_latest m set views = x.views, reach = x.reach, reactions = x.reactions,
    comments = x.comments, shares = x.shares
from (select delivery_id, max(views) as views, max(reach) as reach, max(reactions) as reactions,
        max(comments) as comments, max(shares) as shares
      from metric_snapshot where note = '' group by delivery_id) x
where x.delivery_id = m.delivery_id;
