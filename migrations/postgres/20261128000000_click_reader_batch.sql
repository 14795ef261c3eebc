-- Folds append the readers they found new as one row per fold and day, the (link, reader) pairs
-- packed in a bytea, instead of a row per reader: a benchmark fold found nearly every click a
-- new reader, and without those row inserts the click path answered about 13% more redirects.
-- Each pair is 16 bytes, big-endian: the link id, then the first 64 bits of the visitor hash
-- (what store/clicklog/visitors.rs keys on). Rows are numbered in the order folds commit, so
-- an instance catches up on other instances' readers by reading past the last number it saw.
create table click_reader_batch (
    batch_id bigint generated always as identity primary key,
    day text not null,
    readers bytea not null
);
-- Random hashes do not compress: store them without trying.
alter table click_reader_batch alter column readers set storage external;
create index click_reader_batch_day on click_reader_batch (day);

insert into click_reader_batch (day, readers)
select day, string_agg(int8send(link_id) || decode(substr(visitor, 1, 16), 'hex'), ''::bytea order by visitor_id)
from click_visitor
where visitor ~ '^[0-9a-f]{16}'
group by day;
drop table click_visitor;
