#include "hub/common/secure_random.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "hub/common/status_macros.h"

namespace loyalty {
namespace {

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  LOYALTY_CHECK(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) == 1);
  return out;
}

// The Luhn check digit for `payload` (the digits before it).
char LuhnDigit(absl::string_view payload) {
  int sum = 0;
  bool dbl = true;  // the rightmost payload digit is doubled
  for (auto it = payload.rbegin(); it != payload.rend(); ++it) {
    int d = *it - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  LOYALTY_CHECK(EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) == 1);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string HmacSha256Hex(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  LOYALTY_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                     reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
                     &len) != nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string NewApiKey(absl::string_view prefix) {
  return absl::StrCat(prefix, absl::BytesToHexString(RandomBytes(24)));
}

std::string NewCardNumber() {
  std::string bytes = RandomBytes(13);
  std::string payload = "70";
  for (char b : bytes) payload.push_back(static_cast<char>('0' + static_cast<uint8_t>(b) % 10));
  payload.push_back(LuhnDigit(payload));
  return payload;
}

bool IsValidCardNumber(absl::string_view number) {
  if (number.size() < 12 || number.size() > 19) return false;
  for (char c : number) {
    if (c < '0' || c > '9') return false;
  }
  return LuhnDigit(number.substr(0, number.size() - 1)) == number.back();
}

}  // namespace loyalty
