-- Clicks reach the rollups by folds (store/clicklog/fold.rs) instead of in the redirect's own
-- transaction; click_writer holds the number up to which clicks are in the rollups. SQLite has
-- one writer (0), numbering clicks by rowid. Everything stored before this migration was
-- already in the rollups.
create table click_writer (
    writer_id integer primary key,
    started_at integer not null,
    folded_seq integer not null default 0
);

alter table click rename column click_id to seq;
alter table click add column writer_id integer not null default 0;

insert into click_writer (writer_id, started_at, folded_seq)
select 0, 0, coalesce(max(seq), 0) from click;

-- SQLite is used by one Loa process, so its click writer can tell new readers from repeat ones
-- in memory (loaded from this table at start). The table then only needs appending, in
-- arrival order: a unique key over random hashes dirtied a page per new reader, which SQLite
-- writes whole to its log (measured as most of the click path's time).
create table click_visitor_log (
    link_id integer not null,
    day text not null,
    visitor text not null
);
insert into click_visitor_log (link_id, day, visitor) select link_id, day, visitor from click_visitor;
drop table click_visitor;
alter table click_visitor_log rename to click_visitor;
