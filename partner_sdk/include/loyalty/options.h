// How a client reaches the hub: address, credentials, deadlines, retries and the
// offline queue. One Options value configures one connection; it is copied into the
// connection when it is made, so changing it afterwards has no effect.
#ifndef LOYALTY_PARTNER_SDK_OPTIONS_H_
#define LOYALTY_PARTNER_SDK_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace loyalty::sdk {

// Transport security. Off = plaintext, which the hub accepts on loopback only.
struct TlsOptions {
  // Default: false (plaintext).
  bool enabled = false;
  // PEM file of the CA that signed the hub's certificate. Default: "" (system roots).
  std::string ca_file;
  // PEM client certificate chain and its private key for mutual TLS. Both or neither.
  // Default: "" (no client certificate).
  std::string cert_file;
  std::string key_file;
  // Overrides the name checked against the hub's certificate (tests, IP targets).
  // Default: "" (the host part of `target`).
  std::string server_name_override;
};

// Exponential backoff with jitter between attempts of one call. The k-th wait
// (k = 1, 2, ...) is drawn uniformly from [b/2, b] where
// b = min(max_backoff, initial_backoff * 2^(k-1)), and never runs past the call's
// total_timeout.
struct RetryPolicy {
  // Attempts per call, the first included; 1 = no retries. Limit: 1..100.
  // Default: 5.
  int max_attempts = 5;
  // Default: 100 ms.
  absl::Duration initial_backoff = absl::Milliseconds(100);
  // Default: 2 s.
  absl::Duration max_backoff = absl::Seconds(2);
  // Wall-clock budget of one call over all its attempts and waits. Default: 20 s.
  absl::Duration total_timeout = absl::Seconds(20);
};

// The wait the hub asked for before a retry, if `status` carries one: the hub sends it
// (a google.rpc.RetryInfo) with RESOURCE_EXHAUSTED when the caller's rate limit is
// exceeded. Errors the SDK returns keep it; the retry loops never wait less.
std::optional<absl::Duration> RetryAfter(const absl::Status& status);

// What a client reports before it waits to retry a call: for logs and metrics.
struct RetryEvent {
  std::string method;          // e.g. "Earn"
  std::string partner_txn_id;  // "" for calls without one
  int attempt = 0;             // the attempt that just failed, 1-based
  absl::Status status;         // why it failed
  absl::Duration backoff;      // how long the client waits before the next attempt
};

struct Options {
  // host:port of the hub (or of a load balancer in front of several); or several hubs:
  // a comma-separated list of IPv4 host:port, or dns:///name:port for every address of
  // a name. With several, calls are spread round robin over the hubs that answer and a
  // retry after a hub went away goes to another (with TLS, set tls.server_name_override).
  // Default: "127.0.0.1:50051".
  std::string target = "127.0.0.1:50051";
  TlsOptions tls;
  // The partner's (or operator's) API key, sent as `authorization: Bearer <key>`.
  // Read it from a file or the environment; never from a command-line flag.
  std::string api_key;
  // Deadline of each attempt. Every call has one. Default: 5 s.
  absl::Duration call_timeout = absl::Seconds(5);
  RetryPolicy retry;
  // Longest pause between the channel's reconnection attempts while the hub is down,
  // so a call notices a restarted hub quickly. Default: 1 s.
  absl::Duration max_reconnect_backoff = absl::Seconds(1);
  // SQLite file for store-and-forward of earns while the hub cannot be reached (see
  // partner_connection.h). Default: "" (off: such earns fail UNAVAILABLE).
  std::string offline_queue_path;
  // Most earns the offline queue holds; beyond it an earn fails UNAVAILABLE.
  // Default: 100000.
  int64_t max_queued_earns = 100'000;
  // Called (on the calling thread) before each wait between attempts. Must not block
  // for long and must not call back into the client. Default: none.
  std::function<void(const RetryEvent&)> on_retry;
};

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_OPTIONS_H_
