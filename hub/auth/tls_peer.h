// Reads what TLS proved about a gRPC caller (hub/auth's one gRPC dependency).
#ifndef LOYALTY_HUB_AUTH_TLS_PEER_H_
#define LOYALTY_HUB_AUTH_TLS_PEER_H_

#include <grpcpp/grpcpp.h>

#include "hub/auth/authenticator.h"

namespace loyalty {

// The participant URIs ("loyalty:..." URI SANs) of the caller's verified client
// certificate; empty for plaintext calls and TLS calls without a client certificate.
// Call it on a gRPC thread while the call is live (the reactor, before queueing work).
PeerIdentity PeerIdentityOf(const grpc::ServerContextBase& ctx);

}  // namespace loyalty

#endif  // LOYALTY_HUB_AUTH_TLS_PEER_H_
