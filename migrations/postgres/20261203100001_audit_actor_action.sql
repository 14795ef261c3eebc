-- Refused requests are audited at most once per person and kind in a window
-- (`Store::audit_unless_recent`); this index answers that check without scanning the log.
create index audit_log_actor_action on audit_log (actor_user_id, action, at);
