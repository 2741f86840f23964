#include "hub/auth/authenticator.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hub/common/error_reason.h"
#include "hub/common/secure_random.h"
#include "hub/common/status_macros.h"

namespace loyalty {
namespace {
constexpr absl::string_view kBearer = "Bearer ";
constexpr size_t kMaxKeyLength = 200;
constexpr size_t kKeyIdLength = 12;  // hex digits of the key's SHA-256 in actor names

// PERMISSION_DENIED unless the client certificate names the key's owner.
absl::Status CheckCertificateMatchesKey(const Principal& principal, const PeerIdentity& peer) {
  const std::string expected = ParticipantUri(principal);
  for (const std::string& uri : peer.participant_uris) {
    if (uri == expected) return absl::OkStatus();
  }
  if (peer.participant_uris.empty()) {
    return absl::PermissionDeniedError(
        absl::StrCat("client certificate names no participant (URI SAN loyalty:...); the api key "
                     "belongs to ",
                     expected));
  }
  return absl::PermissionDeniedError(absl::StrCat("the api key belongs to ", expected,
                                                  " but the client certificate is for ",
                                                  absl::StrJoin(peer.participant_uris, ", ")));
}

}  // namespace

std::optional<absl::StatusOr<std::optional<Principal>>> Authenticator::Lookup(
    const std::string& key_hash, bool cache_only) {
  constexpr size_t kMaxKept = 100'000;  // keys; past it the cache starts over
  const bool caching = options_.cache_ttl > absl::ZeroDuration();
  if (caching) {
    absl::MutexLock lock(&mu_);
    auto it = kept_.find(key_hash);
    if (it != kept_.end() && it->second.until > absl::Now()) {
      return std::optional<Principal>(it->second.principal);
    }
  }
  if (cache_only) return std::nullopt;
  std::optional<Principal> principal;
  absl::Status read = store_->RunInTransaction([&](StoreTxn& txn) -> absl::Status {
    ASSIGN_OR_RETURN(principal, txn.LookupApiKey(key_hash));
    return absl::OkStatus();
  });
  if (!read.ok()) return absl::StatusOr<std::optional<Principal>>(read);
  if (caching && principal.has_value()) {
    absl::MutexLock lock(&mu_);
    if (kept_.size() >= kMaxKept) kept_.clear();
    kept_[key_hash] = Kept{*principal, absl::Now() + options_.cache_ttl};
  }
  return principal;
}

absl::StatusOr<Principal> Authenticator::Authenticate(absl::string_view header,
                                                      const PeerIdentity& peer) {
  return *Check(header, peer, /*cache_only=*/false);
}

std::optional<absl::StatusOr<Principal>> Authenticator::AuthenticateFromCache(
    absl::string_view header, const PeerIdentity& peer) {
  return Check(header, peer, /*cache_only=*/true);
}

std::optional<absl::StatusOr<Principal>> Authenticator::Check(absl::string_view header,
                                                              const PeerIdentity& peer,
                                                              bool cache_only) {
  using Answer = absl::StatusOr<Principal>;
  if (!absl::StartsWith(header, kBearer)) {
    return Answer(
        WithReason(absl::UnauthenticatedError("authorization: expected 'Bearer <api key>' metadata"),
                   reason::kApiKeyMissing));
  }
  const absl::string_view key = header.substr(kBearer.size());
  if (key.empty() || key.size() > kMaxKeyLength) {
    return Answer(WithReason(absl::UnauthenticatedError("authorization: malformed api key"),
                             reason::kApiKeyInvalid));
  }
  const std::string hash = Sha256Hex(key);
  std::optional<absl::StatusOr<std::optional<Principal>>> found = Lookup(hash, cache_only);
  if (!found.has_value()) return std::nullopt;
  if (!found->ok()) return Answer(found->status());
  std::optional<Principal> principal = **found;
  if (!principal.has_value()) {
    return Answer(WithReason(absl::UnauthenticatedError("authorization: unknown api key"),
                             reason::kApiKeyInvalid));
  }
  principal->key_id = hash.substr(0, kKeyIdLength);
  if (principal->suspended) {
    return Answer(
        WithReason(absl::PermissionDeniedError("partner is suspended"), reason::kPartnerSuspended));
  }
  if (options_.require_client_certificate) {
    if (absl::Status s = CheckCertificateMatchesKey(*principal, peer); !s.ok()) return Answer(s);
  }
  return Answer(*std::move(principal));
}

absl::Status RequireRole(const Principal& principal, const std::vector<Role>& allowed,
                         absl::string_view method) {
  for (Role r : allowed) {
    if (principal.role == r) return absl::OkStatus();
  }
  return WithReason(absl::PermissionDeniedError(
                        absl::StrCat("role ", RoleName(principal.role), " may not call ", method)),
                    reason::kRoleNotAllowed);
}

const char* RoleName(Role role) {
  switch (role) {
    case Role::kMerchant:
      return "merchant";
    case Role::kIssuer:
      return "issuer";
    case Role::kAdmin:
      return "admin";
    case Role::kFinance:
      return "finance";
  }
  return "unknown";
}

std::string ParticipantUri(const Principal& principal) {
  if (principal.role == Role::kMerchant || principal.role == Role::kIssuer) {
    return absl::StrCat("loyalty:partner:", principal.partner_id);
  }
  return absl::StrCat("loyalty:", RoleName(principal.role));
}

std::string ActorName(const Principal& principal) {
  if (principal.role == Role::kMerchant || principal.role == Role::kIssuer) {
    return absl::StrCat("partner:", principal.partner_id);
  }
  if (principal.key_id.empty()) return RoleName(principal.role);
  return absl::StrCat(RoleName(principal.role), ":", principal.key_id);
}

}  // namespace loyalty
