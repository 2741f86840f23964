// The one place a call meets the network: deadlines, credentials, retries with backoff.
#ifndef LOYALTY_PARTNER_SDK_SRC_CALL_RUNNER_H_
#define LOYALTY_PARTNER_SDK_SRC_CALL_RUNNER_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loyalty/options.h"

namespace loyalty::sdk::internal {

// The gRPC status as an absl::Status with the same code and message (the codes map
// one to one), and the hub's RetryInfo detail as a payload (see RetryAfter).
absl::Status FromGrpc(const grpc::Status& s);

// `s` with `message` instead of its own, payloads kept.
absl::Status WithMessage(const absl::Status& s, absl::string_view message);

// The wait before the next attempt: the jittered backoff, or longer if the hub asked.
absl::Duration RetryWait(const RetryPolicy& policy, int attempt, const absl::Status& failure);

// UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED: the request may not have
// been carried out, and repeating it with the same idempotency key is safe.
bool IsRetryable(absl::StatusCode code);

// UNAVAILABLE or DEADLINE_EXCEEDED: the hub could not be reached (or did not answer).
bool IsUnreachable(absl::StatusCode code);

// "1.2.3.4:50051": one entry of a list of hubs.
bool IsIpv4HostPort(absl::string_view entry);
// Checks the options a connection needs; INVALID_ARGUMENT naming the option.
absl::Status ValidateOptions(const Options& o);

// One channel for every call of a connection. NOT_FOUND for an unreadable TLS file.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const Options& o);

// What one call is, for retries and the retry observer.
struct CallSpec {
  const char* method = "";
  std::string partner_txn_id;
  // False for calls without an idempotency key: they are tried exactly once.
  bool retryable = true;
};

// Runs attempts of a call. Thread-safe (const; the options are copied at construction).
class CallRunner {
 public:
  CallRunner(Options options, std::shared_ptr<grpc::Channel> channel)
      : options_(std::move(options)), channel_(std::move(channel)) {}

  // Calls `attempt` with a fresh context (deadline and key set) until it succeeds, fails
  // with a status that is not retryable, or `policy` runs out. Returns the last status;
  // after more than one attempt its message says how many were made.
  absl::Status Run(const CallSpec& spec, const RetryPolicy& policy,
                   const std::function<grpc::Status(grpc::ClientContext*)>& attempt) const;

  // One unary call of `stub` by Run, with the options' retry policy: the response is
  // cleared before each attempt, so a failed attempt leaves nothing in the result.
  template <typename Stub, typename Req, typename Resp>
  absl::StatusOr<Resp> Unary(const CallSpec& spec, Stub* stub,
                             grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                             const Req& req) const {
    Resp resp;
    absl::Status status = Run(spec, options_.retry, [&](grpc::ClientContext* ctx) {
      resp.Clear();
      return (stub->*method)(ctx, req, &resp);
    });
    if (!status.ok()) return status;
    return resp;
  }

  // Readies `ctx` for a stream: reconnects a channel that was down (bounded by
  // call_timeout) and sets the key. No deadline: a stream's caller watches its progress.
  void PrepareStream(grpc::ClientContext* ctx) const;

  const Options& options() const { return options_; }

 private:
  void ReconnectIfDown(absl::Time deadline) const;
  void Prepare(grpc::ClientContext* ctx, absl::Time deadline) const;

  const Options options_;
  const std::shared_ptr<grpc::Channel> channel_;
};

// The jittered wait after the `attempt`-th failure (1-based): uniform in [b/2, b],
// b = min(max_backoff, initial_backoff * 2^(attempt-1)).
absl::Duration Backoff(const RetryPolicy& policy, int attempt);

}  // namespace loyalty::sdk::internal

#endif  // LOYALTY_PARTNER_SDK_SRC_CALL_RUNNER_H_
