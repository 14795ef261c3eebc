-- Foundation: administrative units, PAPI reference data, settings, accounts, sessions, audit.
-- Times are UTC milliseconds since the Unix epoch (see src/clock.rs). Never edit an applied
-- migration: add a new file.

create table area (
    area_id integer primary key,
    snapshot text not null,
    code text not null,
    name text not null,
    kind text not null,
    level text not null check (level in ('province', 'district', 'commune')),
    parent_code text,
    province_code text not null,
    unique (snapshot, code)
);
create index area_parent on area (snapshot, parent_code);

create table area_conversion (
    old_code text not null,
    old_name text not null,
    old_district_code text not null,
    new_code text not null,
    new_name text not null,
    merge text not null check (merge in ('whole', 'partial')),
    primary key (old_code, new_code)
);
create index area_conversion_new on area_conversion (new_code);

create table papi_dimension (
    code text primary key,
    parent_code text,
    level text not null,
    name_vi text not null,
    name_en text not null,
    scale_min double precision not null,
    scale_max double precision not null,
    since integer not null,
    confidence text not null,
    position integer not null
);

create table papi_result (
    year integer primary key,
    total double precision,
    rank_of_63 integer,
    group_no integer,
    notes text not null,
    sources text not null
);

create table papi_score (
    year integer not null references papi_result (year),
    dimension_code text not null references papi_dimension (code),
    score double precision not null,
    primary key (year, dimension_code)
);

create table setting (
    key text primary key,
    value text not null,
    updated_at bigint not null
);

create table refdata_load (
    name text primary key,
    checksum text not null,
    loaded_at bigint not null
);

create table app_user (
    user_id integer primary key,
    username text not null unique,
    display_name text not null,
    password_hash text not null,
    role text not null check (role in ('admin', 'officer', 'district', 'manager')),
    unit_id bigint references area (area_id),
    locale text not null default 'vi',
    disabled boolean not null default false,
    must_change_password boolean not null default false,
    created_at bigint not null,
    updated_at bigint not null,
    last_login_at bigint
);

create table session (
    session_hash text primary key,
    user_id bigint not null references app_user (user_id) on delete cascade,
    csrf_token text not null,
    created_at bigint not null,
    expires_at bigint not null,
    last_seen_at bigint not null
);
create index session_by_user on session (user_id);
create index session_by_expiry on session (expires_at);

create table login_failure (
    login_failure_id integer primary key,
    username text not null,
    client_key text not null,
    at bigint not null
);
create index login_failure_username on login_failure (username, at);

create table audit_log (
    audit_id integer primary key,
    at bigint not null,
    actor_user_id bigint references app_user (user_id),
    action text not null,
    subject text not null,
    detail text not null
);
create index audit_log_at on audit_log (at);
