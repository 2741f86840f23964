#include "hub/api/serve.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "hub/common/status_macros.h"

namespace loyalty {

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  // Database and internal details stay in the hub's log, not in a partner's terminal.
  if (s.code() == absl::StatusCode::kInternal || s.code() == absl::StatusCode::kUnknown) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error (logged by the hub)");
  }
  if (s.code() == absl::StatusCode::kUnavailable) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the hub's database is unavailable; retry with the same id");
  }
  // absl::StatusCode and grpc::StatusCode share their numbering; details carry RetryInfo.
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()),
                      GrpcErrorDetails(s));
}

void LogCallFailure(const char* method, const std::string& actor, const absl::Status& s) {
  // Messages name fields, never keys or card numbers' owners; quotes keep one line.
  const std::string msg = absl::StrReplaceAll(s.message(), {{"\n", " "}, {"\"", "'"}});
  std::fprintf(stderr, "event=call_failed method=%s actor=%s code=%s msg=\"%s\"\n", method,
               actor.c_str(), absl::StatusCodeToString(s.code()).c_str(), msg.c_str());
  std::fflush(stderr);
}

absl::Status CheckRateLimit(const ServiceEnv& env, const Principal& caller) {
  if (env.rate_limiter == nullptr) return absl::OkStatus();
  return env.rate_limiter->Admit(caller.partner_id);
}

void AddRetryAfterTrailer(grpc::CallbackServerContext* ctx, const absl::Status& s) {
  std::optional<absl::Duration> delay = RetryDelayOf(s);
  if (!delay.has_value()) return;
  // Rounded up: a client that waits this long finds a token.
  const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(*delay, absl::Milliseconds(1)));
  ctx->AddTrailingMetadata(kRetryAfterMsKey, absl::StrCat(ms));
}

absl::StatusOr<Principal> Admit(const ServiceEnv& env, absl::StatusOr<Principal> principal,
                                const std::vector<Role>& roles, const char* method,
                                std::string* actor) {
  if (!principal.ok()) return principal;
  *actor = ActorName(*principal);
  RETURN_IF_ERROR(RequireRole(*principal, roles, method));
  RETURN_IF_ERROR(CheckRateLimit(env, *principal));
  return principal;
}

void FinishCall(const ServiceEnv& env, grpc::CallbackServerContext* ctx,
                grpc::ServerUnaryReactor* reactor, const char* method, const std::string& actor,
                const absl::Status& status) {
  if (!status.ok()) LogCallFailure(method, actor, status);
  AddRetryAfterTrailer(ctx, status);
  reactor->Finish(ToGrpcStatus(status));
  if (env.calls != nullptr) env.calls->Exit();
}

bool EnterCall(const ServiceEnv& env, grpc::ServerUnaryReactor* reactor) {
  if (env.calls == nullptr || env.calls->Enter()) return true;
  reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "hub is shutting down, retry"));
  return false;
}

void RunOnWorker(const ServiceEnv& env, grpc::CallbackServerContext* ctx,
                 grpc::ServerUnaryReactor* reactor, std::function<void()> work) {
  const bool queued = env.pool->Submit([env, ctx, reactor, work = std::move(work)] {
    if (ctx->IsCancelled()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while queued"));
      if (env.calls != nullptr) env.calls->Exit();
      return;
    }
    work();
  });
  if (queued) return;
  reactor->Finish(
      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "hub is at capacity, retry with backoff"));
  if (env.calls != nullptr) env.calls->Exit();
}

std::string AuthorizationHeader(const grpc::CallbackServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace loyalty
