-- The card-issuing bank: earn rules, partners' merchant ids, co-branded card links and
-- the clearing records it streams (issue: card-spend earn). Card references are tokens
-- or keyed hashes of PANs ("h:<hex>"): no PAN is ever stored.

CREATE TABLE bank_earn_rules (
  bank_id BIGINT NOT NULL PRIMARY KEY,
  default_rate_bp BIGINT NOT NULL,
  partner_merchant_rate_bp BIGINT NOT NULL,
  monthly_cap_points BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE bank_mcc_rules (
  bank_id BIGINT NOT NULL,
  mcc INT NOT NULL,
  rate_bp BIGINT NOT NULL,
  excluded TINYINT NOT NULL,
  PRIMARY KEY (bank_id, mcc)
) ENGINE=InnoDB;

CREATE TABLE merchant_ids (
  merchant_id VARCHAR(32) NOT NULL PRIMARY KEY,
  partner_id BIGINT NOT NULL,
  created_at BIGINT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE card_links (
  card_ref VARCHAR(80) NOT NULL PRIMARY KEY,
  bank_id BIGINT NOT NULL,
  member_id BIGINT NOT NULL,
  active TINYINT NOT NULL,
  linked_at BIGINT NOT NULL,
  KEY ix_member (member_id)
) ENGINE=InnoDB;

CREATE TABLE card_clearings (
  bank_id BIGINT NOT NULL,
  clearing_id VARCHAR(64) NOT NULL,
  request_hash CHAR(64) NOT NULL,
  card_ref VARCHAR(80) NOT NULL,
  member_id BIGINT NULL,
  type VARCHAR(10) NOT NULL,
  amount_minor BIGINT NOT NULL,
  mcc INT NOT NULL,
  merchant_id VARCHAR(32) NOT NULL,
  original_clearing_id VARCHAR(64) NOT NULL,
  status VARCHAR(20) NOT NULL,
  reason VARCHAR(200) NOT NULL,
  points BIGINT NOT NULL,
  refunded_amount_minor BIGINT NOT NULL DEFAULT 0,
  hub_txn_id BIGINT NOT NULL,
  month_key CHAR(7) NOT NULL,
  occurred_at BIGINT NOT NULL,
  posted_at BIGINT NOT NULL,
  PRIMARY KEY (bank_id, clearing_id),
  KEY ix_card_month (card_ref, month_key),
  KEY ix_status (bank_id, status)
) ENGINE=InnoDB;
