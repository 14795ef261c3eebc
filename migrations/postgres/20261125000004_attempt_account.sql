-- Attempts carry their account, so the dispatcher can count an account's calls in the last
-- minute (its rate limit) without joining every delivery.
alter table delivery_attempt add column account_id bigint;
create index delivery_attempt_account on delivery_attempt (account_id, started_at);
