#include "loyalty/webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace loyalty::sdk {
namespace {

constexpr size_t kHexDigits = 2 * 32;  // SHA-256

// Lower-case hex HMAC-SHA256 of "<t>.<body>" under `secret`.
std::string Hmac(absl::string_view secret, int64_t t, absl::string_view body) {
  const std::string message = absl::StrCat(t, ".", body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

bool IsHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::Status VerifyWebhookSignature(absl::string_view header, absl::string_view body,
                                    absl::string_view secret, absl::Time now,
                                    absl::Duration tolerance) {
  if (secret.empty()) return absl::InvalidArgumentError("webhook secret: empty");
  int64_t t = 0;
  bool have_t = false;
  std::vector<std::string> signatures;
  for (absl::string_view part : absl::StrSplit(header, ',')) {
    part = absl::StripAsciiWhitespace(part);
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(kWebhookSignatureHeader, ": \"", part,
                                                     "\" is not key=value"));
    }
    const absl::string_view key = part.substr(0, eq);
    const absl::string_view value = part.substr(eq + 1);
    if (key == "t") {
      if (have_t || !absl::SimpleAtoi(value, &t) || t < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(kWebhookSignatureHeader, ": t must be one unix time in seconds"));
      }
      have_t = true;
    } else if (key == "v1") {
      if (value.size() != kHexDigits || !IsHex(value)) {
        return absl::InvalidArgumentError(
            absl::StrCat(kWebhookSignatureHeader, ": v1 must be 64 hex digits"));
      }
      signatures.push_back(absl::AsciiStrToLower(value));
    }  // other schemes (v0, future versions) are ignored, as Stripe's receivers do
  }
  if (!have_t) return absl::InvalidArgumentError(absl::StrCat(kWebhookSignatureHeader, ": no t="));
  if (signatures.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(kWebhookSignatureHeader, ": no v1="));
  }
  const absl::Duration age = now - absl::FromUnixSeconds(t);
  if (age > tolerance || -age > tolerance) {
    return absl::FailedPreconditionError(
        absl::StrCat(kWebhookSignatureHeader, ": signed at ", t, ", ",
                     absl::FormatDuration(age), " from now, beyond the tolerance of ",
                     absl::FormatDuration(tolerance), " (a replay, or a clock that is off)"));
  }
  const std::string expected = Hmac(secret, t, body);
  bool match = false;
  for (const std::string& s : signatures) {
    // Every candidate is compared in full, in constant time.
    match |= CRYPTO_memcmp(s.data(), expected.data(), kHexDigits) == 0;
  }
  if (!match) {
    return absl::UnauthenticatedError(
        absl::StrCat(kWebhookSignatureHeader, ": no v1 signature matches the body"));
  }
  return absl::OkStatus();
}

std::string SignWebhook(absl::string_view body, absl::string_view secret, absl::Time at) {
  const int64_t t = absl::ToUnixSeconds(at);
  return absl::StrCat("t=", t, ",v1=", Hmac(secret, t, body));
}

}  // namespace loyalty::sdk
