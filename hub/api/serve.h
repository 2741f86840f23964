// The shape every unary RPC of the hub shares: take the default reactor, authenticate
// (API key and, with mutual TLS, the client certificate), check the role and the
// caller's rate limit, run the handler, finish. A gRPC thread never blocks: work that
// waits for the database runs on the worker pool (RESOURCE_EXHAUSTED when it is full),
// and postings under group commit answer from the committer (ServePosting).
#ifndef LOYALTY_HUB_API_SERVE_H_
#define LOYALTY_HUB_API_SERVE_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <optional>
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
class Analytics;  // hub/analytics/analytics.h
class Members;    // hub/members/members.h

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
  // The analytics reports (AnalyticsService); nullptr = not served.
  Analytics* analytics = nullptr;
  // Members' own side and claims (MemberService, ClaimService); nullptr = not served.
  Members* members = nullptr;
  // Per-member request limits of MemberService (and per card for sign-in).
  RateLimiter* member_rate_limiter = nullptr;
};

// The domain of every google.rpc.ErrorInfo the hub sends (AIP-193).
inline constexpr char kErrorDomain[] = "loyalty.v1";

// The status a client sees: the code always, the message unless it is INTERNAL/UNKNOWN
// or UNAVAILABLE from the database (those carry database details, which only the log
// gets), and standard details (GrpcErrorDetails).
grpc::Status ToGrpcStatus(const absl::Status& s);

// The details of a failed `s` as a serialized google.rpc.Status: a google.rpc.ErrorInfo
// always (its stable reason, domain kErrorDomain, metadata), a google.rpc.BadRequest with
// the field for INVALID_ARGUMENT, and any google.rpc payload `s` carries (RetryInfo).
// "" for OK.
std::string GrpcErrorDetails(const absl::Status& s);

// RESOURCE_EXHAUSTED (reason HUB_AT_CAPACITY): the worker pool's queue is full.
absl::Status HubAtCapacity();

// One key=value log line for a finished call that failed.
void LogCallFailure(const char* method, const std::string& actor, const absl::Status& s);

// Reads `authorization` metadata ("" when absent).
std::string AuthorizationHeader(const grpc::CallbackServerContext* ctx);

// OK, or RESOURCE_EXHAUSTED with a retry delay when `caller` is over its rate limit.
absl::Status CheckRateLimit(const ServiceEnv& env, const Principal& caller);

// Adds the `retry-after-ms` trailer when `s` carries a retry delay. REQUIRES: before Finish.
void AddRetryAfterTrailer(grpc::CallbackServerContext* ctx, const absl::Status& s);

// Authentication's outcome checked further: the role and the caller's rate limit. Sets
// `actor` to the caller's name for the log once known.
absl::StatusOr<Principal> Admit(const ServiceEnv& env, absl::StatusOr<Principal> principal,
                                const std::vector<Role>& roles, const char* method,
                                std::string* actor);

// Ends a call: logs a failure, adds the retry trailer, finishes the reactor and tells the
// call tracker. Any thread.
void FinishCall(const ServiceEnv& env, grpc::CallbackServerContext* ctx,
                grpc::ServerUnaryReactor* reactor, const char* method, const std::string& actor,
                const absl::Status& status);

// Registers a new call with the tracker; false (and the call finished UNAVAILABLE) when
// the hub is shutting down.
bool EnterCall(const ServiceEnv& env, grpc::ServerUnaryReactor* reactor);

// Queues `work` on the worker pool, or finishes the call RESOURCE_EXHAUSTED when it is
// full. A call whose client gave up (deadline, cancel) while it waited for a worker is
// not started: nobody would hear its answer, and a retry runs it anyway.
void RunOnWorker(const ServiceEnv& env, grpc::CallbackServerContext* ctx,
                 grpc::ServerUnaryReactor* reactor, std::function<void()> work);

// Runs `handler(const Principal&) -> absl::Status` on a worker, as described above.
template <typename Handler>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* ctx, const ServiceEnv& env,
                                     const char* method, std::vector<Role> roles, Handler handler) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!EnterCall(env, reactor)) return reactor;
  std::string header = AuthorizationHeader(ctx);
  PeerIdentity peer = PeerIdentityOf(*ctx);  // the auth context is read on the gRPC thread
  RunOnWorker(env, ctx, reactor,
              [env, ctx, reactor, method, roles = std::move(roles), header = std::move(header),
               peer = std::move(peer), handler = std::move(handler)]() mutable {
                std::string actor = "anonymous";
                absl::StatusOr<Principal> caller =
                    Admit(env, env.auth->Authenticate(header, peer), roles, method, &actor);
                absl::Status status = caller.status();
                if (status.ok()) status = handler(*caller);
                FinishCall(env, ctx, reactor, method, actor, status);
              });
  return reactor;
}

// How a posting's handler ends its call; called once, from any thread.
using CallDone = std::function<void(absl::Status)>;

// The ledger's answer to a posting turned into the call's: `fill(posting)` writes the
// response when it posted, then `done` ends the call.
template <typename Fill>
Ledger::PostingDone Answer(CallDone done, Fill fill) {
  return [done = std::move(done), fill = std::move(fill)](absl::StatusOr<Posting> posted) {
    if (posted.ok()) fill(*posted);
    done(posted.status());
  };
}

// Runs `handler(const Principal&, CallDone done)` for a posting: the handler starts the
// ledger's posting and returns; the posting's answer calls done. With group commit
// (Ledger::PostsWithoutWaiting) and the caller's key in the authenticator's cache, all
// that comes before the batch runs on this gRPC thread and the committer that commits
// the batch finishes the call: two thread hops in all, and no thread waits for the
// database on the call's behalf. Otherwise (a key to read from the database, or one
// transaction per request) a worker runs it.
template <typename Handler>
grpc::ServerUnaryReactor* ServePosting(grpc::CallbackServerContext* ctx, const ServiceEnv& env,
                                       const char* method, std::vector<Role> roles,
                                       Handler handler) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (!EnterCall(env, reactor)) return reactor;
  std::string header = AuthorizationHeader(ctx);
  PeerIdentity peer = PeerIdentityOf(*ctx);
  auto run = [env, ctx, reactor, method, roles = std::move(roles),
              handler = std::move(handler)](absl::StatusOr<Principal> principal) mutable {
    std::string actor = "anonymous";
    absl::StatusOr<Principal> caller = Admit(env, std::move(principal), roles, method, &actor);
    CallDone done = [env, ctx, reactor, method, actor](absl::Status s) {
      FinishCall(env, ctx, reactor, method, actor, s);
    };
    if (!caller.ok()) return done(caller.status());
    handler(*caller, std::move(done));
  };
  if (env.ledger->PostsWithoutWaiting()) {
    if (std::optional<absl::StatusOr<Principal>> cached =
            env.auth->AuthenticateFromCache(header, peer)) {
      run(*std::move(cached));
      return reactor;
    }
  }
  RunOnWorker(env, ctx, reactor,
              [env, run = std::move(run), header = std::move(header),
               peer = std::move(peer)]() mutable { run(env.auth->Authenticate(header, peer)); });
  return reactor;
}

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_SERVE_H_
