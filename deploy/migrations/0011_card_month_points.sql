-- The points each bank card earned in a month (what its monthly cap counts: earned
-- purchases minus the points their refunds reversed), kept as a running total beside
-- card_clearings by every insert of a clearing row, so the cap check reads one row
-- instead of summing the card's month on every record (a busy card made ingest
-- quadratic). The invariant check compares it with card_clearings.
CREATE TABLE card_month_points (
  card_ref VARCHAR(80) NOT NULL,
  month_key CHAR(7) NOT NULL,
  points BIGINT NOT NULL,
  PRIMARY KEY (card_ref, month_key)
) ENGINE=InnoDB;
INSERT INTO card_month_points (card_ref, month_key, points)
  SELECT card_ref, month_key,
         SUM(CASE WHEN type = 'purchase' THEN points ELSE -points END)
  FROM card_clearings WHERE status IN ('earned', 'reversed')
  GROUP BY card_ref, month_key;
