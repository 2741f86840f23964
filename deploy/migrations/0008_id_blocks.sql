-- Row ids the hubs hand out themselves (hub/store/batch_rows.h, IdSource): each hub
-- reserves a block of ids per table in a short transaction of its own, so a batch
-- writes its txns, lots, consumptions and holds as multi-row inserts with no id
-- returned per row. next_id is the first id not yet handed out.
CREATE TABLE id_blocks (
  name VARCHAR(32) NOT NULL PRIMARY KEY,
  next_id BIGINT NOT NULL
) ENGINE=InnoDB;
INSERT INTO id_blocks (name, next_id)
  SELECT 'txns', COALESCE(MAX(id), 0) + 1 FROM txns
  UNION ALL SELECT 'lots', COALESCE(MAX(id), 0) + 1 FROM lots
  UNION ALL SELECT 'consumptions', COALESCE(MAX(id), 0) + 1 FROM consumptions
  UNION ALL SELECT 'holds', COALESCE(MAX(id), 0) + 1 FROM holds;
