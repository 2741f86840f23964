// Members' own tables (deploy/migrations/0016_members.sql): profiles and preferences,
// sign-in codes and sessions, claims, the notifier's mail queue, the stream consumers'
// cursors, and the reads MemberService needs beyond the ledger's. Implemented by
// MysqlTxn (mysql_members.cc); Store::RunEventTransaction runs it (a MemberRows is an
// EventRows, so claims write their events in their own transaction).
#ifndef LOYALTY_HUB_STORE_MEMBER_ROWS_H_
#define LOYALTY_HUB_STORE_MEMBER_ROWS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hub/store/event_rows.h"

namespace loyalty {

struct MemberProfileRow {
  MemberId member_id = 0;
  std::string email;  // "" = none
  std::string language = "en";
  bool consent_notices = false;
  bool consent_marketing = false;
  bool channel_email = true;
  int quiet_start_minute = 22 * 60;  // quiet_start == quiet_end: no quiet hours
  int quiet_end_minute = 8 * 60;
  std::string time_zone = "UTC";
  Micros updated_at = 0;
};

struct SignInCodeRow {
  MemberId member_id = 0;
  std::string code_hash;
  Micros created_at = 0;
  Micros expires_at = 0;
  int attempts = 0;
};

namespace claim_status {
inline constexpr char kOpen[] = "open";
inline constexpr char kEscalated[] = "escalated";
// Being accepted: its earn is being posted (a rejection is refused meanwhile).
inline constexpr char kAccepting[] = "accepting";
inline constexpr char kAccepted[] = "accepted";
inline constexpr char kRejected[] = "rejected";
}  // namespace claim_status

struct ClaimRow {
  int64_t id = 0;
  MemberId member_id = 0;
  PartnerId partner_id = 0;
  Micros purchased_at = 0;
  int64_t amount_minor = 0;
  std::string currency;
  std::string receipt_ref;
  std::string status;
  std::string reason;  // a rejection's
  Micros created_at = 0;
  Micros due_at = 0;
  std::optional<Micros> escalated_at;
  std::optional<Micros> resolved_at;
  std::string resolved_by;
  std::optional<TxnId> earn_txn_id;
};

// Claims newest first (id descending), ids below before_id.
struct ClaimQuery {
  std::optional<MemberId> member;
  std::optional<PartnerId> partner;
  std::vector<std::string> statuses;  // empty: any
  int64_t before_id = INT64_MAX;
  int limit = 100;
};

struct NotificationRow {
  int64_t id = 0;
  MemberId member_id = 0;
  std::string kind;
  std::optional<int64_t> event_id;
  std::string language;
  std::string recipient;
  std::string subject;
  std::string body;
  std::string status = "pending";  // pending, sent, failed
  Micros send_after = 0;
  int attempts = 0;
  std::string last_error;
  Micros created_at = 0;
  std::optional<Micros> sent_at;
};

// A member's transaction with the partner's name, for their history.
struct HistoryRow {
  TxnRecord txn;
  std::string partner_name;  // "" for the operator's
};

// A partner's HTTPS endpoint for events (0017_webhooks.sql).
struct WebhookRow {
  int64_t id = 0;
  PartnerId partner_id = 0;  // whose events; 0 = the operator's (all)
  std::string url;
  std::string secret;
  std::vector<std::string> types;  // empty: every type
  bool active = true;
  int64_t cursor_seq = 0;
  Micros created_at = 0;
};

namespace delivery_status {
inline constexpr char kPending[] = "pending";
inline constexpr char kDelivered[] = "delivered";
inline constexpr char kDead[] = "dead";
}  // namespace delivery_status

struct DeliveryRow {
  int64_t id = 0;
  int64_t webhook_id = 0;
  int64_t event_id = 0;
  int64_t event_seq = 0;
  std::string payload;
  std::string status = delivery_status::kPending;
  int attempts = 0;
  Micros next_attempt_at = 0;
  Micros created_at = 0;
  std::optional<Micros> delivered_at;
  int last_status_code = 0;
  std::string last_error;
};

class MemberRows : public EventRows {
 public:
  // The member a card belongs to, following merges; nullopt for an unknown card or an
  // erased member.
  virtual absl::StatusOr<std::optional<MemberId>> MemberOfCard(const std::string& card) = 0;
  virtual absl::StatusOr<bool> MemberExists(MemberId member) = 0;  // and not erased
  virtual absl::StatusOr<std::vector<std::string>> CardsOf(MemberId member) = 0;

  virtual absl::StatusOr<std::optional<MemberProfileRow>> GetProfile(MemberId member) = 0;
  virtual absl::Status PutProfile(const MemberProfileRow& row) = 0;

  // SELECT ... FOR UPDATE.
  virtual absl::StatusOr<std::optional<SignInCodeRow>> LockCode(MemberId member) = 0;
  // Replaces the member's code (with row.attempts wrong guesses counted so far).
  virtual absl::Status PutCode(const SignInCodeRow& row) = 0;
  virtual absl::Status SetCodeAttempts(MemberId member, int attempts) = 0;
  virtual absl::Status DeleteCode(MemberId member) = 0;
  virtual absl::Status InsertSession(const std::string& token_hash, MemberId member,
                                     const std::string& issued_by, Micros now,
                                     Micros expires_at) = 0;
  // The member of an unexpired session.
  virtual absl::StatusOr<std::optional<MemberId>> SessionMember(const std::string& token_hash,
                                                                Micros now) = 0;

