// The events table (deploy/migrations/0015_events.sql): what the posting transactions
// write (MysqlTxn::WriteEvents, in the posting's own transaction), what the sequencer
// numbers, what EventService reads and what the timed-events job adds. docs/events.md
// describes each type for partners.
#ifndef LOYALTY_HUB_STORE_EVENT_ROWS_H_
#define LOYALTY_HUB_STORE_EVENT_ROWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hub/store/records.h"

namespace loyalty {

// Event types, as stored and as sent.
namespace event_type {
inline constexpr char kMemberEnrolled[] = "member.enrolled";
inline constexpr char kMemberMerged[] = "member.merged";
inline constexpr char kCardLinked[] = "card.linked";
inline constexpr char kCardUnlinked[] = "card.unlinked";
inline constexpr char kPointsEarned[] = "points.earned";
inline constexpr char kPointsRedeemed[] = "points.redeemed";
inline constexpr char kPointsReversed[] = "points.reversed";
inline constexpr char kPointsHeld[] = "points.held";
inline constexpr char kPointsCaptured[] = "points.captured";
inline constexpr char kPointsVoided[] = "points.voided";
inline constexpr char kPointsAdjusted[] = "points.adjusted";
inline constexpr char kPointsExpired[] = "points.expired";
inline constexpr char kPointsExpiring[] = "points.expiring";
inline constexpr char kHoldExpired[] = "hold.expired";
inline constexpr char kDebtCreated[] = "debt.created";
inline constexpr char kDebtRepaid[] = "debt.repaid";
inline constexpr char kTierChanged[] = "tier.changed";
inline constexpr char kPromotionStarted[] = "promotion.started";
inline constexpr char kPromotionEnded[] = "promotion.ended";
inline constexpr char kClaimOpened[] = "claim.opened";
inline constexpr char kClaimResolved[] = "claim.resolved";
inline constexpr char kClaimEscalated[] = "claim.escalated";
}  // namespace event_type

// Every type above, in the order docs/events.md lists them.
const std::vector<std::string>& AllEventTypes();
bool IsEventType(const std::string& type);

struct EventRow {
  int64_t id = 0;   // stable: the same event always has the same id
  int64_t seq = 0;  // the cursor: commit order
  std::string type;
  MemberId member_id = 0;    // 0: none (a promotion's start)
  PartnerId partner_id = 0;  // the partner concerned; 0: the operator or the coalition
  std::optional<TxnId> txn_id;
  std::string partner_txn_id;
  Points points = 0;
  std::optional<Points> balance_after;
  std::optional<Points> available_after;
  int64_t amount_minor = 0;
  std::string currency;
  std::string detail = "{}";  // a JSON object; keys per type (docs/events.md)
  Micros occurred_at = 0;
};

// Who reads: the operator sees every event; a partner (a merchant or the bank) the
// events of its own transactions, promotions and card links (partner_id) and the tier
// changes of members who have a transaction with it.
struct EventQuery {
  int64_t after_seq = 0;
  std::optional<int64_t> until_seq;  // seq <= this; bounds how far one read scans
  bool is_operator = false;
  PartnerId partner = 0;           // REQUIRES: set unless is_operator
  std::optional<PartnerId> only_partner;  // the operator's filter
  std::optional<MemberId> member;  // one member's events only
  std::vector<std::string> types;  // empty: every type
  int limit = 500;
};

// What the timed-events job did in one run.
struct TimedEventsOutcome {
  int64_t holds_expired = 0;
  int64_t expiring_notices = 0;
  int64_t promotions_started = 0;
  int64_t promotions_ended = 0;
};

// Implemented by MysqlTxn (mysql_events.cc); Store::RunEventTransaction runs it.
class EventRows {
 public:
  virtual ~EventRows() = default;

  // Numbers up to `limit` committed events that have no seq yet, in id order, after the
  // highest seq handed out; returns how many. Serialised by the event_sequence row.
  virtual absl::StatusOr<int64_t> SequenceEvents(int limit) = 0;
  // The highest seq handed out (0: none).
  virtual absl::StatusOr<int64_t> LastSeq() = 0;
  // Sequenced events with seq > after_seq that the query's reader may see, by seq.
  virtual absl::StatusOr<std::vector<EventRow>> ReadEvents(const EventQuery& query) = 0;
  // Rows made by code rather than derived from a posting (claims): ids and seq are
  // assigned by the table and the sequencer.
  virtual absl::Status InsertEvents(const std::vector<EventRow>& rows) = 0;
  // The timed events due in (the job's last run, now - 2 min]: holds that lapsed and
  // promotions that started or ended (the margin lets transactions that stamped a time
  // in the window commit first; the first run starts there: nothing from before the
  // hub had events); and points that expire within `expiring_notice` of now and were
  // not announced yet.
  virtual absl::StatusOr<TimedEventsOutcome> EmitTimedEvents(Micros now,
                                                             Micros expiring_notice) = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_EVENT_ROWS_H_
