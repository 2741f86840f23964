-- Members' own side (issue 15): contact details and notification preferences, sign-in
-- codes and sessions, missing-points claims, the notifier's mail queue and the cursors
-- of the processes that consume the events stream.

-- One row per member who set any contact detail or preference. Erasure deletes it.
CREATE TABLE member_profiles (
  member_id BIGINT NOT NULL PRIMARY KEY,
  email VARCHAR(254) NULL,
  language VARCHAR(8) NOT NULL DEFAULT 'en',
  consent_notices TINYINT NOT NULL DEFAULT 0,    -- service notices: expiry, tier, claims
  consent_marketing TINYINT NOT NULL DEFAULT 0,  -- promotions
  channel_email TINYINT NOT NULL DEFAULT 1,
  quiet_start_minute INT NOT NULL DEFAULT 1320,  -- 22:00 in time_zone; start = end: none
  quiet_end_minute INT NOT NULL DEFAULT 480,     -- 08:00
  time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC',
  updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Set when the member's personal data was erased; the journal stays under the member id.
ALTER TABLE members ADD COLUMN erased_at BIGINT NULL;

-- The one-time sign-in code a member asked for (SHA-256 of it), one at a time.
CREATE TABLE member_codes (
  member_id BIGINT NOT NULL PRIMARY KEY,
  code_hash CHAR(64) NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  attempts INT NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Session tokens (SHA-256 of the token): from a code, or issued by the operator.
CREATE TABLE member_sessions (
  token_hash CHAR(64) NOT NULL PRIMARY KEY,
  member_id BIGINT NOT NULL,
  issued_by VARCHAR(64) NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  KEY ix_member (member_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Missing-points claims: a member's purchase at a partner that earned nothing.
CREATE TABLE claims (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  member_id BIGINT NOT NULL,
  partner_id BIGINT NOT NULL,
  purchased_at BIGINT NOT NULL,
  amount_minor BIGINT NOT NULL,
  currency CHAR(3) NOT NULL,
  receipt_ref VARCHAR(64) NOT NULL,
  status VARCHAR(12) NOT NULL,  -- open, escalated, accepted, rejected
  reason VARCHAR(300) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  due_at BIGINT NOT NULL,       -- unanswered by then: escalated to the operator
  escalated_at BIGINT NULL,
  resolved_at BIGINT NULL,
  resolved_by VARCHAR(64) NOT NULL DEFAULT '',
  earn_txn_id BIGINT NULL,
  UNIQUE KEY uq_receipt (partner_id, receipt_ref),
  KEY ix_member (member_id, id),
  KEY ix_partner_status (partner_id, status, id),
  KEY ix_due (status, due_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Mail to members, rendered, waiting for its time (quiet hours) or sent.
CREATE TABLE notifications (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  member_id BIGINT NOT NULL,
  kind VARCHAR(32) NOT NULL,
  event_id BIGINT NULL,
  language VARCHAR(8) NOT NULL,
  recipient VARCHAR(254) NOT NULL,
  subject VARCHAR(300) NOT NULL,
  body TEXT NOT NULL,
  status VARCHAR(12) NOT NULL,  -- pending, sent, failed
  send_after BIGINT NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  last_error VARCHAR(300) NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  sent_at BIGINT NULL,
  UNIQUE KEY uq_event_member (event_id, member_id, kind),
  KEY ix_due (status, send_after),
  KEY ix_member (member_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Where each consumer of the events stream (the notifier, the webhook deliverer) is.
CREATE TABLE event_consumers (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  cursor_seq BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
