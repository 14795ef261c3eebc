-- Campaigns, posts with per-channel variants, approval history, media (SQLite).
-- Dates of a campaign are calendar days in Hanoi ('YYYY-MM-DD'); instants are UTC milliseconds.

-- Owning units of campaigns: the city office and departments (sở). Data, not code: departments
-- merge and rename (15 since 1 March 2025), so the list is a table an admin can extend.
create table department (
    code text primary key,
    name_vi text not null,
    name_en text not null,
    position integer not null default 0
);
insert into department (code, name_vi, name_en, position) values
    ('vp-ubnd', 'Văn phòng UBND Thành phố', 'City People''s Committee Office', 1),
    ('so-noi-vu', 'Sở Nội vụ', 'Department of Home Affairs', 2),
    ('so-tu-phap', 'Sở Tư pháp', 'Department of Justice', 3),
    ('so-vh-tt', 'Sở Văn hóa và Thể thao', 'Department of Culture and Sports', 4),
    ('so-kh-cn', 'Sở Khoa học và Công nghệ', 'Department of Science and Technology', 5),
    ('thanh-tra', 'Thanh tra Thành phố', 'City Inspectorate', 6);

create table campaign (
    campaign_id integer primary key,
    title text not null,
    objective text not null,
    owner_code text not null references department (code),
    snapshot text not null,
    status text not null check (status in ('planning', 'active', 'finished', 'archived')),
    starts_on text not null,
    ends_on text not null,
    created_by integer not null references app_user (user_id),
    created_at integer not null,
    updated_at integer not null,
    version integer not null default 1,
    check (ends_on >= starts_on)
);
create index campaign_dates on campaign (starts_on, ends_on);

create table campaign_dimension (
    campaign_id integer not null references campaign (campaign_id) on delete cascade,
    dimension_code text not null references papi_dimension (code),
    primary key (campaign_id, dimension_code)
);
create index campaign_dimension_code on campaign_dimension (dimension_code);

-- One row per target unit; a KPI left empty is not a target.
create table campaign_target (
    campaign_id integer not null references campaign (campaign_id) on delete cascade,
    area_id integer not null references area (area_id),
    kpi_posts integer,
    kpi_reach integer,
    kpi_clicks integer,
    kpi_scans integer,
    kpi_responses integer,
    primary key (campaign_id, area_id)
);
create index campaign_target_area on campaign_target (area_id);

create table media (
    media_id integer primary key,
    sha256 text not null,
    unit_id integer references area (area_id),
    uploaded_by integer not null references app_user (user_id),
    original_name text not null,
    format text not null,
    width integer not null,
    height integer not null,
    byte_size integer not null,
    alt_text text not null default '',
    focal_x real not null default 0.5,
    focal_y real not null default 0.5,
    created_at integer not null
);
create index media_unit on media (unit_id, created_at);

create table media_variant (
    media_id integer not null references media (media_id) on delete cascade,
    kind text not null,
    blob_key text not null,
    width integer not null,
    height integer not null,
    byte_size integer not null,
    primary key (media_id, kind)
);

-- unit_id null: a city post. Channels are the rows of post_variant.
create table post (
    post_id integer primary key,
    campaign_id integer not null references campaign (campaign_id),
    unit_id integer references area (area_id),
    author_id integer not null references app_user (user_id),
    title text not null,
    body text not null,
    link text,
    hashtags text not null default '',
    media_id integer references media (media_id),
    status text not null,
    scheduled_at integer,
    published_at integer,
    created_at integer not null,
    updated_at integer not null,
    version integer not null default 1
);
create index post_campaign on post (campaign_id, created_at);
create index post_scheduled on post (scheduled_at);
create index post_unit on post (unit_id, status);

create table post_variant (
    post_id integer not null references post (post_id) on delete cascade,
    channel text not null,
    title text not null default '',
    summary text not null default '',
    body text not null default '',
    edited integer not null default 0,
    primary key (post_id, channel)
);
create index post_variant_channel on post_variant (channel, post_id);

create table post_transition (
    transition_id integer primary key,
    post_id integer not null references post (post_id) on delete cascade,
    actor_id integer references app_user (user_id),
    at integer not null,
    action text not null,
    from_status text,
    to_status text not null,
    comment text not null default ''
);
create index post_transition_post on post_transition (post_id, at);
