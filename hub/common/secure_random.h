// Secrets and identifiers the hub makes up: API keys, bearer card numbers, and the
// SHA-256 digests keys are stored as.
#ifndef LOYALTY_HUB_COMMON_SECURE_RANDOM_H_
#define LOYALTY_HUB_COMMON_SECURE_RANDOM_H_

#include <string>

#include "absl/strings/string_view.h"

namespace loyalty {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

// Lower-case hex HMAC-SHA-256 of `data` under `key`.
std::string HmacSha256Hex(absl::string_view key, absl::string_view data);

// `prefix` followed by 48 hex characters from the operating system's CSPRNG.
std::string NewApiKey(absl::string_view prefix);

// A 16-digit card number: "70" (the program's range), 13 random digits, a Luhn digit.
std::string NewCardNumber();

// True if `number` is 12..19 digits and passes the Luhn check.
bool IsValidCardNumber(absl::string_view number);

}  // namespace loyalty

#endif  // LOYALTY_HUB_COMMON_SECURE_RANDOM_H_
