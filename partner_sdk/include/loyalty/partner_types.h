// Arguments (`...Params`) and results of the PartnerService calls. Params are structs so
// they can grow without breaking callers. An empty `partner_txn_id` asks the SDK to
// generate a UUIDv4; the id used is returned in the result either way.
#ifndef LOYALTY_PARTNER_SDK_PARTNER_TYPES_H_
#define LOYALTY_PARTNER_SDK_PARTNER_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "loyalty/admin_types.h"
#include "loyalty/types.h"

namespace loyalty::sdk {

struct EnrollMemberParams {
  std::string partner_txn_id;
};
struct EnrollMemberResult {
  std::string partner_txn_id;
  int64_t member_id = 0;
  std::string card_number;  // the new member's card
  bool replayed = false;
};

struct LinkCardParams {
  std::string partner_txn_id;
  std::string card_number;      // a card of the member, as presented
  std::string new_card_number;  // 16 digits with a valid Luhn check digit
};
struct LinkCardResult {
  std::string partner_txn_id;
  int64_t member_id = 0;
  bool replayed = false;
};

struct RegisterBearerCardParams {
  std::string partner_txn_id;
  std::string card_number;         // the member's card
  std::string bearer_card_number;  // the anonymous card whose points move over
};

struct GetBalanceParams {
  std::string card_number;
};

struct QuoteEarnParams {
  std::string card_number;
  Money amount;
};
// One promotion's bonus on an earn (a separate posting, funded by the promotion's funder).
struct PromotionBonus {
  int64_t promotion_id = 0;
  std::string name;
  int64_t points = 0;
  int64_t funder_partner_id = 0;  // 0 = the operator
};
// How an earn's points came about: base, then the tier's extra, then each promotion
// (each on the base points alone, in promotion id order). docs/program-rules.md.
struct EarnBreakdown {
  int64_t base_points = 0;        // amount x the partner's earn rate, floored (or stated points)
  std::string tier;               // the member's tier at this earn; "" = none
  int64_t tier_bonus_points = 0;  // base x (tier multiplier - 1), floored
  std::vector<PromotionBonus> promotions;
  int64_t pending_until_micros = 0;  // 0 = spendable at once
  // The partner's caps took some of base + tier bonus: base_points and tier_bonus_points
  // are what was credited (they add up to the points), uncapped_points what the rate gave.
  bool capped = false;
  int64_t uncapped_points = 0;
};

struct QuoteEarnResult {
  int64_t points = 0;       // base + tier bonus (promotion bonuses are in the breakdown)
  int64_t base_points = 0;  // amount x the partner's earn rate, floored (= breakdown's)
  EarnBreakdown breakdown{};
};

struct EarnParams {
  std::string partner_txn_id;
  std::string card_number;
  Money amount;
  // Points stated by the partner instead of its earn rate (within its limit); 0 = by rate.
  int64_t points = 0;
  // The sale's business time. 0 = the hub's time when it posts, so the same call sent
  // again is the same request; an earn put in the offline queue is stamped with the
  // time of the sale.
  int64_t occurred_at_micros = 0;
};
struct EarnResult {
  PostingResult posting;          // only partner_txn_id is set when `queued`
  int64_t base_points = 0;        // = breakdown.base_points
  int64_t expires_at_micros = 0;  // of the new lot; 0 = never
  // True when the hub could not be reached and the earn was stored in the offline
  // queue instead: it will be posted, with this partner_txn_id, by a later drain.
  bool queued = false;
  EarnBreakdown breakdown{};  // empty when `queued`
};

// A one-step redemption or an authorization (hold) of `points`.
struct RedeemParams {
  std::string partner_txn_id;
  std::string card_number;
  int64_t points = 0;
  int64_t occurred_at_micros = 0;  // 0 = the hub's time when it posts
  // The member's PIN: required above the program's pin_threshold_points. A wrong one
  // fails PERMISSION_DENIED (and counts); after 3 the PIN locks (FAILED_PRECONDITION).
  // Never logged by the SDK.
  std::string pin{};
};
using AuthorizeRedemptionParams = RedeemParams;
struct AuthorizeRedemptionResult {
  PostingResult posting;
  int64_t hold_expires_at_micros = 0;  // not captured by then, the hold is void
};

struct CaptureRedemptionParams {
  std::string partner_txn_id;
  std::string authorization_partner_txn_id;  // the partner_txn_id of the authorization
  int64_t points = 0;                        // <= held; 0 = all; the rest is released
  int64_t occurred_at_micros = 0;
};

struct VoidRedemptionParams {
  std::string partner_txn_id;
  std::string authorization_partner_txn_id;
};

// A return or refund: reverses an earn, a redemption or a capture.
struct ReverseParams {
  std::string partner_txn_id;
  std::string original_partner_txn_id;
  int64_t points = 0;  // 0 = everything not reversed yet
  int64_t occurred_at_micros = 0;
};
struct ReverseResult {
  PostingResult posting;
  int64_t debt_created = 0;  // points the member now owes (earn reversal without cover)
};

struct ListTransactionsParams {
  int32_t page_size = 0;  // 0 = 100; above 500 = 500
  // The previous page's next_page_token, unchanged (it is opaque), with the same filters;
  // "" = newest first.
  std::string page_token;
  std::string card_number;  // optional filter
  // Entries posted in [since_micros, until_micros) (UTC micros); 0 = unbounded.
  int64_t since_micros = 0;
  int64_t until_micros = 0;
};
struct TransactionPage {
  std::vector<Transaction> transactions;  // newest first
  std::string next_page_token;            // "" on the last page
};

// A merchant id under which the partner's card sales reach the bank's clearing: purchases
// there earn the bank's partner-merchant rate.
struct RegisterMerchantIdParams {
  std::string merchant_id;  // 1..32 of [A-Za-z0-9._:-]
};
struct RegisterMerchantIdResult {
  bool replayed = false;  // this partner had registered it already
};

// Sets or replaces the member's PIN (4..8 digits; the hub stores a salted hash).
// What a partner may show members (GetProgramRules): the program, the tiers and the
// promotions at its tills (every partner's, its own, its category's, a tier's) or funded
// by it.
struct GetProgramRulesParams {
  bool include_ended = false;  // also promotions that ended or have not started
};
struct ProgramRules {
  Program program;
  std::vector<Tier> tiers;            // lowest threshold first
  std::vector<Promotion> promotions;  // by id
};

struct SetMemberPinParams {
  std::string card_number;
  std::string pin{};
};

// What a drain of the offline queue did.
struct DrainResult {
  int64_t posted = 0;     // earns the hub accepted (or had already, replayed)
  int64_t rejected = 0;   // earns the hub refused for good; moved to FailedEarns()
  int64_t remaining = 0;  // earns still waiting
  // Why the drain stopped early (hub unreachable, key revoked); OK when it finished.
  absl::Status stopped_by;
};

// An offline earn the hub refused when it was replayed (e.g. the card was unknown):
// kept in the queue file for a person to look at, never retried automatically.
struct FailedEarn {
  EarnParams earn;
  absl::Status status;
  int64_t failed_at_micros = 0;
};

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_PARTNER_TYPES_H_
