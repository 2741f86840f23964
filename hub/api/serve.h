// The shape every unary RPC of the hub shares: take the default reactor, move the
// work to the worker pool (RESOURCE_EXHAUSTED when it is full), authenticate, check
// the role, run the handler, finish. The reactor is never blocked.
#ifndef LOYALTY_HUB_API_SERVE_H_
#define LOYALTY_HUB_API_SERVE_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "hub/api/worker_pool.h"
#include "hub/auth/authenticator.h"
#include "hub/ledger/bank_ledger.h"
#include "hub/ledger/ledger.h"

namespace loyalty {

// What the services need; owned by the server. REQUIRES: all outlive the services.
struct ServiceEnv {
  Ledger* ledger = nullptr;
  Authenticator* auth = nullptr;
  WorkerPool* pool = nullptr;
  BankLedger* bank = nullptr;
  // Key of the HMAC that replaces a card PAN at once; empty = PANs are refused.
  std::string pan_hmac_key;
};

// The status a client sees: the code always, the message unless it is INTERNAL/UNKNOWN
// or UNAVAILABLE (those carry database details, which only the log gets).
grpc::Status ToGrpcStatus(const absl::Status& s);

// One key=value log line for a finished call that failed.
void LogCallFailure(const char* method, const std::string& actor, const absl::Status& s);

// Reads `authorization` metadata ("" when absent).
std::string AuthorizationHeader(const grpc::CallbackServerContext* ctx);

// Runs `handler(const Principal&) -> absl::Status` for the call as described above.
template <typename Handler>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* ctx, const ServiceEnv& env,
                                     const char* method, std::vector<Role> roles, Handler handler) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  std::string header = AuthorizationHeader(ctx);
  const bool queued =
      env.pool->Submit([env, reactor, method, roles = std::move(roles), header = std::move(header),
                        handler = std::move(handler)]() mutable {
        absl::StatusOr<Principal> principal = env.auth->Authenticate(header);
        absl::Status status = principal.status();
        std::string actor = "anonymous";
        if (status.ok()) {
          actor = ActorName(*principal);
          status = RequireRole(*principal, roles, method);
        }
        if (status.ok()) status = handler(*principal);
        if (!status.ok()) LogCallFailure(method, actor, status);
        reactor->Finish(ToGrpcStatus(status));
      });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "hub is at capacity, retry with backoff"));
  }
  return reactor;
}

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_SERVE_H_
