// Resolves an API key presented as `authorization: Bearer <key>` to a Principal. Keys
// are stored as SHA-256 hashes; the key itself is never stored or logged. With mutual
// TLS the key must also belong to the participant the client certificate names.
// Thread-safe.
#ifndef LOYALTY_HUB_AUTH_AUTHENTICATOR_H_
#define LOYALTY_HUB_AUTH_AUTHENTICATOR_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "hub/store/store.h"

namespace loyalty {

// What the transport proved about a caller: the participant URIs (URI SANs starting
// "loyalty:") of the client certificate the hub verified; empty without one.
struct PeerIdentity {
  std::vector<std::string> participant_uris;
};

struct AuthenticatorOptions {
  // Mutual TLS (--tls_client_ca_file): every key must come with a client certificate
  // naming its owner (see ParticipantUri). Default: false.
  bool require_client_certificate = false;
  // How long a key found in the database is trusted without looking it up again
  // (--auth_cache_ms): a revoked key or a suspension takes effect this much later at
  // worst. Unknown keys are never kept. Default: 0 (every request looks its key up).
  absl::Duration cache_ttl = absl::ZeroDuration();
};

class Authenticator {
 public:
  explicit Authenticator(Store* store, AuthenticatorOptions options = {})
      : store_(store), options_(options) {}

  // UNAUTHENTICATED if the header is missing, malformed or names no live key;
  // PERMISSION_DENIED if the key's partner is suspended, or (mutual TLS) if `peer`
  // names no participant or another participant than the key's owner.
  absl::StatusOr<Principal> Authenticate(absl::string_view authorization_header,
                                         const PeerIdentity& peer = {});
  // The same without touching the database: nullopt when the answer needs it (the key
  // is not in the cache, or caching is off). Never blocks; gRPC threads call it.
  std::optional<absl::StatusOr<Principal>> AuthenticateFromCache(
      absl::string_view authorization_header, const PeerIdentity& peer = {});

 private:
  // The key's principal, from the cache while fresh, else (unless `cache_only`) from the
  // database. nullopt: not cached and `cache_only`.
  std::optional<absl::StatusOr<std::optional<Principal>>> Lookup(const std::string& key_hash,
                                                                 bool cache_only);
  std::optional<absl::StatusOr<Principal>> Check(absl::string_view authorization_header,
                                                 const PeerIdentity& peer, bool cache_only);

  Store* const store_;
  const AuthenticatorOptions options_;
  struct Kept {
    Principal principal;
    absl::Time until;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Kept> kept_ ABSL_GUARDED_BY(mu_);
};

// The URI a client certificate carries for the owner of `principal`'s key:
// "loyalty:partner:<id>" (merchant and issuer keys), "loyalty:admin", "loyalty:finance".
std::string ParticipantUri(const Principal& principal);

// PERMISSION_DENIED naming `method` unless the principal's role is one of `allowed`.
absl::Status RequireRole(const Principal& principal, const std::vector<Role>& allowed,
                         absl::string_view method);

// "merchant", "issuer", "admin", "finance".
const char* RoleName(Role role);

// A short name for logs and the audit trail: "partner:12" for a partner's keys; for
// operator keys the role and the key's id (Principal::key_id), "admin:3f2a9c0d41be",
// so the audit log tells two admins apart without holding their keys.
std::string ActorName(const Principal& principal);

}  // namespace loyalty

#endif  // LOYALTY_HUB_AUTH_AUTHENTICATOR_H_
