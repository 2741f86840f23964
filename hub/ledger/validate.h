// Field checks for requests entering the ledger. Each failure is INVALID_ARGUMENT and
// names the field as the public API spells it, so the partner's engineer can find it.
#ifndef LOYALTY_HUB_LEDGER_VALIDATE_H_
#define LOYALTY_HUB_LEDGER_VALIDATE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hub/common/money.h"

namespace loyalty {

// Largest point figure one request may carry: far above any real basket, far below
// overflow of sums over many requests.
inline constexpr Points kMaxPointsPerRequest = 1'000'000'000'000;  // 1e12
inline constexpr int64_t kMaxAmountMinor = 1'000'000'000'000'000;  // 1e15
inline constexpr int kMaxIdLength = 64;

absl::Status InvalidField(absl::string_view field, absl::string_view why);

// 1..64 characters of [A-Za-z0-9._:-].
absl::Status ValidateIdempotencyKey(absl::string_view field, absl::string_view value);
// 12..19 digits with a valid Luhn check digit.
absl::Status ValidateCardNumber(absl::string_view field, absl::string_view value);
// 1..max_len printable characters, no control characters.
absl::Status ValidateText(absl::string_view field, absl::string_view value, size_t max_len);
// min..kMaxPointsPerRequest.
absl::Status ValidatePoints(absl::string_view field, Points value, Points min);
// 0 or a time between 2000-01-01 and 2100-01-01 in microseconds.
absl::Status ValidateOccurredAt(absl::string_view field, int64_t micros);
// A card acceptor's merchant id as acquirers print it ("MID-FUELUP-01", "ACME, INC"):
// 1..32 printable ASCII characters (spaces and punctuation included).
absl::Status ValidateMerchantId(absl::string_view value);
// A member's PIN: 4..8 ASCII digits.
absl::Status ValidatePin(absl::string_view field, absl::string_view value);
// An IANA zone name ("UTC", "Europe/Berlin", "Etc/GMT+5"): 1..64 of [A-Za-z0-9/_+-],
// not starting with '/'. Checked before absl::LoadTimeZone, which would otherwise open an
// absolute path or a "file:" name (a FIFO or /dev/stdin would block the caller's thread).
absl::Status ValidateTimeZoneName(absl::string_view field, absl::string_view value);

}  // namespace loyalty

#endif  // LOYALTY_HUB_LEDGER_VALIDATE_H_
