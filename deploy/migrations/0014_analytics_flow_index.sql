-- Analytics (issue 14): the flow report counts the distinct members of each
-- (funder, redeemer, month) cell of redemptions. Without an index leading with funder
-- and redeemer, finding one cell's rows reads every consumption of the period.
ALTER TABLE consumptions ADD KEY ix_flow (funder_id, redeemer_id, posted_at);
