#include "call_runner.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace loyalty::sdk::internal {
namespace {

constexpr int kMaxAttemptsLimit = 100;
constexpr char kRetryInfoTypeUrl[] = "type.googleapis.com/google.rpc.RetryInfo";
constexpr absl::string_view kGoogleRpcTypePrefix = "type.googleapis.com/google.rpc.";
// How long an attempt waits for a reconnection to a hub that was down (see
// ReconnectIfDown): a local connect takes milliseconds, a refused one ends the wait.
constexpr absl::Duration kReconnectProbe = absl::Milliseconds(250);

absl::StatusOr<std::string> ReadPem(const std::string& option, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(option, ": cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const TlsOptions& tls) {
  if (!tls.enabled) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  if (!tls.ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem("tls.ca_file", tls.ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
  }
  if (!tls.cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadPem("tls.cert_file", tls.cert_file);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem("tls.key_file", tls.key_file);
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *cert;
    ssl.pem_private_key = *key;
  }
  return grpc::SslCredentials(ssl);
}

// A per-thread generator: jitter needs no cryptographic quality, only independence
// between tills so they do not retry in lockstep after an outage.
std::mt19937_64& JitterRng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& s) {
  absl::Status out(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  google::rpc::Status details;
  if (out.ok() || s.error_details().empty() || !details.ParseFromString(s.error_details())) {
    return out;
  }
  // Every standard detail (RetryInfo, ErrorInfo, BadRequest) stays on the status as a
  // payload under its type URL: RetryAfter and error_details.h read them back.
  for (const google::protobuf::Any& any : details.details()) {
    if (absl::StartsWith(any.type_url(), kGoogleRpcTypePrefix)) {
      out.SetPayload(any.type_url(), absl::Cord(any.value()));
    }
  }
  return out;
}

absl::Status WithMessage(const absl::Status& s, absl::string_view message) {
  absl::Status out(s.code(), message);
  s.ForEachPayload([&out](absl::string_view type_url, const absl::Cord& value) {
    out.SetPayload(type_url, value);
  });
  return out;
}

absl::Duration RetryWait(const RetryPolicy& policy, int attempt, const absl::Status& failure) {
  return std::max(Backoff(policy, attempt), RetryAfter(failure).value_or(absl::ZeroDuration()));
}

bool IsRetryable(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded ||
         code == absl::StatusCode::kResourceExhausted || code == absl::StatusCode::kAborted;
}

bool IsUnreachable(absl::StatusCode code) {
  return code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded;
}

absl::Status ValidateOptions(const Options& o) {
  auto bad = [](const char* option, const char* why) {
    return absl::InvalidArgumentError(absl::StrCat(option, ": ", why));
  };
  if (o.target.empty()) return bad("target", "must be host:port");
  if (o.call_timeout <= absl::ZeroDuration()) return bad("call_timeout", "must be > 0");
  if (o.retry.max_attempts < 1 || o.retry.max_attempts > kMaxAttemptsLimit) {
    return bad("retry.max_attempts", "must be 1..100");
  }
  if (o.retry.initial_backoff <= absl::ZeroDuration() ||
      o.retry.max_backoff < o.retry.initial_backoff) {
    return bad("retry.initial_backoff", "must be > 0 and <= retry.max_backoff");
  }
  if (o.retry.total_timeout <= absl::ZeroDuration()) {
    return bad("retry.total_timeout", "must be > 0");
  }
  if (o.max_reconnect_backoff <= absl::ZeroDuration()) {
    return bad("max_reconnect_backoff", "must be > 0");
  }
  if (o.tls.cert_file.empty() != o.tls.key_file.empty()) {
    return bad("tls.cert_file", "a client certificate needs both cert_file and key_file");
  }
  if (o.max_queued_earns < 1) return bad("max_queued_earns", "must be >= 1");
  if (o.target.find(',') != std::string::npos) {
    for (absl::string_view entry : absl::StrSplit(o.target, ',')) {
      if (!IsIpv4HostPort(entry)) {
        return bad("target",
                   "a list of hubs is IPv4 host:port entries (1.2.3.4:50051,...); for names "
                   "use dns:///name:port, which spreads over every address of the name");
      }
    }
    if (o.tls.enabled && o.tls.server_name_override.empty()) {
      return bad("tls.server_name_override",
                 "a list of hubs over TLS needs the name their certificates carry");
    }
  }
  return absl::OkStatus();
}

bool IsIpv4HostPort(absl::string_view entry) {
  const size_t colon = entry.rfind(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == entry.size()) return false;
  int port = 0;
  if (!absl::SimpleAtoi(entry.substr(colon + 1), &port) || port < 1 || port > 65535) {
    return false;
  }
  std::vector<absl::string_view> parts = absl::StrSplit(entry.substr(0, colon), '.');
  if (parts.size() != 4) return false;
  for (absl::string_view p : parts) {
    int v = 0;
    if (p.empty() || p.size() > 3 || !absl::SimpleAtoi(p, &v) || v > 255) return false;
  }
  return true;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const Options& o) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds = Credentials(o.tls);
  if (!creds.ok()) return creds.status();
  grpc::ChannelArguments args;
  // gRPC's default reconnect backoff grows to 120 s; a till must notice a restarted hub
  // within seconds, so the cap is an option.
  const int max_ms = static_cast<int>(absl::ToInt64Milliseconds(o.max_reconnect_backoff));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(100, max_ms));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, std::min(100, max_ms));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, max_ms);
  if (!o.tls.server_name_override.empty()) {
    args.SetSslTargetNameOverride(o.tls.server_name_override);
  }
  // Several hubs (a list, or every address of a dns:/// name): calls are spread round
  // robin over those that answer, and a hub that goes away is skipped (a call on it
  // fails UNAVAILABLE and its retry goes to another).
  std::string target = o.target;
  if (target.find(',') != std::string::npos) target = absl::StrCat("ipv4:", target);
  if (target != o.target || absl::StartsWith(target, "dns:")) {
    args.SetLoadBalancingPolicyName("round_robin");
  }
  return grpc::CreateCustomChannel(target, *creds, args);
}

