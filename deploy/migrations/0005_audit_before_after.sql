-- The audit log keeps the state before and after each admin or finance action (JSON
-- text; NULL when there is none) and is read newest first, by time, actor and action.
ALTER TABLE audit_log
  ADD COLUMN before_state MEDIUMTEXT NULL,
  ADD COLUMN after_state MEDIUMTEXT NULL,
  ADD INDEX audit_log_at (at),
  ADD INDEX audit_log_actor (actor, id),
  ADD INDEX audit_log_action (action, id);
