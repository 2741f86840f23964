// PartnerService: translates the partner API to Ledger calls. Merchant and issuer keys
// may call it; the caller's partner id comes from its key, never from the request.
#ifndef LOYALTY_HUB_API_PARTNER_SERVICE_H_
#define LOYALTY_HUB_API_PARTNER_SERVICE_H_

#include "hub/api/serve.h"
#include "loyalty/v1/partner.grpc.pb.h"

namespace loyalty {

class PartnerServiceImpl final : public v1::PartnerService::CallbackService {
 public:
  explicit PartnerServiceImpl(ServiceEnv env) : env_(std::move(env)) {}

  grpc::ServerUnaryReactor* EnrollMember(grpc::CallbackServerContext* ctx,
                                         const v1::EnrollMemberRequest* req,
                                         v1::EnrollMemberResponse* resp) override;
  grpc::ServerUnaryReactor* LinkCard(grpc::CallbackServerContext* ctx,
                                     const v1::LinkCardRequest* req,
                                     v1::LinkCardResponse* resp) override;
  grpc::ServerUnaryReactor* RegisterBearerCard(grpc::CallbackServerContext* ctx,
                                               const v1::RegisterBearerCardRequest* req,
                                               v1::RegisterBearerCardResponse* resp) override;
  grpc::ServerUnaryReactor* GetBalance(grpc::CallbackServerContext* ctx,
                                       const v1::GetBalanceRequest* req,
                                       v1::Balance* resp) override;
  grpc::ServerUnaryReactor* QuoteEarn(grpc::CallbackServerContext* ctx,
                                      const v1::QuoteEarnRequest* req,
                                      v1::QuoteEarnResponse* resp) override;
  grpc::ServerUnaryReactor* Earn(grpc::CallbackServerContext* ctx, const v1::EarnRequest* req,
                                 v1::EarnResponse* resp) override;
  grpc::ServerUnaryReactor* Redeem(grpc::CallbackServerContext* ctx, const v1::RedeemRequest* req,
                                   v1::RedeemResponse* resp) override;
  grpc::ServerUnaryReactor* AuthorizeRedemption(grpc::CallbackServerContext* ctx,
                                                const v1::AuthorizeRedemptionRequest* req,
                                                v1::AuthorizeRedemptionResponse* resp) override;
  grpc::ServerUnaryReactor* CaptureRedemption(grpc::CallbackServerContext* ctx,
                                              const v1::CaptureRedemptionRequest* req,
                                              v1::CaptureRedemptionResponse* resp) override;
  grpc::ServerUnaryReactor* VoidRedemption(grpc::CallbackServerContext* ctx,
                                           const v1::VoidRedemptionRequest* req,
                                           v1::VoidRedemptionResponse* resp) override;
  grpc::ServerUnaryReactor* Reverse(grpc::CallbackServerContext* ctx, const v1::ReverseRequest* req,
                                    v1::ReverseResponse* resp) override;
  grpc::ServerUnaryReactor* ListTransactions(grpc::CallbackServerContext* ctx,
                                             const v1::ListTransactionsRequest* req,
                                             v1::ListTransactionsResponse* resp) override;
  grpc::ServerUnaryReactor* SetMemberPin(grpc::CallbackServerContext* ctx,
                                         const v1::SetMemberPinRequest* req,
                                         v1::SetMemberPinResponse* resp) override;
  grpc::ServerUnaryReactor* GetProgramRules(grpc::CallbackServerContext* ctx,
                                            const v1::GetProgramRulesRequest* req,
                                            v1::ProgramRules* resp) override;
  grpc::ServerUnaryReactor* RegisterMerchantId(grpc::CallbackServerContext* ctx,
                                               const v1::RegisterMerchantIdRequest* req,
                                               v1::RegisterMerchantIdResponse* resp) override;

 private:
  template <typename Handler>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* ctx, const char* method,
                                  Handler handler) {
    return ServeUnary(ctx, env_, method, {Role::kMerchant, Role::kIssuer}, std::move(handler));
  }
  template <typename Handler>
  grpc::ServerUnaryReactor* Post(grpc::CallbackServerContext* ctx, const char* method,
                                 Handler handler) {
    return ServePosting(ctx, env_, method, {Role::kMerchant, Role::kIssuer}, std::move(handler));
  }

  const ServiceEnv env_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_PARTNER_SERVICE_H_
