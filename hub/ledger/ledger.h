// The ledger: the money semantics of DESIGN.md section 5 on top of a Store. Every
// operation is one database transaction that locks the member rows it touches (in
// ascending id order), appends balanced transfers to the journal, keeps lots,
// consumptions, debts and holds consistent, and writes the idempotency record in the
// same transaction. Nothing here knows about gRPC or SQL.
//
// Thread-safe: concurrent calls are serialized per member by the database.
#ifndef LOYALTY_HUB_LEDGER_LEDGER_H_
#define LOYALTY_HUB_LEDGER_LEDGER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hub/common/clock.h"
#include "hub/store/store.h"

namespace loyalty {

// Limits on every list the ledger hands out or takes in (TigerBeetle: a limit on
// everything).
inline constexpr int kMaxBearerCardsPerCall = 1000;
inline constexpr int kMaxTxnPageSize = 500;
inline constexpr int kMaxAuditPageSize = 500;
// The most items one page of any List call holds (AIP-158 maximum page size), and the
// most rows a list read may ask for: a page and one more that tells whether another
// page follows.
inline constexpr int kMaxPageSize = 500;
inline constexpr int kMaxListRows = kMaxPageSize + 1;
inline constexpr int kExpiryBatchMembers = 200;

// What a mutating call answers (the fields that apply to its kind).
struct Posting {
  TxnId txn_id = 0;
  MemberId member_id = 0;
  Points points = 0;
  Points balance_after = 0;
  Points available_after = 0;
  bool replayed = false;
  Points base_points = 0;  // earn: the base credited (within the partner's caps)
  std::string tier;        // earn: the member's tier
  Points tier_bonus = 0;   // earn: the tier's extra credited (inside `points`)
  bool capped = false;     // earn: the partner's caps took some of base + tier bonus
  Points uncapped_points = 0;  // earn: base + tier bonus before the caps
  // earn: each promotion's bonus, posted as its own lot funded by the promotion's
  // creator (not inside `points`; inside balance_after).
  struct Bonus {
    int64_t promotion_id = 0;
    std::string name;
    Points points = 0;
    PartnerId funder_id = 0;
  };
  std::vector<Bonus> bonuses;
  Micros pending_until = 0;    // earn: spendable from then on; 0 = at once
  Micros expires_at = 0;       // earn: the new lot's expiry, 0 = never
  Micros hold_expires_at = 0;  // authorize
  Points debt_created = 0;     // earn reversal
  std::string card_number;     // enroll
};

struct BalanceView {
  MemberId member_id = 0;
  Points balance = 0;
  Points available = 0;
  Points held = 0;
  Points debt = 0;
  Points next_expiry_points = 0;
  Micros next_expiry_at = 0;  // 0 = nothing expires
  Points pending = 0;         // inside partners' return windows
  std::string tier;
  int64_t spend_12m_minor = 0;
  std::string next_tier;
  int64_t next_tier_threshold_minor = 0;
};

// The fields a partner sends with a request that moves points.
struct PartnerRequest {
  PartnerId partner_id = 0;
  std::string partner_txn_id;
  Micros occurred_at = 0;  // 0 = the hub's now
};

struct EarnParams {
  PartnerRequest req;
  std::string card_number;
  int64_t amount_minor = 0;
  std::string currency;
  Points stated_points = 0;  // > 0: the partner states the points
};

struct RedeemParams {
  PartnerRequest req;
  std::string card_number;
  Points points = 0;
  std::string pin;  // needed above the program's PIN threshold
};

struct CaptureParams {
  PartnerRequest req;
  std::string authorization_partner_txn_id;
  Points points = 0;  // 0 = all held points
};

struct ReverseParams {
  PartnerRequest req;
  std::string original_partner_txn_id;
  Points points = 0;  // 0 = all not yet reversed
};

struct AdjustParams {
  std::string actor;  // for the audit log
  std::string adjustment_id;
  std::string card_number;
  Points points = 0;  // > 0 credit, < 0 debit
  std::string reason;
};

struct ProgramRulesView {
  ProgramRecord program;
  std::vector<TierRow> tiers;
  std::vector<PromotionRow> promotions;
};

struct RegisteredPartner {
  PartnerRecord partner;
  std::string api_key;  // shown once
};

// A page of a partner's own transactions, newest first by id.
struct TxnListParams {
  PartnerId partner = 0;
  std::string card_number;      // "" = every member
  TxnId before_id = INT64_MAX;  // the cursor: ids below this
  Micros since = 0;             // posted_at >= since; 0 = unbounded
  Micros until = 0;             // posted_at < until; 0 = unbounded
  int limit = 100;              // 1..kMaxListRows
};

// Members whose points expire within `within_days` of `window_start`, by (first expiry,
// member id), after `after` in that order.
struct ExpiringQuery {
  int within_days = 0;      // 1..366
  Micros window_start = 0;  // 0 = now (a first page); later pages keep the first's
  ExpiringRow after;        // after.member_id == 0: from the first
  int limit = 100;          // 1..1000 (ListExpiring(within_days, limit) allows 1000)
};
struct ExpiringList {
  Micros window_start = 0;  // the window used, for the next page
  std::vector<ExpiringRow> rows;
};

struct ExpiryOutcome {
  int64_t lots_expired = 0;
  Points points_expired = 0;
};

class Ledger {
 public:
  // REQUIRES: store and clock outlive the ledger.
  Ledger(Store* store, const Clock* clock) : store_(store), clock_(clock) {}
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Operator administration (ledger_admin.cc).
  absl::StatusOr<RegisteredPartner> RegisterPartner(const std::string& actor,
                                                    PartnerRecord partner);
  absl::StatusOr<std::vector<PartnerRecord>> ListPartners();
  // At most `limit` (1..kMaxListRows) partners with ids above `after`, ascending.
  absl::StatusOr<std::vector<PartnerRecord>> ListPartners(PartnerId after, int limit);
  absl::StatusOr<PartnerRecord> SuspendPartner(const std::string& actor, PartnerId id,
                                               const std::string& reason);
  absl::StatusOr<std::string> RotateApiKey(const std::string& actor, PartnerId id);
  absl::StatusOr<ProgramRecord> SetProgram(const std::string& actor, const ProgramRecord& p);
  absl::StatusOr<ProgramRecord> GetProgram();
  absl::StatusOr<std::vector<std::string>> IssueBearerCards(const std::string& actor, int count);
  // Creates the first admin key from `key` if no admin key exists; no-op otherwise.
  absl::Status BootstrapAdminKey(const std::string& key);
  // Issues a key with the given operator role (admin or finance).
  absl::StatusOr<std::string> CreateOperatorKey(const std::string& actor, Role role);
  // A page of the audit log, newest first. INVALID_ARGUMENT naming the field for a
  // limit outside 1..kMaxAuditPageSize or an empty time range.
  absl::StatusOr<std::vector<AuditEntry>> ListAuditLog(const AuditQuery& query);

