-- A click's reader is kept as its 64-bit key (engagement/clicks.rs: `visitor`) instead of the
-- hash's 32 hex digits: a narrower row (a sixth of a click's bytes, in the table, its log and
-- its flushing) and no text to check on every insert. Rows stored before keep the key their
-- hex already began with, so the day's repeat readers still match.
alter table click alter column visitor type bigint using
    case when visitor ~ '^[0-9a-f]{16}'
         then ('x' || substr(visitor, 1, 16))::bit(64)::bigint
         else ('x' || substr(md5(visitor), 1, 16))::bit(64)::bigint
    end;
