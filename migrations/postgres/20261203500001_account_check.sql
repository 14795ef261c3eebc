-- The last "test connection" of a channel account: when it ran and what it reported (empty:
-- it worked). An account never tested, or whose last test failed, is shown as such; its status
-- (which the dispatcher reads) stays as it is, so a passing network hiccup during a test never
-- stops an account that publishes fine.
alter table channel_account add column checked_at bigint;
alter table channel_account add column check_error text not null default '';
