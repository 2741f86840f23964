-- Member and partner events (issue 15): one row per change a member or partner cares
-- about, written in the posting's own transaction (MysqlTxn::WriteEvents) or by the
-- timed-events job. `id` is the event's stable id; `seq` is the commit-ordered cursor a
-- single sequencer assigns once the row is committed (NULL until then): row ids are
-- handed out before commit, so they are not commit order, and a reader following ids
-- could skip an event that commits late.
CREATE TABLE events (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  seq BIGINT NULL,
  type VARCHAR(32) NOT NULL,
  member_id BIGINT NOT NULL DEFAULT 0,
  partner_id BIGINT NOT NULL DEFAULT 0,
  txn_id BIGINT NULL,
  partner_txn_id VARCHAR(64) NULL,
  points BIGINT NOT NULL DEFAULT 0,
  balance_after BIGINT NULL,
  available_after BIGINT NULL,
  amount_minor BIGINT NOT NULL DEFAULT 0,
  currency CHAR(3) NOT NULL DEFAULT '',
  detail VARCHAR(1000) NOT NULL DEFAULT '{}',
  occurred_at BIGINT NOT NULL,
  UNIQUE KEY uq_seq (seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The next cursor value; its one row is the sequencer's lock, so two hubs sequencing at
-- once take turns and never hand out the same number.
CREATE TABLE event_sequence (
  id TINYINT NOT NULL PRIMARY KEY,
  next_seq BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
INSERT INTO event_sequence (id, next_seq) VALUES (1, 1);

-- How far each timed-events job has looked (hold expiries, expiring points, promotion
-- starts and ends): each run covers (done_until, now] and moves it, in one transaction.
CREATE TABLE event_jobs (
  name VARCHAR(32) NOT NULL PRIMARY KEY,
  done_until BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The lots a points.expiring event has announced (until they expire): a lot is announced
-- once, whether it came into the notice window by time passing or was made inside it.
CREATE TABLE expiry_notices (
  lot_id BIGINT NOT NULL PRIMARY KEY,
  member_id BIGINT NOT NULL,
  points BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  noticed_at BIGINT NOT NULL,
  KEY ix_expires (expires_at),
  KEY ix_noticed (noticed_at, member_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The timed jobs find their rows by time, not by member.
ALTER TABLE holds ADD KEY ix_status_expiry (status, expires_at);
ALTER TABLE lots ADD KEY ix_expires (expires_at);
ALTER TABLE promotions ADD KEY ix_ends (ends_at);