  // The member's transactions, newest first, ids below before_id.
  virtual absl::StatusOr<std::vector<HistoryRow>> MemberHistory(MemberId member, TxnId before_id,
                                                                int limit) = 0;
  // (expires_at, remaining) of the member's lots with points left that expire.
  virtual absl::StatusOr<std::vector<std::pair<Micros, Points>>> ExpiringLotsOf(
      MemberId member) = 0;
  // Partners the member earned at since `since`.
  virtual absl::StatusOr<std::vector<PartnerId>> PartnersVisited(MemberId member,
                                                                 Micros since) = 0;
  // Members with an earn at `partner` since `since`, ascending, ids above `after`.
  virtual absl::StatusOr<std::vector<MemberId>> MembersVisiting(PartnerId partner, Micros since,
                                                                MemberId after, int limit) = 0;

  // ALREADY_EXISTS when the partner already has a claim with this receipt reference.
  virtual absl::StatusOr<int64_t> InsertClaim(const ClaimRow& row) = 0;
  virtual absl::StatusOr<std::optional<ClaimRow>> GetClaim(int64_t id, bool for_update) = 0;
  // Status, reason, escalated_at, resolved_at, resolved_by, earn_txn_id.
  virtual absl::Status UpdateClaim(const ClaimRow& row) = 0;
  virtual absl::StatusOr<std::vector<ClaimRow>> ListClaims(const ClaimQuery& q) = 0;
  // Open claims due by `now`, oldest first, locked.
  virtual absl::StatusOr<std::vector<ClaimRow>> LockClaimsDue(Micros now, int limit) = 0;

  // Ignored when (event_id, member_id, kind) is there already.
  virtual absl::Status InsertNotification(const NotificationRow& row) = 0;
  // Pending, send_after <= now, oldest first, locked (SKIP LOCKED: two notifiers share).
  virtual absl::StatusOr<std::vector<NotificationRow>> LockDueNotifications(Micros now,
                                                                            int limit) = 0;
  // status, attempts, send_after, last_error, sent_at and body of the row by id.
  virtual absl::Status UpdateNotification(const NotificationRow& row) = 0;
  virtual absl::StatusOr<std::vector<NotificationRow>> NotificationsOf(MemberId member) = 0;

  // A consumer's cursor (0 when new), locked until the transaction ends.
  virtual absl::StatusOr<int64_t> LockConsumerCursor(const std::string& name) = 0;
  virtual absl::Status SetConsumerCursor(const std::string& name, int64_t seq) = 0;

  // Webhooks and their deliveries.
  virtual absl::StatusOr<int64_t> InsertWebhook(const WebhookRow& row) = 0;
  // By id; one partner's (nullopt: every partner's); only the active ones if asked.
  virtual absl::StatusOr<std::vector<WebhookRow>> ListWebhooks(std::optional<PartnerId> partner,
                                                               bool active_only) = 0;
  // SELECT ... FOR UPDATE.
  virtual absl::StatusOr<std::optional<WebhookRow>> LockWebhook(int64_t id) = 0;
  virtual absl::Status SetWebhookActive(int64_t id, bool active) = 0;
  virtual absl::Status SetWebhookCursor(int64_t id, int64_t seq) = 0;
  // Ignores a (webhook, event) pair that is there already.
  virtual absl::Status InsertDeliveries(const std::vector<DeliveryRow>& rows) = 0;
  // Pending and due, oldest first, locked (SKIP LOCKED: deliverers share the work).
  virtual absl::StatusOr<std::vector<DeliveryRow>> LockDueDeliveries(Micros now, int limit) = 0;
  // status, attempts, next_attempt_at, created_at, delivered_at, last_status_code,
  // last_error by id.
  virtual absl::Status UpdateDelivery(const DeliveryRow& row) = 0;
  // A webhook's deliveries with `status`, newest first, ids below before_id.
  virtual absl::StatusOr<std::vector<DeliveryRow>> ListDeliveries(int64_t webhook,
                                                                  const std::string& status,
                                                                  int64_t before_id,
                                                                  int limit) = 0;
  // Dead deliveries of the webhook (those in `ids`, or all when empty) made pending
  // again, due now, with a fresh day of retries; returns how many.
  virtual absl::StatusOr<int64_t> RequeueDeliveries(int64_t webhook,
                                                    const std::vector<int64_t>& ids,
                                                    Micros now) = 0;

  // Takes or renews the lease `name` for `holder` until now + ttl: true if `holder`
  // holds it now (it was free, expired, or already this holder's), false if another
  // holder's lease is still running. Leases (0018_leases.sql) keep a background job on
  // one hub instance at a time.
  virtual absl::StatusOr<bool> TryLease(const std::string& name, const std::string& holder,
                                        Micros now, Micros ttl) = 0;
  // Gives the lease up if `holder` has it (a clean shutdown: the next holder need not
  // wait for it to expire).
  virtual absl::Status ReleaseLease(const std::string& name, const std::string& holder) = 0;

  // An audit log entry in this transaction (the same row StoreTxn::InsertAudit writes).
  virtual absl::Status InsertAudit(Micros at, const std::string& actor, const std::string& action,
                                   const std::string& detail, const std::string& before,
                                   const std::string& after) = 0;

  // Removes the member's personal data: profile, cards and card links, codes,
  // sessions, notification texts; marks the member erased. The journal (txns, lots,
  // transfers...) stays, under the member id alone.
  virtual absl::Status EraseMember(MemberId member, Micros now) = 0;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_MEMBER_ROWS_H_
