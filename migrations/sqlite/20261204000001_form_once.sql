-- One-time keys of creating forms: a repeated submission answers with the first one's result.
create table form_once (
    user_id integer not null references app_user (user_id) on delete cascade,
    once_key text not null,
    location text not null,
    created_at integer not null,
    primary key (user_id, once_key)
);
create index form_once_age on form_once (created_at);

-- A CSV import as one record: its posts, so the result page is a plain GET (POST-redirect-GET).
create table post_import (
    import_id integer primary key,
    campaign_id integer not null references campaign (campaign_id) on delete cascade,
    user_id integer not null references app_user (user_id),
    status text not null check (status in ('draft', 'scheduled')),
    post_ids text not null,
    created_at integer not null
);
