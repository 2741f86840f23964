// AnalyticsClient: the program's reports (a promotion's effect, the effect of joining a
// partner, segments, flows of points between partners). A value type over an
// AnalyticsConnection, like PartnerClient; see analytics_connection.h for each call's
// contract and loyalty/v1/analytics.proto for every field.
//
//   auto conn = loyalty::sdk::MakeAnalyticsConnection(options);
//   loyalty::sdk::AnalyticsClient analytics(*conn);
//   loyalty::v1::GetSegmentsRequest req;
//   req.set_lookback_days(90);
//   absl::StatusOr<loyalty::v1::Segments> segments = analytics.GetSegments(req);
//
// Thread-safe.
#ifndef LOYALTY_PARTNER_SDK_ANALYTICS_CLIENT_H_
#define LOYALTY_PARTNER_SDK_ANALYTICS_CLIENT_H_

#include <memory>

#include "loyalty/analytics_connection.h"

namespace loyalty::sdk {

class AnalyticsClient {
 public:
  // REQUIRES: connection != nullptr.
  explicit AnalyticsClient(std::shared_ptr<AnalyticsConnection> connection);

  absl::StatusOr<v1::PromotionEffect> GetPromotionEffect(
      const v1::GetPromotionEffectRequest& request) {
    return conn_->GetPromotionEffect(request);
  }
  absl::StatusOr<v1::JoiningEffect> GetJoiningEffect(const v1::GetJoiningEffectRequest& request) {
    return conn_->GetJoiningEffect(request);
  }
  absl::StatusOr<v1::Segments> GetSegments(const v1::GetSegmentsRequest& request) {
    return conn_->GetSegments(request);
  }
  absl::StatusOr<v1::Flows> GetFlows(const v1::GetFlowsRequest& request) {
    return conn_->GetFlows(request);
  }

 private:
  std::shared_ptr<AnalyticsConnection> conn_;
};

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_ANALYTICS_CLIENT_H_
