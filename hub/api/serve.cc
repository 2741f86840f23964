#include "hub/api/serve.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "hub/common/error_reason.h"
#include "hub/common/status_macros.h"

namespace loyalty {
namespace {

constexpr absl::string_view kGoogleRpcTypePrefix = "type.googleapis.com/google.rpc.";

// What a client may see of `s`: database and internal details stay in the hub's log,
// not in a partner's terminal.
absl::Status Presentable(const absl::Status& s) {
  if (s.code() == absl::StatusCode::kInternal || s.code() == absl::StatusCode::kUnknown) {
    return absl::InternalError("internal error (logged by the hub)");
  }
  if (s.code() == absl::StatusCode::kUnavailable &&
      (AttachedReason(s).empty() || AttachedReason(s) == reason::kDatabaseUnavailable)) {
    return WithReason(
        absl::UnavailableError("the hub's database is unavailable; retry with the same id"),
        reason::kDatabaseUnavailable);
  }
  return s;
}

void Pack(const google::protobuf::Message& m, google::rpc::Status* out) {
  out->add_details()->PackFrom(m);
}

}  // namespace

std::string GrpcErrorDetails(const absl::Status& s) {
  if (s.ok()) return "";
  google::rpc::Status out;
  out.set_code(static_cast<int>(s.code()));
  out.set_message(std::string(s.message()));
  google::rpc::ErrorInfo info;
  info.set_reason(ReasonOf(s));
  info.set_domain(kErrorDomain);
  for (const auto& [key, value] : ReasonMetadata(s)) (*info.mutable_metadata())[key] = value;
  const std::string field = FieldOf(s);
  if (!field.empty()) info.mutable_metadata()->insert({"field", field});
  Pack(info, &out);
  if (s.code() == absl::StatusCode::kInvalidArgument) {
    google::rpc::BadRequest bad;
    google::rpc::BadRequest::FieldViolation* v = bad.add_field_violations();
    v->set_field(field);
    absl::string_view why = s.message();
    if (!v->field().empty()) absl::ConsumePrefix(&why, absl::StrCat(v->field(), ": "));
    v->set_description(std::string(why));
    Pack(bad, &out);
  }
  // Standard payloads the status already carries (RetryInfo) travel as they are.
  s.ForEachPayload([&out](absl::string_view type_url, const absl::Cord& value) {
    if (!absl::StartsWith(type_url, kGoogleRpcTypePrefix)) return;
    google::protobuf::Any* any = out.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(value));
  });
  return out.SerializeAsString();
}

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  const absl::Status shown = Presentable(s);
  // absl::StatusCode and grpc::StatusCode share their numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(shown.code()), std::string(shown.message()),
                      GrpcErrorDetails(shown));
}

absl::Status HubAtCapacity() {
  return WithReason(absl::ResourceExhaustedError("hub is at capacity, retry with backoff"),
                    reason::kHubAtCapacity);
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
  reactor->Finish(ToGrpcStatus(WithReason(absl::UnavailableError("hub is shutting down, retry"),
                                          reason::kHubShuttingDown)));
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
  reactor->Finish(ToGrpcStatus(HubAtCapacity()));
  if (env.calls != nullptr) env.calls->Exit();
}

std::string AuthorizationHeader(const grpc::CallbackServerContext* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace loyalty
