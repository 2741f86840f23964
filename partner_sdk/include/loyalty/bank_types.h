// Arguments and results of the BankService calls (the card-issuing bank's API): co-branded
// card links, the clearing stream and the per-card statement. Plain structs; no protobuf.
#ifndef LOYALTY_PARTNER_SDK_BANK_TYPES_H_
#define LOYALTY_PARTNER_SDK_BANK_TYPES_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "loyalty/types.h"

namespace loyalty::sdk {

// A co-branded card as the bank names it: set exactly one of `token` (preferred) and
// `pan`. A PAN is hashed by the hub at once (HMAC-SHA-256) and never stored; the hub
// accepts PANs only when it has a PAN key configured (else FAILED_PRECONDITION).
struct CardRef {
  std::string token;  // 1..64 of [A-Za-z0-9._:-], not starting with "h:"
  std::string pan;    // 12..19 digits, Luhn-valid

  static CardRef Token(std::string t) { return CardRef{std::move(t), ""}; }
  static CardRef Pan(std::string p) { return CardRef{"", std::move(p)}; }
};

struct LinkCoBrandedCardParams {
  std::string card_number;  // the member's loyalty card
  CardRef card;
};
struct LinkCoBrandedCardResult {
  int64_t member_id = 0;
  // What the hub stores: the token, or "h:" + the PAN's keyed hash (64 hex).
  std::string card_ref;
};

struct UnlinkCoBrandedCardParams {
  CardRef card;
};

struct ListCoBrandedCardsParams {
  std::string card_number;  // any loyalty card of the member
  // Paging (docs/api.md "Paging"): 0 = 100, above 500 = 500; the previous page's
  // next_page_token, unchanged, with the same card_number.
  int32_t page_size = 0;
  std::string page_token;
};
struct CoBrandedCardPage {
  std::vector<std::string> card_refs;  // ascending
  std::string next_page_token;         // "" on the last page
};

enum class ClearingType { kUnspecified = 0, kPurchase = 1, kRefund = 2 };

// One line of the bank's clearing: a purchase earns by the bank's rules, a refund
// reverses (a share of) the points of the purchase it names.
struct ClearingRecord {
  std::string clearing_id;  // unique per bank, 1..60 of [A-Za-z0-9._:-]; idempotency key
  CardRef card;
  Money amount;             // > 0, the program's currency
  int32_t mcc = 0;          // ISO 18245 merchant category code, 0..9999
  std::string merchant_id;  // the acquirer's merchant id; optional
  ClearingType type = ClearingType::kPurchase;
  std::string original_clearing_id;  // refunds: the purchase refunded
  int64_t occurred_at_micros = 0;    // 0 = when the hub posts it; decides the cap's month
};

enum class ClearingStatus {
  kUnspecified = 0,
  kEarned = 1,           // purchase: `points` credited
  kNoEarn = 2,           // accepted, no points; `reason` says why
  kReversed = 3,         // refund: `points` of the purchase reversed
  kUnmatchedRefund = 4,  // refund of an unknown purchase: held for review
  kRejected = 5,         // malformed or conflicting record: nothing posted; see `code`
};

struct ClearingResult {
  std::string clearing_id;
  ClearingStatus status = ClearingStatus::kUnspecified;
  int64_t points = 0;  // credited (purchase) or reversed (refund)
  std::string reason;  // NO_EARN, UNMATCHED_REFUND, REJECTED: what, and which field
  int64_t hub_txn_id = 0;
  bool replayed = false;  // the hub's stored answer to a clearing id it had seen
  // kRejected: INVALID_ARGUMENT (a field, named in `reason`), ALREADY_EXISTS (the
  // clearing id was used for another record), FAILED_PRECONDITION (no rules / program),
  // UNAVAILABLE / INTERNAL (a hub error: submit the record again later). OK otherwise.
  absl::StatusCode code = absl::StatusCode::kOk;
  // kRejected: the stable reason (as ErrorReason() gives for a failed call, e.g.
  // "IDEMPOTENCY_MISMATCH") and the record's field it is about ("" if none).
  std::string error_reason;
  std::string field;
};

// How far a SubmitCardTransactions call is.
struct ClearingProgress {
  int64_t total = 0;     // records passed in
  int64_t sent = 0;      // records written on the current stream, or answered before it
  int64_t answered = 0;  // records with their result (a prefix of the input)
  int streams = 0;       // streams opened so far (> 1 after a broken stream)
};

struct SubmitCardTransactionsOptions {
  // Called on the calling thread after results arrive, at most once per
  // `progress_interval`, and once at the end. Must not call back into the client.
  std::function<void(const ClearingProgress&)> on_progress;
  // Default: 200 ms. Zero = after every result.
  absl::Duration progress_interval = absl::Milliseconds(200);
  // Records written but not answered yet, at most: bounds the client's memory and what
  // a broken stream has to resend. Limit: 1..100000. Default: 512.
  int max_in_flight = 512;
};

struct GetCardStatementParams {
  CardRef card;
  std::string month;  // "2026-11" (UTC)
};

struct StatementLine {
  std::string merchant_id;
  int64_t partner_id = 0;  // 0 when the merchant is not a coalition partner
  int64_t purchases = 0;
  int64_t amount_minor = 0;  // purchases minus refunds
  int64_t points_earned = 0;
  int64_t points_reversed = 0;
  std::string partner_name;  // the partner's name, "" when partner_id is 0
};

struct CardStatement {
  std::string card_ref;
  std::string month;
  std::string currency;
  std::vector<StatementLine> lines;  // by merchant_id
  int64_t points_earned = 0;
  int64_t points_reversed = 0;
  int64_t monthly_cap_points = 0;  // 0 = no cap
};

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_BANK_TYPES_H_
