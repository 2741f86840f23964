// Resolves an API key presented as `authorization: Bearer <key>` to a Principal. Keys
// are stored as SHA-256 hashes; the key itself is never stored or logged.
// Thread-safe.
#ifndef LOYALTY_HUB_AUTH_AUTHENTICATOR_H_
#define LOYALTY_HUB_AUTH_AUTHENTICATOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hub/store/store.h"

namespace loyalty {

class Authenticator {
 public:
  explicit Authenticator(Store* store) : store_(store) {}

  // UNAUTHENTICATED if the header is missing, malformed or names no live key;
  // PERMISSION_DENIED if the key's partner is suspended.
  absl::StatusOr<Principal> Authenticate(absl::string_view authorization_header);

 private:
  Store* const store_;
};

// PERMISSION_DENIED naming `method` unless the principal's role is one of `allowed`.
absl::Status RequireRole(const Principal& principal, const std::vector<Role>& allowed,
                         absl::string_view method);

// "merchant", "issuer", "admin", "finance".
const char* RoleName(Role role);

// A short name for logs and the audit trail: "admin", "partner:12".
std::string ActorName(const Principal& principal);

}  // namespace loyalty

#endif  // LOYALTY_HUB_AUTH_AUTHENTICATOR_H_
