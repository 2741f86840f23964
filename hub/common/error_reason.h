// Machine-readable error details that travel inside an absl::Status from the ledger to
// the API edge, without any proto type: a stable reason (google.rpc.ErrorInfo.reason)
// with metadata, and the request field an INVALID_ARGUMENT is about
// (google.rpc.BadRequest). hub/api turns them into the standard google.rpc messages
// (ToGrpcStatus); docs/api.md lists every reason.
//
// A reason is part of the public API: never rename one, only add. A status without a
// reason is given a generic one by its code at the edge (ReasonOf).
#ifndef LOYALTY_HUB_COMMON_ERROR_REASON_H_
#define LOYALTY_HUB_COMMON_ERROR_REASON_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace loyalty {

namespace reason {
// Partners and members.
inline constexpr char kInsufficientPoints[] = "INSUFFICIENT_POINTS";
inline constexpr char kBelowMinimumRedemption[] = "BELOW_MINIMUM_REDEMPTION";
inline constexpr char kPinRequired[] = "PIN_REQUIRED";
inline constexpr char kPinIncorrect[] = "PIN_INCORRECT";
inline constexpr char kPinLocked[] = "PIN_LOCKED";
inline constexpr char kIdempotencyMismatch[] = "IDEMPOTENCY_MISMATCH";
inline constexpr char kCardNotFound[] = "CARD_NOT_FOUND";
inline constexpr char kCardMoved[] = "CARD_MOVED";
inline constexpr char kCardInUse[] = "CARD_IN_USE";
inline constexpr char kNotBearerCard[] = "NOT_BEARER_CARD";
inline constexpr char kOriginalNotFound[] = "ORIGINAL_NOT_FOUND";
inline constexpr char kNothingToReverse[] = "NOTHING_TO_REVERSE";
inline constexpr char kHoldNotActive[] = "HOLD_NOT_ACTIVE";
inline constexpr char kCaptureExceedsHold[] = "CAPTURE_EXCEEDS_HOLD";
inline constexpr char kPointsAboveLimit[] = "POINTS_ABOVE_LIMIT";
inline constexpr char kEarnLimitExceeded[] = "EARN_LIMIT_EXCEEDED";
inline constexpr char kWrongCurrency[] = "WRONG_CURRENCY";
// Program and partners (operator).
inline constexpr char kProgramNotConfigured[] = "PROGRAM_NOT_CONFIGURED";
inline constexpr char kCategoryTaken[] = "CATEGORY_TAKEN";
inline constexpr char kPartnerNotFound[] = "PARTNER_NOT_FOUND";
inline constexpr char kPartnerSuspended[] = "PARTNER_SUSPENDED";
inline constexpr char kPromotionNotFound[] = "PROMOTION_NOT_FOUND";
// The bank.
inline constexpr char kMerchantIdTaken[] = "MERCHANT_ID_TAKEN";
inline constexpr char kCardLinkedElsewhere[] = "CARD_LINKED_ELSEWHERE";
inline constexpr char kCardNotLinked[] = "CARD_NOT_LINKED";
inline constexpr char kClearingDuplicate[] = "CLEARING_DUPLICATE";
inline constexpr char kBankRulesNotSet[] = "BANK_RULES_NOT_SET";
// Access.
inline constexpr char kApiKeyMissing[] = "API_KEY_MISSING";
inline constexpr char kApiKeyInvalid[] = "API_KEY_INVALID";
inline constexpr char kRoleNotAllowed[] = "ROLE_NOT_ALLOWED";
inline constexpr char kOtherPartnersData[] = "OTHER_PARTNERS_DATA";
// Capacity and availability.
inline constexpr char kRateLimited[] = "RATE_LIMITED";
inline constexpr char kHubAtCapacity[] = "HUB_AT_CAPACITY";
inline constexpr char kHubShuttingDown[] = "HUB_SHUTTING_DOWN";
inline constexpr char kDatabaseUnavailable[] = "DATABASE_UNAVAILABLE";
inline constexpr char kOverflow[] = "ARITHMETIC_OVERFLOW";
}  // namespace reason

// `s` with a stable `reason` and optional metadata (key, value) pairs attached. An OK
// status is returned unchanged; a second reason replaces the first.
absl::Status WithReason(absl::Status s, absl::string_view reason,
                        const std::vector<std::pair<std::string, std::string>>& metadata = {});

// The reason attached to `s`, or "" if none is.
std::string AttachedReason(const absl::Status& s);

// The reason a client sees for `s`: the attached one, else one derived from the code
// ("NOT_FOUND", "INVALID_ARGUMENT", ...; UNAVAILABLE is DATABASE_UNAVAILABLE).
std::string ReasonOf(const absl::Status& s);

// The metadata attached with the reason, in key order.
std::vector<std::pair<std::string, std::string>> ReasonMetadata(const absl::Status& s);

// `s` marked as being about request field `field` (as the public API spells it).
absl::Status WithField(absl::Status s, absl::string_view field);

// The field `s` is about: the attached one, else the "field: why" prefix of its message
// when that prefix looks like a field path; "" if neither.
std::string FieldOf(const absl::Status& s);

}  // namespace loyalty

#endif  // LOYALTY_HUB_COMMON_ERROR_REASON_H_
