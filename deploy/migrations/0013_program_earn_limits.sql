-- Limits the program operator sets on every earn (issue 13): the most spend one earn may
-- carry and how many earns one member's cards may make in an hour; 0 = no limit. An earn
-- past either fails FAILED_PRECONDITION naming the limit, so a typo at a till cannot mint
-- points or a tier.
ALTER TABLE program
  ADD COLUMN max_earn_amount_minor BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN max_earns_per_card_hour INT NOT NULL DEFAULT 0;
