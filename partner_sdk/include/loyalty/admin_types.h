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
};

struct RegisterPartnerParams {
  std::string name;      // 1..100 characters
  std::string category;  // [a-z0-9_]{1,40}; one active partner per category
  Role role = Role::kMerchant;
  int64_t earn_rate_bp = 0;  // basis points of the amount (500 = 5%)
  PartnerLimits limits;
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

struct Program {
  int64_t point_value_micros = 0;  // value of one point in micros of `currency`
  std::string currency;            // ISO 4217
  int32_t expiry_months = 0;       // 0 = never
  int64_t hold_timeout_seconds = 0;
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

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_ADMIN_TYPES_H_
