-- PostgreSQL drops the click log's foreign key in this migration (see its file): there it
-- share-locks the link once per click. SQLite checks a key by one index lookup without a lock,
-- so its click log keeps the key; this file keeps the two migration trees in step.
select 1;
