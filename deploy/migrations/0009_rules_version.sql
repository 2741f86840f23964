-- A counter every write of the earn rules a batch reads (program, partners, tiers,
-- promotions) advances in the same transaction, so group commit can keep those rules in
-- memory across batches and read one number per batch to know they are current
-- (hub/store/working_set.h, BatchRules).
CREATE TABLE rules_version (
  id TINYINT NOT NULL PRIMARY KEY,
  version BIGINT NOT NULL
) ENGINE=InnoDB;
INSERT INTO rules_version (id, version) VALUES (1, 1);
