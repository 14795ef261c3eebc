-- Exactly once against slow channels (issue 15).
-- first_sent_at: when the delivery first sent its publish request; a lookup only takes what
--   was created after it (less clock skew), never an older look-alike.
-- sent_at: when the last publish request was sent; nothing is sent again until that request
--   can no longer land (connector timeout + publish_settle_seconds).
-- sends: publish requests sent; lookups while waiting do not count towards the dead letter.
alter table delivery add column first_sent_at bigint;
alter table delivery add column sent_at bigint;
alter table delivery add column sends bigint not null default 0;

-- A remote post belongs to one delivery. Earlier versions could adopt another delivery's post
-- by its text: the later one of each pair is failed with the reason, for an officer to decide.
update delivery set state = 'failed', last_error_class = 'permanent',
    last_error = 'Bài trên kênh đã thuộc về một lượt đăng khác (cùng mã ' || remote_id || '): lượt này có thể chưa được đăng. Hãy kiểm tra kênh rồi thử lại hoặc đánh dấu đã đăng.',
    remote_id = null, remote_url = null
where remote_id is not null and exists (
    select 1 from delivery o where o.account_id = delivery.account_id
      and o.remote_id = delivery.remote_id and o.delivery_id < delivery.delivery_id);
update post set status = 'partially_published'
where status = 'published' and exists (
    select 1 from delivery d where d.post_id = post.post_id and d.state = 'failed');
create unique index delivery_remote_once on delivery (account_id, remote_id)
    where remote_id is not null;

-- The channel's copy of an image, per account: the next post reuses it instead of uploading
-- the same bytes again (WordPress media library).
create table remote_media (
    account_id bigint not null references channel_account (account_id) on delete cascade,
    blob_key text not null,
    remote_id text not null,
    created_at bigint not null,
    primary key (account_id, blob_key)
);
