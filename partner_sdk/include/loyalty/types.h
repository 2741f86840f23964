// Plain C++ values the SDK returns and takes: no protobuf types cross the public API,
// so a partner's code does not depend on the wire format. Points are int64; money is
// int64 minor units of an ISO 4217 currency; times are UTC microseconds since the epoch.
#ifndef LOYALTY_PARTNER_SDK_TYPES_H_
#define LOYALTY_PARTNER_SDK_TYPES_H_

#include <cstdint>
#include <string>

namespace loyalty::sdk {

// Money in integer minor units (EUR cents, KRW won). No floating point anywhere.
struct Money {
  int64_t amount_minor = 0;
  std::string currency;  // ISO 4217 alphabetic code, e.g. "EUR"
};

// The role a key acts in.
enum class Role { kUnspecified = 0, kMerchant = 1, kIssuer = 2, kAdmin = 3, kFinance = 4 };

// What every mutating call returns.
struct PostingResult {
  // The idempotency key the call was sent with: the caller's, or the UUIDv4 the SDK
  // generated when the caller gave none. Log it; reuse it to retry by hand.
  std::string partner_txn_id;
  int64_t hub_txn_id = 0;       // the hub's id for the posting
  int64_t points = 0;           // the points it moved
  int64_t balance_after = 0;    // the member's lots' remaining minus debt
  int64_t available_after = 0;  // balance minus active holds
  bool replayed = false;        // the hub's stored answer to an earlier identical request
};

// A member's points as the hub sees them now.
struct Balance {
  int64_t member_id = 0;
  int64_t balance = 0;    // lots' remaining minus debt
  int64_t available = 0;  // balance minus active holds; what a redemption may take
  int64_t held = 0;       // reserved by active authorizations
  int64_t debt = 0;       // owed after an earn reversal ran out of points
  int64_t next_expiry_points = 0;
  int64_t next_expiry_at_micros = 0;  // 0 when nothing expires
  // Earned, counted in `balance` but not spendable until the partner's return window ends.
  int64_t pending = 0;
  std::string tier{};                     // "" = no tier
  int64_t spend_12m_minor = 0;            // rolling 12-month coalition-wide spend behind the tier
  std::string next_tier{};                // "" at the top tier (or without tiers)
  int64_t next_tier_threshold_minor = 0;  // the spend `next_tier` needs
};

// One entry of a partner's history.
struct Transaction {
  int64_t hub_txn_id = 0;
  std::string partner_txn_id;
  // earn, redeem, authorize, capture, void, reverse_earn, reverse_redeem, enroll, ...
  std::string kind;
  int64_t member_id = 0;
  int64_t points = 0;
  Money amount;  // empty currency when the entry has no amount
  int64_t posted_at_micros = 0;
  int64_t occurred_at_micros = 0;
  std::string original_partner_txn_id;  // for captures, voids and reversals
};

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_TYPES_H_
