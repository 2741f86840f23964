// Idempotency ids the SDK makes when a caller gives none.
#ifndef LOYALTY_PARTNER_SDK_SRC_UUID_H_
#define LOYALTY_PARTNER_SDK_SRC_UUID_H_

#include <string>

namespace loyalty::sdk::internal {

// A random (version 4, RFC 4122 variant) UUID in lower-case 8-4-4-4-12 form: 122 random
// bits from the operating system, so ids from many tills never collide in practice.
// It fits the hub's partner_txn_id alphabet [A-Za-z0-9._:-]. Thread-safe.
std::string NewUuidV4();

}  // namespace loyalty::sdk::internal

#endif  // LOYALTY_PARTNER_SDK_SRC_UUID_H_
