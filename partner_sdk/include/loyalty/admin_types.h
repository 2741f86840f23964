// Arguments and results of the AdminService calls (the operator's API).
#ifndef LOYALTY_PARTNER_SDK_ADMIN_TYPES_H_
#define LOYALTY_PARTNER_SDK_ADMIN_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "loyalty/types.h"

namespace loyalty::sdk {

struct PartnerLimits {
  int64_t max_points_per_txn = 0;         // 0 = no limit
  int64_t max_points_per_member_day = 0;  // 0 = no limit; UTC day
};

struct Partner {
  int64_t partner_id = 0;
  std::string name;
  std::string category;
  Role role = Role::kUnspecified;
  int64_t earn_rate_bp = 0;
  PartnerLimits limits;
  bool suspended = false;
  int64_t created_at_micros = 0;
  int32_t return_window_days = 0;  // earned points stay pending this many days; 0 = none
};

// Paging, the same for every List call (docs/api.md "Paging"): page_size 0 = 100, above
// 500 = 500; page_token is the previous page's next_page_token, passed back unchanged
// with the same filters (a token is opaque: do not build or parse one); a page's
// next_page_token is "" on the last page.
struct ListPartnersParams {
  int32_t page_size = 0;
  std::string page_token;
};
struct PartnerPage {
  std::vector<Partner> partners;  // by partner_id
  std::string next_page_token;    // "" on the last page
};

struct RegisterPartnerParams {
  std::string name;      // 1..100 characters
  std::string category;  // [a-z0-9_]{1,40}; one active partner per category
  Role role = Role::kMerchant;
  int64_t earn_rate_bp = 0;  // basis points of the amount (500 = 5%)
  PartnerLimits limits;
  // Points earned at this partner stay pending (not spendable) this many days, so a
  // return inside the window cancels them cleanly; 0 = spendable at once.
  int32_t return_window_days = 0;
};
struct RegisterPartnerResult {
  Partner partner;
  std::string api_key;  // shown once: store it now
};

struct SuspendPartnerParams {
  int64_t partner_id = 0;
  std::string reason;  // 1..200 characters
};

struct RotateApiKeyParams {
  int64_t partner_id = 0;
};

// How earned lots expire (docs/program-rules.md).
enum class ExpiryPolicy {
  kMonthsAfterEarn = 0,  // `expiry_months` after the earn; 0 = never
  kEndOfYear = 1,        // end of the `expiry_years`-th calendar year after the earn's year
};

struct Program {
  int64_t point_value_micros = 0;  // value of one point in micros of `currency`
  std::string currency;            // ISO 4217
  int32_t expiry_months = 0;       // kMonthsAfterEarn: 0 = never
  int64_t hold_timeout_seconds = 0;
  ExpiryPolicy expiry_policy = ExpiryPolicy::kMonthsAfterEarn;
  int32_t expiry_years = 0;           // kEndOfYear
  std::string time_zone{};            // IANA; cuts calendar years; "" = UTC
  int64_t min_redemption_points = 0;  // 0 = none
  int64_t pin_threshold_points = 0;   // redemptions above this need the member's PIN; 0 = never
  bool pause_expiry_for_cobranded = false;  // members with a linked co-branded card keep points
  // Limits on every earn (0 = none): past one, an earn fails FAILED_PRECONDITION naming it.
  int64_t max_earn_amount_minor = 0;    // the most spend one earn may carry
  int32_t max_earns_per_card_hour = 0;  // earns per member (any of its cards) in an hour
};

struct IssueBearerCardsParams {
  int32_t count = 0;  // 1..1000
};

struct AdjustPointsParams {
  std::string adjustment_id;  // idempotency key; "" = a generated UUIDv4
  std::string card_number;
  int64_t points = 0;  // > 0 credits (operator-funded), < 0 debits
  std::string reason;  // 1..200 characters, kept in the audit log
};

struct ExpiryResult {
  int64_t lots_expired = 0;
  int64_t points_expired = 0;
};

struct CreateOperatorKeyParams {
  Role role = Role::kAdmin;  // kAdmin or kFinance
};

// The card-issuing bank's earn rules. A purchase earns floor(amount x rate) points
// (rate in basis points of the amount, valued at the program's point value), where the
// rate is: nothing if its MCC is excluded; else `partner_merchant_rate_bp` if the
// merchant id is registered by an active coalition partner; else its MCC's rule; else
// `default_rate_bp`. Points per card and calendar month (UTC) stop at the cap.
struct MccRule {
  int32_t mcc = 0;        // 0..9999, each at most once
  int64_t rate_bp = 0;    // 0..10000; used when not excluded
  bool excluded = false;  // purchases with this MCC earn nothing (e.g. 6011 cash)
};
struct BankEarnRules {
  int64_t default_rate_bp = 0;           // 0..10000
  int64_t partner_merchant_rate_bp = 0;  // 0..10000
  int64_t monthly_cap_points = 0;        // per card and month; 0 = none
  std::vector<MccRule> mcc_rules;
};

struct SetBankEarnRulesParams {
  int64_t bank_partner_id = 0;  // an issuer partner
  BankEarnRules rules;          // replaces the bank's rules as a whole
};
struct GetBankEarnRulesParams {
  int64_t bank_partner_id = 0;
};

// A tier by rolling 12-month coalition-wide spend, with its earn multiplier.
struct Tier {
  std::string name;             // 1..40 characters, distinct
  int64_t threshold_minor = 0;  // spend (minor units) to qualify; distinct, >= 0
  int64_t multiplier_bp = 0;    // 10000 = x1, 15000 = x1.5; 10000..100000
};
struct SetTiersParams {
  std::vector<Tier> tiers;  // replaces the scheme as a whole; empty = no tiers
};
struct ListTiersParams {
  int32_t page_size = 0;  // paging: see ListPartnersParams
  std::string page_token;
};
struct TierPage {
  std::vector<Tier> tiers;      // by threshold_minor, then name
  std::string next_page_token;  // "" on the last page
};

struct TierReviewResult {
  int64_t members_reviewed = 0;
  int64_t members_changed = 0;
};

enum class PromotionKind {
  kUnspecified = 0,
  kMultiplier = 1,    // base x (multiplier_bp - 10000) / 10000 extra
  kFixed = 2,         // bonus_points per qualifying earn
  kStamp = 3,         // bonus_points on every `every_n`-th earn at a partner
  kCrossPartner = 4,  // bonus_points once, on earning at `distinct_partners` partners
};
enum class PromotionScope {
  kAll = 0,
  kPartner = 1,   // scope_value = partner id
  kCategory = 2,  // scope_value = category
  kTier = 3,      // scope_value = tier name
};

struct Promotion {
  int64_t promotion_id = 0;       // set by the hub
  std::string name;               // 1..100 characters
  int64_t funder_partner_id = 0;  // who pays for the bonus points; 0 = the operator
  PromotionScope scope = PromotionScope::kAll;
  std::string scope_value;
  PromotionKind kind = PromotionKind::kUnspecified;
  int64_t starts_at_micros = 0;
  int64_t ends_at_micros = 0;     // exclusive
  int64_t multiplier_bp = 0;      // kMultiplier: 10001..100000
  int64_t bonus_points = 0;       // kFixed, kStamp, kCrossPartner
  int64_t min_spend_minor = 0;    // the earn's amount must be at least this
  int32_t every_n = 0;            // kStamp: 2..1000
  int32_t distinct_partners = 0;  // kCrossPartner: K, 2..100
  int32_t window_days = 0;        // kCrossPartner: rolling window, 1..366
  bool ended = false;             // set by the hub (EndPromotion)
};

struct ListPromotionsParams {
  bool include_inactive = false;  // also ended, expired and future promotions
  int32_t page_size = 0;          // paging: see ListPartnersParams
  std::string page_token;
};
struct PromotionPage {
  std::vector<Promotion> promotions;  // by promotion_id
  std::string next_page_token;        // "" on the last page
};
struct EndPromotionParams {
  int64_t promotion_id = 0;
};

struct ListExpiringPointsParams {
  int32_t within_days = 0;  // 1..366
  int32_t limit = 0;        // deprecated (page_size): 0..1000, the page size if page_size is 0
  int32_t page_size = 0;    // paging: see ListPartnersParams
  std::string page_token;   // later pages keep the first page's window
};
struct ExpiringPoints {
  int64_t member_id = 0;
  int64_t points = 0;
  int64_t first_expiry_at_micros = 0;
};
struct ExpiringPointsPage {
  std::vector<ExpiringPoints> members;  // by first_expiry_at_micros, then member_id
  std::string next_page_token;          // "" on the last page
};

struct UnlockMemberPinParams {
  std::string card_number;
};

// One admin or finance action as the hub's audit log keeps it.
struct AuditEntry {
  int64_t id = 0;         // ascending in the order the hub wrote the entries
  int64_t at_micros = 0;  // UTC
  // "admin:<key id>" (the first 12 hex digits of the key's SHA-256, never the key),
  // "finance-cli:<os user>", "bootstrap", ...
  std::string actor;
  std::string action;       // snake_case: suspend_partner, set_program, ...
  std::string detail;       // one human line
  std::string before_json;  // the state before, a JSON object; "" for a creation
  std::string after_json;   // the state after, a JSON object
};
struct ListAuditLogParams {
  int64_t from_micros = 0;  // entries at or after; 0 = from the start
  int64_t to_micros = 0;    // entries before; 0 = up to now
  std::string actor;        // exact match; "" = any
  std::string action;       // exact match; "" = any
  int32_t page_size = 0;    // 0 = 100; above 500 = 500
  std::string page_token;   // next_page_token of the previous page (same filters); "" = the newest
};
struct AuditLogPage {
  std::vector<AuditEntry> entries;  // newest first
  std::string next_page_token;      // "" on the last page
};

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_ADMIN_TYPES_H_