  // Postings come in two forms. The one taking `done` returns at once when the store
  // does (group commit: Store::PostReturnsAtOnce) and calls done exactly once, after the
  // posting committed or with the error, on the thread that committed it, which must
  // not block in it; invalid input is answered at once, on the calling thread. The form
  // returning StatusOr waits for it (tests, tools, the worker pool).
  using PostingDone = std::function<void(absl::StatusOr<Posting>)>;
  // True when the `done` forms never wait for the database.
  bool PostsWithoutWaiting() const { return store_->PostReturnsAtOnce(); }

  // Members and cards (ledger_members.cc).
  void EnrollMember(PartnerRequest req, PostingDone done);
  void LinkCard(PartnerRequest req, std::string card_number, std::string new_card_number,
                PostingDone done);
  void RegisterBearerCard(PartnerRequest req, std::string card_number,
                          std::string bearer_card_number, PostingDone done);
  absl::StatusOr<Posting> EnrollMember(const PartnerRequest& req);
  absl::StatusOr<Posting> LinkCard(const PartnerRequest& req, const std::string& card_number,
                                   const std::string& new_card_number);
  absl::StatusOr<Posting> RegisterBearerCard(const PartnerRequest& req,
                                             const std::string& card_number,
                                             const std::string& bearer_card_number);
  absl::StatusOr<BalanceView> GetBalance(const std::string& card_number);
  // INVALID_ARGUMENT naming card_number, since_micros, until_micros or page_size.
  absl::StatusOr<std::vector<TxnRecord>> ListTransactions(const TxnListParams& p);

