-- Leases (issue 16 groundwork): a background job (expiry sweep, tier review, timed
-- events, claim escalation) runs on one hub instance at a time. The holder renews its
-- lease while it runs; when it stops renewing (it died), another instance takes the
-- lease once it has expired.
CREATE TABLE leases (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  holder VARCHAR(128) NOT NULL,
  expires_at BIGINT NOT NULL,
  acquired_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
