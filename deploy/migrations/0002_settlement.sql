-- Settlement: configuration, partner terms, and stored runs (DESIGN.md section 7).

CREATE TABLE settlement_config (
  id TINYINT NOT NULL PRIMARY KEY,
  model VARCHAR(20) NOT NULL,
  period_unit VARCHAR(10) NOT NULL,
  time_zone VARCHAR(64) NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB;

CREATE TABLE settlement_terms (
  partner_id BIGINT NOT NULL PRIMARY KEY,
  issue_price_micros BIGINT NOT NULL,
  redeem_value_micros BIGINT NOT NULL,
  fee_per_point_micros BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB;

-- One run per period. A draft may be recomputed in place; a final run never changes.
CREATE TABLE settlement_runs (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  period_label VARCHAR(64) NOT NULL,
  period_start BIGINT NOT NULL,
  period_end BIGINT NOT NULL,
  model VARCHAR(20) NOT NULL,
  currency CHAR(3) NOT NULL,
  status VARCHAR(10) NOT NULL,
  checksum CHAR(64) NOT NULL,
  gross_total_minor BIGINT NOT NULL,
  net_total_minor BIGINT NOT NULL,
  document LONGTEXT NOT NULL,
  created_at BIGINT NOT NULL,
  finalized_at BIGINT NULL,
  UNIQUE KEY uq_period (period_start, period_end)
) ENGINE=InnoDB;

CREATE TABLE settlement_lines (
  run_id BIGINT NOT NULL,
  line_no INT NOT NULL,
  kind VARCHAR(20) NOT NULL,
  payer_id BIGINT NOT NULL,
  payee_id BIGINT NOT NULL,
  points BIGINT NOT NULL,
  price_micros BIGINT NOT NULL,
  amount_minor BIGINT NOT NULL,
  internal TINYINT NOT NULL,
  PRIMARY KEY (run_id, line_no)
) ENGINE=InnoDB;
