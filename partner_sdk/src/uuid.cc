#include "uuid.h"

#include <array>
#include <cstdint>
#include <mutex>
#include <random>

#include "absl/strings/str_format.h"

namespace loyalty::sdk::internal {

std::string NewUuidV4() {
  // std::random_device reads the kernel's CSPRNG on Linux; a shared instance behind a
  // lock keeps the file descriptor count at one however many threads call this.
  static std::mutex mu;
  static std::random_device rd;
  std::array<uint8_t, 16> b;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (size_t i = 0; i < b.size(); i += 4) {
      const uint32_t r = rd();
      for (size_t j = 0; j < 4; ++j) b[i + j] = static_cast<uint8_t>(r >> (8 * j));
    }
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                         b[12], b[13], b[14], b[15]);
}

}  // namespace loyalty::sdk::internal
