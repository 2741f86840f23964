-- The hub's first schema. Every money table is InnoDB; times are UTC microseconds.
-- Partner and system account balances are never stored: they are derived from
-- `transfers`, so no row is hot.

CREATE TABLE program (
  id TINYINT NOT NULL PRIMARY KEY,
  point_value_micros BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  expiry_months INT NOT NULL,
  hold_timeout_seconds BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE partners (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  category VARCHAR(40) NOT NULL,
  role TINYINT NOT NULL,
  earn_rate_bp BIGINT NOT NULL,
  max_points_per_txn BIGINT NOT NULL,
  max_points_per_member_day BIGINT NOT NULL,
  suspended TINYINT NOT NULL DEFAULT 0,
  -- = category while the partner is active, NULL once suspended: the unique index
  -- makes "one active partner per category" a database fact, race-free.
  active_category VARCHAR(40) NULL,
  created_at BIGINT NOT NULL,
  UNIQUE KEY uq_active_category (active_category)
) ENGINE=InnoDB;

CREATE TABLE api_keys (
  key_hash CHAR(64) NOT NULL PRIMARY KEY,
  role TINYINT NOT NULL,
  partner_id BIGINT NULL,
  revoked TINYINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  KEY ix_partner (partner_id)
) ENGINE=InnoDB;

CREATE TABLE members (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  balance BIGINT NOT NULL DEFAULT 0,
  debt BIGINT NOT NULL DEFAULT 0,
  anonymous TINYINT NOT NULL DEFAULT 0,
  merged_into BIGINT NULL,
  created_at BIGINT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE cards (
  card_number VARCHAR(19) NOT NULL PRIMARY KEY,
  member_id BIGINT NOT NULL,
  bearer TINYINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  KEY ix_member (member_id)
) ENGINE=InnoDB;

-- One row per request that changed anything: the idempotency record and the
-- partner-visible history. (partner_id, partner_txn_id) is the idempotency key; the
-- operator's own requests use partner_id 0.
CREATE TABLE txns (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  partner_id BIGINT NOT NULL,
  partner_txn_id VARCHAR(64) NULL,
  kind VARCHAR(20) NOT NULL,
  member_id BIGINT NOT NULL,
  points BIGINT NOT NULL,
  amount_minor BIGINT NOT NULL DEFAULT 0,
  currency CHAR(3) NOT NULL DEFAULT '',
  request_hash CHAR(64) NOT NULL,
  original_txn_id BIGINT NULL,
  reversed_points BIGINT NOT NULL DEFAULT 0,
  balance_after BIGINT NOT NULL,
  available_after BIGINT NOT NULL,
  posted_at BIGINT NOT NULL,
  occurred_at BIGINT NOT NULL,
  note VARCHAR(200) NOT NULL DEFAULT '',
  UNIQUE KEY uq_idempotency (partner_id, partner_txn_id),
  KEY ix_partner_member_kind_time (partner_id, member_id, kind, posted_at),
  KEY ix_posted (posted_at)
) ENGINE=InnoDB;

-- The append-only double-entry journal: each row moves `points` from the debit
-- account to the credit account.
CREATE TABLE transfers (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  txn_id BIGINT NOT NULL,
  debit_account VARCHAR(40) NOT NULL,
  credit_account VARCHAR(40) NOT NULL,
  points BIGINT NOT NULL,
  posted_at BIGINT NOT NULL,
  KEY ix_txn (txn_id),
  KEY ix_posted (posted_at),
  KEY ix_debit (debit_account),
  KEY ix_credit (credit_account)
) ENGINE=InnoDB;

CREATE TABLE lots (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  member_id BIGINT NOT NULL,
  funder_id BIGINT NOT NULL,
  earn_txn_id BIGINT NOT NULL,
  points BIGINT NOT NULL,
  remaining BIGINT NOT NULL,
  earned_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  KEY ix_member_order (member_id, expires_at, earned_at, id),
  KEY ix_earn (earn_txn_id),
  KEY ix_expiry (expires_at)
) ENGINE=InnoDB;

-- Every movement of points out of (points > 0) or back into (points < 0) a lot, with
-- the partner that gets the value: what settlement is computed from.
CREATE TABLE consumptions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  txn_id BIGINT NOT NULL,
  lot_id BIGINT NOT NULL,
  funder_id BIGINT NOT NULL,
  redeemer_id BIGINT NULL,
  kind VARCHAR(20) NOT NULL,
  points BIGINT NOT NULL,
  restores_id BIGINT NULL,
  posted_at BIGINT NOT NULL,
  KEY ix_txn (txn_id),
  KEY ix_lot (lot_id),
  KEY ix_restores (restores_id),
  KEY ix_posted (posted_at)
) ENGINE=InnoDB;

-- Points a member owes a funder after an earn reversal found no lots to take from.
CREATE TABLE debts (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  member_id BIGINT NOT NULL,
  funder_id BIGINT NOT NULL,
  txn_id BIGINT NOT NULL,
  points BIGINT NOT NULL,
  outstanding BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  KEY ix_member (member_id, outstanding)
) ENGINE=InnoDB;

CREATE TABLE holds (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  auth_txn_id BIGINT NOT NULL,
  member_id BIGINT NOT NULL,
  partner_id BIGINT NOT NULL,
  points BIGINT NOT NULL,
  status VARCHAR(10) NOT NULL,
  expires_at BIGINT NOT NULL,
  UNIQUE KEY uq_auth (auth_txn_id),
  KEY ix_member_status (member_id, status, expires_at)
) ENGINE=InnoDB;

CREATE TABLE audit_log (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor VARCHAR(64) NOT NULL,
  action VARCHAR(40) NOT NULL,
  detail VARCHAR(500) NOT NULL
) ENGINE=InnoDB;
