-- The click writer adds each group's clicks to report_daily and post_engagement itself (see
-- store/clicklog.rs), so the per-row triggers on click_daily go.
drop trigger click_daily_report_ins;
drop trigger click_daily_report_upd;

-- A drill-down reads one district's wards over a period; the key starts with the day, so
-- without this it read every ward's rows (219 ms for a quarter on PostgreSQL).
create index report_daily_area on report_daily (tier, area_id, day);
