-- Indexes for lookups that otherwise read every txns row:
-- - the bonuses of an earn being reversed (original_txn_id = ? AND kind = 'bonus'),
--   run for every earn reversal and every card refund;
-- - a member's earns across all partners since a date (tier spend, cross-partner
--   promotions), run for every earn when tiers or such promotions exist.
ALTER TABLE txns
  ADD KEY ix_original (original_txn_id),
  ADD KEY ix_member_time (member_id, posted_at);
