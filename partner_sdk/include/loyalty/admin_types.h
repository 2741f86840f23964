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

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_ADMIN_TYPES_H_
