// AnalyticsService: the analytics reports (hub/analytics/analytics.h) over gRPC. Every
// key may call it; what a partner key sees is limited by the engine (Viewer).
#ifndef LOYALTY_HUB_API_ANALYTICS_SERVICE_H_
#define LOYALTY_HUB_API_ANALYTICS_SERVICE_H_

#include "hub/analytics/analytics.h"
#include "hub/api/serve.h"
#include "loyalty/v1/analytics.grpc.pb.h"

namespace loyalty {

// REQUIRES: env.analytics is set.
class AnalyticsServiceImpl final : public v1::AnalyticsService::CallbackService {
 public:
  explicit AnalyticsServiceImpl(ServiceEnv env) : env_(std::move(env)) {}

  grpc::ServerUnaryReactor* GetPromotionEffect(grpc::CallbackServerContext* ctx,
                                               const v1::GetPromotionEffectRequest* req,
                                               v1::PromotionEffect* resp) override;
  grpc::ServerUnaryReactor* GetJoiningEffect(grpc::CallbackServerContext* ctx,
                                             const v1::GetJoiningEffectRequest* req,
                                             v1::JoiningEffect* resp) override;
  grpc::ServerUnaryReactor* GetSegments(grpc::CallbackServerContext* ctx,
                                        const v1::GetSegmentsRequest* req,
                                        v1::Segments* resp) override;
  grpc::ServerUnaryReactor* GetFlows(grpc::CallbackServerContext* ctx,
                                     const v1::GetFlowsRequest* req, v1::Flows* resp) override;

 private:
  template <typename Handler>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* ctx, const char* method,
                                  Handler handler) {
    return ServeUnary(ctx, env_, method,
                      {Role::kAdmin, Role::kFinance, Role::kMerchant, Role::kIssuer},
                      std::move(handler));
  }

  ServiceEnv env_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_ANALYTICS_SERVICE_H_
