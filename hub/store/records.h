// Plain rows of the hub's tables, shared by the ledger (which decides) and the store
// (which reads and writes). No SQL, no protos.
#ifndef LOYALTY_HUB_STORE_RECORDS_H_
#define LOYALTY_HUB_STORE_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hub/common/clock.h"
#include "hub/common/money.h"

namespace loyalty {

using MemberId = int64_t;
using PartnerId = int64_t;
using TxnId = int64_t;
using LotId = int64_t;

// The operator as a participant: funds admin credits, receives admin debits, and owns
// its requests' idempotency keys.
constexpr PartnerId kOperatorId = 0;

// Lots of a program without expiry expire at the end of time.
constexpr Micros kNeverExpires = INT64_MAX;

enum class Role : int { kMerchant = 1, kIssuer = 2, kAdmin = 3, kFinance = 4 };

namespace expiry_policy {
inline constexpr char kMonthsAfterEarn[] = "months_after_earn";
inline constexpr char kEndOfYear[] = "end_of_year";
}  // namespace expiry_policy

struct ProgramRecord {
  int64_t point_value_micros = 0;
  std::string currency;
  int expiry_months = 0;  // months_after_earn: 0 = points never expire
  int64_t hold_timeout_seconds = 0;
  std::string expiry_policy = expiry_policy::kMonthsAfterEarn;
  int expiry_years = 0;          // end_of_year: the Nth calendar year after the earn's
  std::string time_zone = "UTC";  // cuts calendar years and promotion days
  Points min_redemption_points = 0;  // 0 = none
  Points pin_threshold_points = 0;   // redemptions of more points need the PIN; 0 = never
  bool pause_expiry_for_cobranded = false;
  int64_t max_earn_amount_minor = 0;  // the most spend one earn may carry; 0 = no limit
  int max_earns_per_card_hour = 0;    // earns per member (any of its cards) an hour; 0 = none
};

struct PartnerRecord {
  PartnerId id = 0;
  std::string name;
  std::string category;
  Role role = Role::kMerchant;
  int64_t earn_rate_bp = 0;
  Points max_points_per_txn = 0;         // 0 = no limit
  Points max_points_per_member_day = 0;  // 0 = no limit
  bool suspended = false;
  Micros created_at = 0;
  int return_window_days = 0;  // earned points stay pending this long; 0 = none
};

struct MemberRecord {
  MemberId id = 0;
  Points balance = 0;  // sum of lots' remaining minus debt
  Points debt = 0;     // sum of debts' outstanding
  bool anonymous = false;
  std::optional<MemberId> merged_into;
  std::string tier;  // "" = no tier
  std::optional<std::string> pin_hash;
  int pin_failures = 0;
  // posted_at of the member's latest posting: the floor of the next posting's now.
  Micros last_posted_at = 0;
};

struct CardRecord {
  std::string number;
  MemberId member_id = 0;
  bool bearer = false;
};

// Kinds of txns rows.
namespace txn_kind {
inline constexpr char kEnroll[] = "enroll";
inline constexpr char kLinkCard[] = "link_card";
inline constexpr char kMerge[] = "merge";
inline constexpr char kEarn[] = "earn";
inline constexpr char kRedeem[] = "redeem";
inline constexpr char kAuthorize[] = "authorize";
inline constexpr char kCapture[] = "capture";
inline constexpr char kVoid[] = "void";
inline constexpr char kReverseEarn[] = "reverse_earn";
inline constexpr char kReverseRedeem[] = "reverse_redeem";
inline constexpr char kAdjust[] = "adjust";
inline constexpr char kExpire[] = "expire";
inline constexpr char kBonus[] = "bonus";  // a promotion's points, funded by its creator
}  // namespace txn_kind

struct TxnRecord {
  TxnId id = 0;
  PartnerId partner_id = 0;
  std::string partner_txn_id;  // empty for system postings (expiry)
  std::string kind;
  MemberId member_id = 0;
  Points points = 0;
  int64_t amount_minor = 0;
  std::string currency;
  std::string request_hash;
  std::optional<TxnId> original_txn_id;
  Points reversed_points = 0;  // how much of this earn/redemption later reversals undid
  Points balance_after = 0;
  Points available_after = 0;
  Micros posted_at = 0;
  Micros occurred_at = 0;
  std::string note;
  // Filled by StoreTxn::ListTxns only: the partner_txn_id of original_txn_id.
  std::string original_partner_txn_id;
};

// One double-entry transfer: `points` leave `debit_account` and enter `credit_account`.
struct TransferRecord {
  TxnId txn_id = 0;
  std::string debit_account;
  std::string credit_account;
  Points points = 0;
  Micros posted_at = 0;
};

struct LotRecord {
  LotId id = 0;
  MemberId member_id = 0;
  PartnerId funder_id = 0;
  TxnId earn_txn_id = 0;
  Points points = 0;
  Points remaining = 0;
  Micros earned_at = 0;
  Micros expires_at = kNeverExpires;
  Micros available_at = 0;  // pending (not spendable) before this time
};

// Kinds of consumptions rows.
namespace consumption_kind {
inline constexpr char kRedeem[] = "redeem";               // till redemption at redeemer
inline constexpr char kReverseOwn[] = "reverse_own";      // earn reversal, the earn's own lot
inline constexpr char kReverseCover[] = "reverse_cover";  // earn reversal, other lots
inline constexpr char kDebtRepay[] = "debt_repay";        // new lot repays a debt
inline constexpr char kRestore[] = "restore";             // redemption reversal (points < 0)
inline constexpr char kExpire[] = "expire";               // to breakage, no redeemer
inline constexpr char kAdjust[] = "adjust";               // admin debit, operator redeems
}  // namespace consumption_kind

struct ConsumptionRecord {
  int64_t id = 0;
  TxnId txn_id = 0;
  LotId lot_id = 0;
  PartnerId funder_id = 0;
  std::optional<PartnerId> redeemer_id;
  std::string kind;
  Points points = 0;  // > 0 taken from the lot, < 0 put back
  std::optional<int64_t> restores_id;
  Micros posted_at = 0;
};

struct DebtRecord {
  int64_t id = 0;
  MemberId member_id = 0;
  PartnerId funder_id = 0;
  TxnId txn_id = 0;
  Points points = 0;
  Points outstanding = 0;
  Micros created_at = 0;
};

namespace hold_status {
inline constexpr char kActive[] = "active";
inline constexpr char kCaptured[] = "captured";
inline constexpr char kVoided[] = "voided";
}  // namespace hold_status

struct HoldRecord {
  int64_t id = 0;
  TxnId auth_txn_id = 0;
  MemberId member_id = 0;
  PartnerId partner_id = 0;
  Points points = 0;
  std::string status;
  Micros expires_at = 0;
};

// Settlement rows (the settlement library gives them meaning).
struct SettlementConfigRow {
  std::string model;        // "operator" | "funder_pays"
  std::string period_unit;  // "day" | "week" | "month"
  std::string time_zone;    // IANA name
};

struct SettlementTermsRow {
  PartnerId partner_id = 0;
  int64_t issue_price_micros = 0;
  int64_t redeem_value_micros = 0;
  int64_t fee_per_point_micros = 0;
};

// Consumptions of a period summed by (funder, redeemer, kind).
struct FlowRow {
  PartnerId funder_id = 0;
  std::optional<PartnerId> redeemer_id;
  std::string kind;
  Points points = 0;
};

struct SettlementLineRow {
  std::string kind;
  PartnerId payer_id = 0;
  PartnerId payee_id = 0;
  Points points = 0;
  int64_t price_micros = 0;
  int64_t amount_minor = 0;
  bool internal = false;
};

struct SettlementRunRow {
  int64_t id = 0;
  std::string period_label;
  Micros period_start = 0;
  Micros period_end = 0;
  std::string model;
  std::string currency;
  std::string status;  // "draft" | "final"
  std::string checksum;
  int64_t gross_total_minor = 0;
  int64_t net_total_minor = 0;
  std::string document;  // the whole run as JSON (settlement/json.h)
  Micros created_at = 0;
  std::optional<Micros> finalized_at;
};

// The card-issuing bank (hub/ledger/bank_ledger.h gives these meaning).
struct MccRuleRow {
  int mcc = 0;
  int64_t rate_bp = 0;
  bool excluded = false;
};

struct BankRulesRow {
  int64_t default_rate_bp = 0;
  int64_t partner_merchant_rate_bp = 0;
  Points monthly_cap_points = 0;  // 0 = no cap
  std::vector<MccRuleRow> mcc_rules;  // by mcc
};

struct CardLinkRow {
  std::string card_ref;  // a bank token, or "h:" + HMAC-SHA-256 of a PAN
  PartnerId bank_id = 0;
  MemberId member_id = 0;
  bool active = false;
};

namespace clearing_status {
inline constexpr char kEarned[] = "earned";
inline constexpr char kNoEarn[] = "no_earn";
inline constexpr char kReversed[] = "reversed";
inline constexpr char kUnmatched[] = "unmatched_refund";
}  // namespace clearing_status

struct ClearingRow {
  PartnerId bank_id = 0;
  std::string clearing_id;
  std::string request_hash;
  std::string card_ref;
  std::optional<MemberId> member_id;
  std::string type;  // "purchase" | "refund"
  int64_t amount_minor = 0;
  int mcc = 0;
  std::string merchant_id;
  std::string original_clearing_id;
  std::string status;  // clearing_status::*
  std::string reason;
  Points points = 0;
  int64_t refunded_amount_minor = 0;
  TxnId hub_txn_id = 0;
  std::string month_key;  // "YYYY-MM" of the purchase (a refund carries its purchase's)
  Micros occurred_at = 0;
  Micros posted_at = 0;
};

struct TierRow {
  std::string name;
  int64_t threshold_minor = 0;  // rolling 12-month coalition-wide spend to qualify
  int64_t multiplier_bp = 10000;  // 10000 = x1 (no bonus)
};

namespace promotion_kind {
inline constexpr char kMultiplier[] = "multiplier";
inline constexpr char kFixed[] = "fixed";
inline constexpr char kStamp[] = "stamp";
inline constexpr char kCrossPartner[] = "cross_partner";
}  // namespace promotion_kind

struct PromotionRow {
  int64_t id = 0;
  std::string name;
  PartnerId funder_id = 0;  // the creator pays: a partner, or the operator (0)
  std::string scope;        // "all" | "partner" | "category" | "tier"
  std::string scope_value;  // partner id, category or tier name
  std::string kind;         // promotion_kind::*
  Micros starts_at = 0;
  Micros ends_at = 0;  // exclusive
  int64_t multiplier_bp = 0;
  Points bonus_points = 0;
  int64_t min_spend_minor = 0;
  int every_n = 0;
  int distinct_partners = 0;
  int window_days = 0;
  bool ended = false;
  Micros created_at = 0;
};

struct PromotionAwardRow {
  int64_t promotion_id = 0;
  MemberId member_id = 0;
  TxnId earn_txn_id = 0;
  TxnId bonus_txn_id = 0;
  Points points = 0;
  Micros awarded_at = 0;
};

struct ExpiringRow {
  MemberId member_id = 0;
  Points points = 0;
  Micros first_expiry = 0;
};

// Who a credential belongs to.
struct Principal {
  Role role = Role::kMerchant;
  PartnerId partner_id = kOperatorId;  // the partner for merchant/issuer keys
  bool suspended = false;
  // The first 12 hex digits of the SHA-256 of the key the caller presented: names the
  // key in the audit log without revealing it. "" when not authenticated by a key.
  std::string key_id;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_RECORDS_H_