  // Earn and burn (ledger_posting.cc).
  absl::StatusOr<Posting> QuoteEarn(const EarnParams& p);
  void Earn(EarnParams p, PostingDone done);
  void Redeem(RedeemParams p, PostingDone done);
  void AuthorizeRedemption(RedeemParams p, PostingDone done);
  void CaptureRedemption(CaptureParams p, PostingDone done);
  void VoidRedemption(CaptureParams p, PostingDone done);
  absl::StatusOr<Posting> Earn(const EarnParams& p);
  absl::StatusOr<Posting> Redeem(const RedeemParams& p);
  absl::StatusOr<Posting> AuthorizeRedemption(const RedeemParams& p);
  absl::StatusOr<Posting> CaptureRedemption(const CaptureParams& p);
  absl::StatusOr<Posting> VoidRedemption(const CaptureParams& p);

  // Corrections (ledger_corrections.cc).
  void Reverse(ReverseParams p, PostingDone done);
  void AdjustPoints(AdjustParams p, PostingDone done);
  absl::StatusOr<Posting> Reverse(const ReverseParams& p);
  absl::StatusOr<Posting> AdjustPoints(const AdjustParams& p);
  absl::StatusOr<ExpiryOutcome> RunExpiry();

  // Earn rules (ledger_rules.cc).
  absl::Status SetTiers(const std::string& actor, std::vector<TierRow> tiers);
  absl::StatusOr<std::vector<TierRow>> ListTiers();
  struct TierReview {
    int64_t reviewed = 0;
    int64_t changed = 0;
  };
  // Re-evaluates the tier of every member who earned in the last year or holds one.
  absl::StatusOr<TierReview> RunTierReview();
  absl::StatusOr<PromotionRow> CreatePromotion(const std::string& actor, PromotionRow p);
  absl::StatusOr<std::vector<PromotionRow>> ListPromotions(bool include_inactive);
  // At most `limit` (1..kMaxListRows) of them with ids above `after_id`, ascending.
  absl::StatusOr<std::vector<PromotionRow>> ListPromotions(bool include_inactive, int64_t after_id,
                                                           int limit);
  // What a partner may show members (PartnerService.GetProgramRules): the program, the
  // tiers and the promotions that apply at its tills or that it funds.
  absl::StatusOr<ProgramRulesView> ProgramRulesFor(PartnerId partner, bool include_ended);
  absl::StatusOr<PromotionRow> EndPromotion(const std::string& actor, int64_t id);
  absl::StatusOr<std::vector<ExpiringRow>> ListExpiring(int within_days, int limit);
  // INVALID_ARGUMENT naming within_days.
  absl::StatusOr<ExpiringList> ListExpiring(const ExpiringQuery& q);
  absl::Status SetMemberPin(const std::string& card_number, const std::string& pin);
  absl::Status UnlockMemberPin(const std::string& actor, const std::string& card_number);

  // Lines describing each broken invariant; empty when the ledger is sound.
  absl::StatusOr<std::vector<std::string>> CheckInvariants();

 private:
  void PostRedemption(const char* kind, RedeemParams p, PostingDone done);

  Store* const store_;
  const Clock* const clock_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_LEDGER_LEDGER_H_
