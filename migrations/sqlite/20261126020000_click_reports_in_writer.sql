-- The click writer adds each group's clicks to report_daily and post_engagement itself (see
-- store/clicklog.rs), so the per-row triggers on click_daily go.
drop trigger click_daily_report_ins;
drop trigger click_daily_report_upd;
