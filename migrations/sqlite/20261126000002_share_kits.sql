-- District share kits: a city post offered to target units to adapt and share on their own
-- channels, each unit's local fields for template filling, in-app notifications, and
-- proposals of local content from below. Times are UTC milliseconds.

create table share_kit (
    kit_id integer primary key,
    post_id integer not null references post (post_id),
    campaign_id integer not null references campaign (campaign_id),
    deadline_at integer not null,
    hints text not null default '',
    allow_title integer not null default 1,
    allow_body integer not null default 1,
    max_length integer,
    status text not null default 'open' check (status in ('open', 'withdrawn')),
    created_by integer not null references app_user (user_id),
    created_at integer not null,
    withdrawn_at integer
);
create index share_kit_deadline on share_kit (status, deadline_at);

-- One row per target unit. `local_post_id`: the unit's local version once it shares.
-- `reminded_at` is claimed by one conditional update, so a reminder goes out once however
-- many workers run.
create table kit_target (
    kit_id integer not null references share_kit (kit_id),
    unit_id integer not null references area (area_id),
    opened_at integer,
    declined_at integer,
    decline_reason text not null default '',
    local_post_id integer references post (post_id),
    reminded_at integer,
    primary key (kit_id, unit_id)
);
create index kit_target_unit on kit_target (unit_id, kit_id);

-- A unit's local facts filled into kit templates ({hotline}, {address}, {email}).
create table unit_field (
    unit_id integer not null references area (area_id),
    name text not null,
    value text not null,
    updated_by integer references app_user (user_id),
    updated_at integer not null,
    primary key (unit_id, name)
);

create table notification (
    notification_id integer primary key,
    user_id integer not null references app_user (user_id),
    kind text not null,
    message_key text not null,
    args text not null default '{}',
    link text not null default '',
    created_at integer not null,
    read_at integer
);
create index notification_user on notification (user_id, read_at, created_at);

create table proposal (
    proposal_id integer primary key,
    unit_id integer not null references area (area_id),
    author_id integer not null references app_user (user_id),
    title text not null,
    body text not null,
    link text,
    status text not null default 'pending' check (status in ('pending', 'adopted', 'declined')),
    reason text not null default '',
    adopted_post_id integer references post (post_id),
    decided_by integer references app_user (user_id),
    decided_at integer,
    created_at integer not null
);
create index proposal_status on proposal (status, created_at);

-- The channel accounts a unit chose when sharing its version; when a post has rows here its
-- deliveries go to exactly these accounts (not every account of the unit carrying a channel).
create table post_account (
    post_id integer not null references post (post_id) on delete cascade,
    account_id integer not null references channel_account (account_id),
    primary key (post_id, account_id)
);
