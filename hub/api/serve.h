// The shape every unary RPC of the hub shares: take the default reactor, move the
// work to the worker pool (RESOURCE_EXHAUSTED when it is full), authenticate (API key
// and, with mutual TLS, the client certificate), check the role and the caller's rate
// limit, run the handler, finish. The reactor is never blocked.
#ifndef LOYALTY_HUB_API_SERVE_H_
#define LOYALTY_HUB_API_SERVE_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "hub/api/call_tracker.h"
#include "hub/api/rate_limiter.h"
#include "hub/api/worker_pool.h"
#include "hub/auth/authenticator.h"
#include "hub/auth/tls_peer.h"
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
  // Per-participant request limits; nullptr = none.
  RateLimiter* rate_limiter = nullptr;
  // Unary calls in flight, for a graceful shutdown; nullptr = not tracked.
  CallTracker* calls = nullptr;
};

// The status a client sees: the code always, the message unless it is INTERNAL/UNKNOWN
// or UNAVAILABLE (those carry database details, which only the log gets).
grpc::Status ToGrpcStatus(const absl::Status& s);

// One key=value log line for a finished call that failed.
void LogCallFailure(const char* method, const std::string& actor, const absl::Status& s);

// Reads `authorization` metadata ("" when absent).
std::string AuthorizationHeader(const grpc::CallbackServerContext* ctx);

// OK, or RESOURCE_EXHAUSTED with a retry delay when `caller` is over its rate limit.
absl::Status CheckRateLimit(const ServiceEnv& env, const Principal& caller);

// Adds the `retry-after-ms` trailer when `s` carries a retry delay. REQUIRES: before Finish.
void AddRetryAfterTrailer(grpc::CallbackServerContext* ctx, const absl::Status& s);

// Runs `handler(const Principal&) -> absl::Status` for the call as described above.
template <typename Handler>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* ctx, const ServiceEnv& env,
                                     const char* method, std::vector<Role> roles, Handler handler) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (env.calls != nullptr && !env.calls->Enter()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "hub is shutting down, retry"));
    return reactor;
  }
  std::string header = AuthorizationHeader(ctx);
  PeerIdentity peer = PeerIdentityOf(*ctx);  // the auth context is read on the gRPC thread
  const bool queued =
      env.pool->Submit([env, ctx, reactor, method, roles = std::move(roles),
                        header = std::move(header), peer = std::move(peer),
                        handler = std::move(handler)]() mutable {
        // A call whose client gave up (deadline, cancel) while it waited for a worker is
        // not started: nobody would hear its answer, and a retry runs it anyway.
        if (ctx->IsCancelled()) {
          reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while queued"));
          if (env.calls != nullptr) env.calls->Exit();
          return;
        }
        absl::StatusOr<Principal> principal = env.auth->Authenticate(header, peer);
        absl::Status status = principal.status();
        std::string actor = "anonymous";
        if (status.ok()) {
          actor = ActorName(*principal);
          status = RequireRole(*principal, roles, method);
        }
        if (status.ok()) status = CheckRateLimit(env, *principal);
        if (status.ok()) status = handler(*principal);
        if (!status.ok()) LogCallFailure(method, actor, status);
        AddRetryAfterTrailer(ctx, status);
        reactor->Finish(ToGrpcStatus(status));
        if (env.calls != nullptr) env.calls->Exit();
      });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "hub is at capacity, retry with backoff"));
    if (env.calls != nullptr) env.calls->Exit();
  }
  return reactor;
}

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_SERVE_H_
