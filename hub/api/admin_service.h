// AdminService: the operator's administration API, translated to Ledger calls. Admin
// keys may call every method; finance keys may also list partners.
#ifndef LOYALTY_HUB_API_ADMIN_SERVICE_H_
#define LOYALTY_HUB_API_ADMIN_SERVICE_H_

#include "hub/api/serve.h"
#include "loyalty/v1/admin.grpc.pb.h"

namespace loyalty {

class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  explicit AdminServiceImpl(ServiceEnv env) : env_(std::move(env)) {}

  grpc::ServerUnaryReactor* RegisterPartner(grpc::CallbackServerContext* ctx,
                                            const v1::RegisterPartnerRequest* req,
                                            v1::RegisterPartnerResponse* resp) override;
  grpc::ServerUnaryReactor* ListPartners(grpc::CallbackServerContext* ctx,
                                         const v1::ListPartnersRequest* req,
                                         v1::ListPartnersResponse* resp) override;
  grpc::ServerUnaryReactor* SuspendPartner(grpc::CallbackServerContext* ctx,
                                           const v1::SuspendPartnerRequest* req,
                                           v1::SuspendPartnerResponse* resp) override;
  grpc::ServerUnaryReactor* RotateApiKey(grpc::CallbackServerContext* ctx,
                                         const v1::RotateApiKeyRequest* req,
                                         v1::RotateApiKeyResponse* resp) override;
  grpc::ServerUnaryReactor* SetProgram(grpc::CallbackServerContext* ctx,
                                       const v1::SetProgramRequest* req,
                                       v1::SetProgramResponse* resp) override;
  grpc::ServerUnaryReactor* GetProgram(grpc::CallbackServerContext* ctx,
                                       const v1::GetProgramRequest* req,
                                       v1::Program* resp) override;
  grpc::ServerUnaryReactor* IssueBearerCards(grpc::CallbackServerContext* ctx,
                                             const v1::IssueBearerCardsRequest* req,
                                             v1::IssueBearerCardsResponse* resp) override;
  grpc::ServerUnaryReactor* IssueMemberToken(grpc::CallbackServerContext* ctx,
                                             const v1::IssueMemberTokenRequest* req,
                                             v1::IssueMemberTokenResponse* resp) override;
  grpc::ServerUnaryReactor* AdjustPoints(grpc::CallbackServerContext* ctx,
                                         const v1::AdjustPointsRequest* req,
                                         v1::AdjustPointsResponse* resp) override;
  grpc::ServerUnaryReactor* RunExpiry(grpc::CallbackServerContext* ctx,
                                      const v1::RunExpiryRequest* req,
                                      v1::RunExpiryResponse* resp) override;
  grpc::ServerUnaryReactor* CreateOperatorKey(grpc::CallbackServerContext* ctx,
                                              const v1::CreateOperatorKeyRequest* req,
                                              v1::CreateOperatorKeyResponse* resp) override;
  grpc::ServerUnaryReactor* SetBankEarnRules(grpc::CallbackServerContext* ctx,
                                             const v1::SetBankEarnRulesRequest* req,
                                             v1::SetBankEarnRulesResponse* resp) override;
  grpc::ServerUnaryReactor* GetBankEarnRules(grpc::CallbackServerContext* ctx,
                                             const v1::GetBankEarnRulesRequest* req,
                                             v1::BankEarnRules* resp) override;

  grpc::ServerUnaryReactor* SetTiers(grpc::CallbackServerContext* ctx,
                                     const v1::SetTiersRequest* req, v1::SetTiersResponse* resp) override;
  grpc::ServerUnaryReactor* ListTiers(grpc::CallbackServerContext* ctx,
                                     const v1::ListTiersRequest* req, v1::ListTiersResponse* resp) override;
  grpc::ServerUnaryReactor* RunTierReview(grpc::CallbackServerContext* ctx,
                                     const v1::RunTierReviewRequest* req, v1::RunTierReviewResponse* resp) override;
  grpc::ServerUnaryReactor* CreatePromotion(grpc::CallbackServerContext* ctx,
                                     const v1::CreatePromotionRequest* req, v1::Promotion* resp) override;
  grpc::ServerUnaryReactor* ListPromotions(grpc::CallbackServerContext* ctx,
                                     const v1::ListPromotionsRequest* req, v1::ListPromotionsResponse* resp) override;
  grpc::ServerUnaryReactor* EndPromotion(grpc::CallbackServerContext* ctx,
                                     const v1::EndPromotionRequest* req, v1::Promotion* resp) override;
  grpc::ServerUnaryReactor* ListExpiringPoints(grpc::CallbackServerContext* ctx,
                                     const v1::ListExpiringPointsRequest* req, v1::ListExpiringPointsResponse* resp) override;
  grpc::ServerUnaryReactor* UnlockMemberPin(grpc::CallbackServerContext* ctx,
                                     const v1::UnlockMemberPinRequest* req, v1::UnlockMemberPinResponse* resp) override;
  grpc::ServerUnaryReactor* ListAuditLog(grpc::CallbackServerContext* ctx,
                                         const v1::ListAuditLogRequest* req,
                                         v1::ListAuditLogResponse* resp) override;

 private:
  template <typename Handler>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* ctx, const char* method,
                                  Handler handler) {
    return ServeUnary(ctx, env_, method, {Role::kAdmin}, std::move(handler));
  }

  const ServiceEnv env_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_ADMIN_SERVICE_H_
