-- Engagement (SQLite): tracked links and QR codes, the click log, daily rollups that reports
-- read instead of raw clicks, metric snapshots polled from the channels, and poster placements.
-- Times are UTC milliseconds; `day` is the Hanoi calendar day (YYYY-MM-DD).

-- One short link per (post or campaign, channel account, unit, source). unit_id is the unit the
-- link is attributed to: the account's district, or a ward for a QR poster.
create table tracked_link (
    link_id integer primary key,
    slug text not null unique,
    campaign_id integer not null references campaign (campaign_id) on delete cascade,
    post_id integer references post (post_id) on delete cascade,
    account_id integer references channel_account (account_id),
    unit_id integer references area (area_id),
    source text not null check (source in ('post', 'qr')),
    destination text not null,
    created_at integer not null,
    attribution text not null unique
);
create index tracked_link_post on tracked_link (post_id);
create index tracked_link_campaign on tracked_link (campaign_id, source, unit_id);

-- No address is stored: `visitor` is a hash under a salt that changes every day. No index
-- beyond the key: reports read click_daily, and every index here costs the hot path.
create table click (
    click_id integer primary key,
    link_id integer not null references tracked_link (link_id) on delete cascade,
    at integer not null,
    day text not null,
    referrer_host text not null default '',
    device text not null,
    bot integer not null default 0,
    visitor text not null
);

create table click_daily (
    link_id integer not null references tracked_link (link_id) on delete cascade,
    day text not null,
    clicks integer not null default 0,
    unique_visitors integer not null default 0,
    bot_clicks integer not null default 0,
    primary key (link_id, day)
);
create index click_daily_day on click_daily (day);

-- Who was already counted as a unique visitor of a link on a day (kept for a few days).
create table click_visitor (
    link_id integer not null,
    day text not null,
    visitor text not null,
    primary key (link_id, day, visitor)
);

create table daily_salt (
    day text primary key,
    salt text not null
);

create table metric_snapshot (
    snapshot_id integer primary key,
    delivery_id integer not null references delivery (delivery_id) on delete cascade,
    at integer not null,
    views integer,
    reach integer,
    reactions integer,
    reactions_by_type text not null default '',
    comments integer,
    shares integer,
    clicks integer,
    note text not null default ''
);
create index metric_snapshot_delivery on metric_snapshot (delivery_id, at);

alter table delivery add column metrics_round integer not null default 0;
alter table delivery add column metrics_due_at integer;
alter table delivery add column metrics_lease_until integer;
create index delivery_metrics_due on delivery (metrics_due_at);

create table qr_placement (
    placement_id integer primary key,
    link_id integer not null references tracked_link (link_id) on delete cascade,
    place text not null,
    placed_on text not null,
    note text not null default '',
    created_by integer not null references app_user (user_id),
    created_at integer not null
);
create index qr_placement_link on qr_placement (link_id);
