-- The lots of a member still pending (inside their partner's return window) by index
-- range: group commit loads only a member's lots due or pending for requests that take
-- nothing from lots (an earn), not every open lot (hub/store/batch_rows.h,
-- DueOrPendingLotsOf).
ALTER TABLE lots ADD KEY ix_member_available (member_id, available_at);
