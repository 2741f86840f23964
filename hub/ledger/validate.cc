#include "hub/ledger/validate.h"

#include "absl/strings/str_cat.h"
#include "hub/common/error_reason.h"
#include "hub/common/secure_random.h"

namespace loyalty {

absl::Status InvalidField(absl::string_view field, absl::string_view why) {
  return WithField(absl::InvalidArgumentError(absl::StrCat(field, ": ", why)), field);
}

absl::Status ValidateIdempotencyKey(absl::string_view field, absl::string_view value) {
  if (value.empty()) return InvalidField(field, "required");
  if (value.size() > static_cast<size_t>(kMaxIdLength)) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxIdLength, " characters"));
  }
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return InvalidField(field, "only letters, digits and . _ : - are allowed");
  }
  return absl::OkStatus();
}

absl::Status ValidateCardNumber(absl::string_view field, absl::string_view value) {
  if (value.empty()) return InvalidField(field, "required");
  if (!IsValidCardNumber(value)) {
    return InvalidField(field, "must be 12 to 19 digits with a valid check digit");
  }
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view field, absl::string_view value, size_t max_len) {
  if (value.empty()) return InvalidField(field, "required");
  if (value.size() > max_len) {
    return InvalidField(field, absl::StrCat("longer than ", max_len, " bytes"));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) return InvalidField(field, "contains control characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateMerchantId(absl::string_view value) {
  if (value.empty()) return InvalidField("merchant_id", "required");
  if (value.size() > 32) return InvalidField("merchant_id", "longer than 32 characters");
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7e) {
      return InvalidField("merchant_id", "only printable ASCII characters are allowed");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePoints(absl::string_view field, Points value, Points min) {
  if (value < min) return InvalidField(field, absl::StrCat("must be at least ", min));
  if (value > kMaxPointsPerRequest) {
    return InvalidField(field, absl::StrCat("must be at most ", kMaxPointsPerRequest));
  }
  return absl::OkStatus();
}

absl::Status ValidateOccurredAt(absl::string_view field, int64_t micros) {
  constexpr int64_t kYear2000 = 946'684'800'000'000;
  constexpr int64_t kYear2100 = 4'102'444'800'000'000;
  if (micros != 0 && (micros < kYear2000 || micros >= kYear2100)) {
    return InvalidField(field, "must be 0 or microseconds since the epoch in 2000..2099");
  }
  return absl::OkStatus();
}

absl::Status ValidatePin(absl::string_view field, absl::string_view value) {
  if (value.size() < 4 || value.size() > 8) return InvalidField(field, "must be 4 to 8 digits");
  for (char c : value) {
    if (c < '0' || c > '9') return InvalidField(field, "must be 4 to 8 digits");
  }
  return absl::OkStatus();
}

absl::Status ValidateTimeZoneName(absl::string_view field, absl::string_view value) {
  constexpr size_t kMaxTimeZoneLength = 64;
  if (value.empty()) return InvalidField(field, "required");
  if (value.size() > kMaxTimeZoneLength) {
    return InvalidField(field, absl::StrCat("longer than ", kMaxTimeZoneLength, " characters"));
  }
  if (value.front() == '/') return InvalidField(field, "must be a zone name, not a path");
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return InvalidField(field, "only letters, digits and / _ - + are allowed");
  }
  return absl::OkStatus();
}

}  // namespace loyalty
