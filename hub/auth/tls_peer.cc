#include "hub/auth/tls_peer.h"

#include <grpc/grpc_security_constants.h>

#include <algorithm>
#include <string>

#include "absl/strings/match.h"

namespace loyalty {

PeerIdentity PeerIdentityOf(const grpc::ServerContextBase& ctx) {
  PeerIdentity peer;
  std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return peer;
  for (const grpc::string_ref& value : auth->FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
    std::string uri(value.data(), value.size());
    if (!absl::StartsWith(uri, "loyalty:")) continue;
    if (std::find(peer.participant_uris.begin(), peer.participant_uris.end(), uri) ==
        peer.participant_uris.end()) {
      peer.participant_uris.push_back(std::move(uri));
    }
  }
  return peer;
}

}  // namespace loyalty