absl::Duration Backoff(const RetryPolicy& policy, int attempt) {
  absl::Duration b = policy.initial_backoff;
  for (int i = 1; i < attempt && b < policy.max_backoff; ++i) b *= 2;
  b = std::min(b, policy.max_backoff);
  const int64_t high = absl::ToInt64Microseconds(b);
  std::uniform_int_distribution<int64_t> dist(high / 2, high);
  return absl::Microseconds(dist(JitterRng()));
}

void CallRunner::ReconnectIfDown(absl::Time deadline) const {
  if (channel_->GetState(false) != GRPC_CHANNEL_TRANSIENT_FAILURE) return;
  // A channel that failed to connect fails calls at once until its reconnect backoff
  // ends, and reports TRANSIENT_FAILURE until it is connected again. Each attempt tries
  // the hub itself instead: reconnect now and give that a short, bounded moment, so a
  // call made just after the hub came back reaches it while a down hub still fails fast.
  grpc::experimental::ChannelResetConnectionBackoff(channel_.get());
  channel_->WaitForConnected(absl::ToChronoTime(std::min(deadline, absl::Now() + kReconnectProbe)));
}

void CallRunner::Prepare(grpc::ClientContext* ctx, absl::Time deadline) const {
  ReconnectIfDown(deadline);
  ctx->set_deadline(absl::ToChronoTime(deadline));
  if (!options_.api_key.empty()) {
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", options_.api_key));
  }
}

void CallRunner::PrepareStream(grpc::ClientContext* ctx) const {
  ReconnectIfDown(absl::Now() + options_.call_timeout);
  if (!options_.api_key.empty()) {
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", options_.api_key));
  }
}

absl::Status CallRunner::Run(
    const CallSpec& spec, const RetryPolicy& policy,
    const std::function<grpc::Status(grpc::ClientContext*)>& attempt) const {
  const absl::Time give_up = absl::Now() + policy.total_timeout;
  for (int n = 1;; ++n) {
    grpc::ClientContext ctx;
    Prepare(&ctx, std::min(absl::Now() + options_.call_timeout, give_up));
    absl::Status status = FromGrpc(attempt(&ctx));
    if (status.ok() || !spec.retryable || !IsRetryable(status.code())) return status;
    const absl::Duration wait = RetryWait(policy, n, status);
    if (n >= policy.max_attempts || absl::Now() + wait >= give_up) {
      if (n == 1) return status;
      return WithMessage(status, absl::StrCat(status.message(), " (after ", n, " attempts)"));
    }
    if (options_.on_retry) {
      options_.on_retry(RetryEvent{spec.method, spec.partner_txn_id, n, status, wait});
    }
    absl::SleepFor(wait);
  }
}

}  // namespace loyalty::sdk::internal

namespace loyalty::sdk {

std::optional<absl::Duration> RetryAfter(const absl::Status& status) {
  auto payload = status.GetPayload(internal::kRetryInfoTypeUrl);  // absl::optional here
  google::rpc::RetryInfo info;
  if (!payload.has_value() || !info.ParseFromString(std::string(*payload))) return std::nullopt;
  return absl::Seconds(info.retry_delay().seconds()) +
         absl::Nanoseconds(info.retry_delay().nanos());
}

}  // namespace loyalty::sdk
