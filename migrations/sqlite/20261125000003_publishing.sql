-- Publishing (SQLite): channel accounts with sealed credentials, one delivery per
-- (post, account), and every attempt. Times are UTC milliseconds.

-- unit_id null: a city account. Credentials are sealed with LOA_SECRET_KEY and never shown back.
create table channel_account (
    account_id integer primary key,
    kind text not null check (kind in ('wordpress', 'facebook', 'zalo', 'telegram', 'mastodon', 'webhook')),
    name text not null,
    unit_id integer references area (area_id),
    sealed_credentials text not null,
    sandbox integer not null default 0,
    status text not null default 'active' check (status in ('active', 'needs_reauth', 'disabled')),
    status_reason text not null default '',
    rate_per_minute integer not null default 30,
    refresh_lease_until integer,
    concurrency integer not null default 2,
    created_at integer not null,
    updated_at integer not null,
    version integer not null default 1
);
create index channel_account_unit on channel_account (unit_id, kind);

-- The nonce is fixed at creation: it is the idempotency key, the WordPress slug and what
-- reconciliation looks for, across attempts and restarts.
create table delivery (
    delivery_id integer primary key,
    post_id integer not null references post (post_id) on delete cascade,
    account_id integer not null references channel_account (account_id),
    nonce text not null unique,
    state text not null check (state in ('pending', 'sending', 'retry', 'unconfirmed', 'paused', 'published', 'failed', 'cancelled')),
    reconcile integer not null default 0,
    attempts integer not null default 0,
    due_at integer not null,
    lease_owner text,
    lease_until integer,
    remote_id text,
    remote_url text,
    last_error text not null default '',
    last_error_class text not null default '',
    created_at integer not null,
    updated_at integer not null,
    published_at integer,
    unique (post_id, account_id)
);
create index delivery_due on delivery (state, due_at);
create index delivery_account on delivery (account_id, state);

create table delivery_attempt (
    attempt_id integer primary key,
    delivery_id integer not null references delivery (delivery_id) on delete cascade,
    started_at integer not null,
    finished_at integer not null,
    operation text not null,
    outcome text not null,
    detail text not null default ''
);
create index delivery_attempt_delivery on delivery_attempt (delivery_id, started_at);
