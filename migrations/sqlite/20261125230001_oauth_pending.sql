-- OAuth authorizations under way (a Zalo OA's first connection): what the callback needs,
-- keyed by the `state` sent to the provider and bound to the session that started it. The
-- request (app secret and PKCE verifier included) is sealed with LOA_SECRET_KEY. A row lives
-- ten minutes, as long as Zalo's code, and is deleted when the callback uses it.
create table oauth_pending (
    state text primary key,
    session_hash text not null,
    user_id integer not null references app_user (user_id) on delete cascade,
    sealed_request text not null,
    expires_at integer not null
);
create index oauth_pending_expiry on oauth_pending (expires_at);
