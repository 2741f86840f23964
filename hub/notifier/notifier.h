// The member notifier (issue 15): reads the events stream from its own cursor, turns
// the events a member cares about into mail (points expiring, tier changes, promotions
// at partners the member shops at, claim steps) in the member's language, honouring
// consent, channel and quiet hours, and sends the queue (notifications table) through
// SMTP. The hub queues sign-in codes in the same table.
//
// Exactly once into the queue: a run reads events after the cursor and writes their
// mail and the new cursor in one transaction. At least once onto the wire: a mail is
// marked sent after the server took it, so a crash in between sends it again.
//
// Not thread-safe; several notifier processes may run at once (the cursor row and
// SKIP LOCKED keep them from doing the same work).
#ifndef LOYALTY_HUB_NOTIFIER_NOTIFIER_H_
#define LOYALTY_HUB_NOTIFIER_NOTIFIER_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hub/common/clock.h"
#include "hub/notifier/smtp.h"
#include "hub/store/member_rows.h"
#include "hub/store/store.h"

namespace loyalty {

struct NotifierOptions {
  SmtpOptions smtp;
  // The cursor's name in event_consumers. Default: "notifier".
  std::string consumer = "notifier";
  // Events read per transaction. Default: 500.
  int batch = 500;
  // A promotion is mailed to members who earned at its partner this recently.
  // Default: 90 days.
  absl::Duration promotion_audience = absl::Hours(24 * 90);
  // Attempts per mail before it is marked failed. Default: 8.
  int max_attempts = 8;
  // The wait after the first failed attempt, doubling each time, at most an hour.
  // Default: 30 s.
  absl::Duration retry_backoff = absl::Seconds(30);
};

struct NotifierRun {
  int64_t events = 0;   // events read
  int64_t queued = 0;   // mail queued
  int64_t sent = 0;
  int64_t retried = 0;  // attempts that failed and will be tried again
  int64_t failed = 0;   // mail given up
};

// When a mail to a member in `time_zone` with quiet hours [start, end) (minutes of the
// day; start == end: none) may go: `now`, or the end of the quiet hours it falls in.
Micros NotBefore(Micros now, const std::string& time_zone, int quiet_start_minute,
                 int quiet_end_minute);

class Notifier {
 public:
  // REQUIRES: store and clock outlive the notifier.
  Notifier(Store* store, const Clock* clock, NotifierOptions options);

  // Queues the mail of the events after the cursor, batch after batch, until caught up.
  absl::StatusOr<NotifierRun> QueueFromEvents();
  // Sends what is due.
  absl::StatusOr<NotifierRun> SendDue();

 private:
  // Queues the mail of one event, in the transaction of `rows`.
  absl::Status QueueFor(MemberRows& rows, const EventRow& e, NotifierRun* run);
  // Queues `kind` for `member` if their profile lets it, rendered from `fields`.
  absl::Status QueueNotice(MemberRows& rows, MemberId member, const std::string& kind,
                           bool marketing, const EventRow& e,
                           std::map<std::string, std::string> fields, NotifierRun* run);

  Store* const store_;
  const Clock* const clock_;
  const NotifierOptions options_;
  std::map<PartnerId, std::string> partner_names_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_NOTIFIER_NOTIFIER_H_
