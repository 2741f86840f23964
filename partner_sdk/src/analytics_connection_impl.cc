// The real AnalyticsConnection: gRPC to the hub's AnalyticsService. Every call is a
// read: retried with the connection's policy.
#include <cassert>
#include <memory>
#include <utility>

#include "call_runner.h"
#include "hub/common/status_macros.h"
#include "loyalty/analytics_client.h"
#include "loyalty/analytics_connection.h"
#include "loyalty/v1/analytics.grpc.pb.h"

namespace loyalty::sdk::internal {
namespace {

class AnalyticsConnectionImpl : public AnalyticsConnection {
 public:
  AnalyticsConnectionImpl(Options options, const std::shared_ptr<grpc::Channel>& channel)
      : runner_(std::move(options), channel), stub_(v1::AnalyticsService::NewStub(channel)) {}

  absl::StatusOr<v1::PromotionEffect> GetPromotionEffect(
      const v1::GetPromotionEffectRequest& request) override {
    return Read("GetPromotionEffect", &Stub::GetPromotionEffect, request);
  }

  absl::StatusOr<v1::JoiningEffect> GetJoiningEffect(
      const v1::GetJoiningEffectRequest& request) override {
    return Read("GetJoiningEffect", &Stub::GetJoiningEffect, request);
  }

  absl::StatusOr<v1::Segments> GetSegments(const v1::GetSegmentsRequest& request) override {
    return Read("GetSegments", &Stub::GetSegments, request);
  }

  absl::StatusOr<v1::Flows> GetFlows(const v1::GetFlowsRequest& request) override {
    return Read("GetFlows", &Stub::GetFlows, request);
  }

 private:
  using Stub = v1::AnalyticsService::Stub;

  // A read: repeating it cannot do a second thing, so it is retryable.
  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Read(const char* name,
                            grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                            const Req& request) {
    return runner_.Unary(CallSpec{name, "", /*retryable=*/true}, stub_.get(), method, request);
  }

  const CallRunner runner_;
  const std::unique_ptr<Stub> stub_;
};

}  // namespace
}  // namespace loyalty::sdk::internal

namespace loyalty::sdk {

absl::StatusOr<std::shared_ptr<AnalyticsConnection>> MakeAnalyticsConnection(Options options) {
  RETURN_IF_ERROR(internal::ValidateOptions(options));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, internal::MakeChannel(options));
  return std::shared_ptr<AnalyticsConnection>(
      new internal::AnalyticsConnectionImpl(std::move(options), channel));
}

AnalyticsClient::AnalyticsClient(std::shared_ptr<AnalyticsConnection> connection)
    : conn_(std::move(connection)) {
  assert(conn_ != nullptr);
}

}  // namespace loyalty::sdk
