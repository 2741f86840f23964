-- Webhooks (issue 15): partners' HTTPS endpoints and the deliveries of events to them.
-- The deliverer (loyalty_webhooks) copies each endpoint's events after its cursor into
-- webhook_deliveries, in one transaction with the cursor, then posts them, retrying with
-- exponential backoff for a day; what still fails is a dead letter the partner can read
-- and replay.
CREATE TABLE webhooks (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  partner_id BIGINT NOT NULL,        -- whose events (0: the operator's, all)
  url VARCHAR(500) NOT NULL,
  secret VARCHAR(128) NOT NULL,      -- the HMAC key deliveries are signed with
  types VARCHAR(1000) NOT NULL DEFAULT '',  -- comma-separated event types; '' = all
  active TINYINT NOT NULL DEFAULT 1,
  cursor_seq BIGINT NOT NULL,        -- events up to here are in webhook_deliveries
  created_at BIGINT NOT NULL,
  KEY ix_partner (partner_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE webhook_deliveries (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  webhook_id BIGINT NOT NULL,
  event_id BIGINT NOT NULL,
  event_seq BIGINT NOT NULL,
  payload TEXT NOT NULL,             -- the JSON body, the same on every attempt
  status VARCHAR(12) NOT NULL,       -- pending, delivered, dead
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,        -- retries stop a day after this (or a replay)
  delivered_at BIGINT NULL,
  last_status_code INT NOT NULL DEFAULT 0,
  last_error VARCHAR(300) NOT NULL DEFAULT '',
  UNIQUE KEY uq_event (webhook_id, event_id),
  KEY ix_due (status, next_attempt_at),
  KEY ix_webhook_status (webhook_id, status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
