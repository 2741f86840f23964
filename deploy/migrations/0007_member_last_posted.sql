-- The time of a member's latest posting. A posting's `now` is read after the member's
-- row lock and never goes below this, so hubs whose clocks differ cannot make time run
-- backwards for a member (a lot posted by a hub whose clock runs ahead never looks
-- "pending" to one whose clock runs behind).
ALTER TABLE members ADD COLUMN last_posted_at BIGINT NOT NULL DEFAULT 0;
UPDATE members m
  JOIN (SELECT member_id, MAX(posted_at) AS at FROM txns GROUP BY member_id) t
    ON t.member_id = m.id
  SET m.last_posted_at = t.at;
