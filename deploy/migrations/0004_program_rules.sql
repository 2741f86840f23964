-- Earn rules (issue: tiers, promotions, pending points, expiry policy, PIN).

ALTER TABLE program
  ADD COLUMN expiry_policy VARCHAR(20) NOT NULL DEFAULT 'months_after_earn',
  ADD COLUMN expiry_years INT NOT NULL DEFAULT 0,
  ADD COLUMN time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC',
  ADD COLUMN min_redemption_points BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN pin_threshold_points BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN pause_expiry_for_cobranded TINYINT NOT NULL DEFAULT 0;

ALTER TABLE partners ADD COLUMN return_window_days INT NOT NULL DEFAULT 0;

-- A lot is pending (not spendable) until available_at: the partner's return window.
ALTER TABLE lots ADD COLUMN available_at BIGINT NOT NULL DEFAULT 0;

ALTER TABLE members
  ADD COLUMN tier VARCHAR(40) NOT NULL DEFAULT '',
  ADD COLUMN pin_hash CHAR(64) NULL,
  ADD COLUMN pin_failures INT NOT NULL DEFAULT 0;

CREATE TABLE tiers (
  name VARCHAR(40) NOT NULL PRIMARY KEY,
  threshold_minor BIGINT NOT NULL,
  multiplier_bp BIGINT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE promotions (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  funder_id BIGINT NOT NULL,
  scope VARCHAR(10) NOT NULL,
  scope_value VARCHAR(40) NOT NULL,
  kind VARCHAR(20) NOT NULL,
  starts_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  multiplier_bp BIGINT NOT NULL,
  bonus_points BIGINT NOT NULL,
  min_spend_minor BIGINT NOT NULL,
  every_n INT NOT NULL,
  distinct_partners INT NOT NULL,
  window_days INT NOT NULL,
  ended TINYINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  KEY ix_window (starts_at, ends_at)
) ENGINE=InnoDB;

-- Each bonus a promotion paid: the cross-partner "once" rule and the earn breakdown.
CREATE TABLE promotion_awards (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  promotion_id BIGINT NOT NULL,
  member_id BIGINT NOT NULL,
  earn_txn_id BIGINT NOT NULL,
  bonus_txn_id BIGINT NOT NULL,
  points BIGINT NOT NULL,
  awarded_at BIGINT NOT NULL,
  KEY ix_promo_member (promotion_id, member_id),
  KEY ix_earn (earn_txn_id)
) ENGINE=InnoDB;
