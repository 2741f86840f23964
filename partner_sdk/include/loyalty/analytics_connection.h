// The interface behind AnalyticsClient: one method per AnalyticsService call (did the
// program work?). MakeAnalyticsConnection() returns the real one;
// loyalty/mocks/mock_analytics_connection.h a mock.
//
// The requests and reports are the generated messages of loyalty/v1/analytics.proto
// (installed with the SDK), as google-cloud-cpp's generated clients take and return
// protos: the reports are wide and grow with the hub, and a second copy of every field
// as an SDK struct would only drift. The proto's comments define every field.
//
// Contract: every call has a deadline and returns the hub's status code unchanged. Every
// call is a read, so every call is retried like the other reads (Options::retry).
// Every key role may call: operator keys (admin, finance) see everything; a partner key
// sees member-level figures about its own tills only, and coalition-wide cells over
// fewer than `min_cell_members` members come back with `suppressed` set and zeros.
// Errors: INVALID_ARGUMENT naming the request field; PERMISSION_DENIED (naming the field)
// when a partner key asks about another partner; NOT_FOUND for an unknown promotion.
//
// Thread-safety: every method may be called from many threads at once.
#ifndef LOYALTY_PARTNER_SDK_ANALYTICS_CONNECTION_H_
#define LOYALTY_PARTNER_SDK_ANALYTICS_CONNECTION_H_

#include <memory>

#include "absl/status/statusor.h"
#include "loyalty/options.h"
#include "loyalty/v1/analytics.pb.h"

namespace loyalty::sdk {

class AnalyticsConnection {
 public:
  virtual ~AnalyticsConnection() = default;

  // Difference in differences of a promotion at one partner, with a bootstrap interval.
  // NOT_FOUND promotion_id for an unknown promotion.
  virtual absl::StatusOr<v1::PromotionEffect> GetPromotionEffect(
      const v1::GetPromotionEffectRequest& request) = 0;
  // Visits and spend before and after members' first earn at a partner, and retention
  // by monthly cohort. An operator key must name the partner (INVALID_ARGUMENT
  // partner_id otherwise).
  virtual absl::StatusOr<v1::JoiningEffect> GetJoiningEffect(
      const v1::GetJoiningEffectRequest& request) = 0;
  // RFM cells, the concentration curve, tiers and members at risk.
  virtual absl::StatusOr<v1::Segments> GetSegments(const v1::GetSegmentsRequest& request) = 0;
  // Points earned at one partner and redeemed at another per month, redemption and
  // breakage per funder, points outstanding by expiry month.
  virtual absl::StatusOr<v1::Flows> GetFlows(const v1::GetFlowsRequest& request) = 0;
};

// Makes the gRPC connection; errors as MakePartnerConnection(). The offline queue
// options are ignored: reports are never queued.
absl::StatusOr<std::shared_ptr<AnalyticsConnection>> MakeAnalyticsConnection(Options options);

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_ANALYTICS_CONNECTION_H_
