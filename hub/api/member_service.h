// MemberService (the coalition's app and website, authenticated by a member's session
// token) and ClaimService (partners and the operator answer claims) over hub/members.
#ifndef LOYALTY_HUB_API_MEMBER_SERVICE_H_
#define LOYALTY_HUB_API_MEMBER_SERVICE_H_

#include "hub/api/serve.h"
#include "hub/members/members.h"
#include "loyalty/v1/members.grpc.pb.h"

namespace loyalty {

// REQUIRES: env.members and env.member_rate_limiter are set.
class MemberServiceImpl final : public v1::MemberService::CallbackService {
 public:
  explicit MemberServiceImpl(ServiceEnv env) : env_(std::move(env)) {}

  grpc::ServerUnaryReactor* RequestSignInCode(grpc::CallbackServerContext* ctx,
                                              const v1::RequestSignInCodeRequest* req,
                                              v1::RequestSignInCodeResponse* resp) override;
  grpc::ServerUnaryReactor* SignIn(grpc::CallbackServerContext* ctx, const v1::SignInRequest* req,
                                   v1::SignInResponse* resp) override;
  grpc::ServerUnaryReactor* GetOverview(grpc::CallbackServerContext* ctx,
                                        const v1::GetOverviewRequest* req,
                                        v1::MemberOverview* resp) override;
  grpc::ServerUnaryReactor* ListHistory(grpc::CallbackServerContext* ctx,
                                        const v1::ListHistoryRequest* req,
                                        v1::ListHistoryResponse* resp) override;
  grpc::ServerUnaryReactor* GetExpiringPoints(grpc::CallbackServerContext* ctx,
                                              const v1::GetExpiringPointsRequest* req,
                                              v1::MemberExpiringPoints* resp) override;
  grpc::ServerUnaryReactor* ListPromotions(grpc::CallbackServerContext* ctx,
                                           const v1::ListMemberPromotionsRequest* req,
                                           v1::ListMemberPromotionsResponse* resp) override;
  grpc::ServerUnaryReactor* GetProfile(grpc::CallbackServerContext* ctx,
                                       const v1::GetProfileRequest* req,
                                       v1::MemberProfile* resp) override;
  grpc::ServerUnaryReactor* UpdateProfile(grpc::CallbackServerContext* ctx,
                                          const v1::UpdateProfileRequest* req,
                                          v1::MemberProfile* resp) override;
  grpc::ServerUnaryReactor* ExportData(grpc::CallbackServerContext* ctx,
                                       const v1::ExportDataRequest* req,
                                       v1::ExportDataResponse* resp) override;
  grpc::ServerUnaryReactor* EraseData(grpc::CallbackServerContext* ctx,
                                      const v1::EraseDataRequest* req,
                                      v1::EraseDataResponse* resp) override;
  grpc::ServerUnaryReactor* OpenClaim(grpc::CallbackServerContext* ctx,
                                      const v1::OpenClaimRequest* req, v1::Claim* resp) override;
  grpc::ServerUnaryReactor* ListClaims(grpc::CallbackServerContext* ctx,
                                       const v1::ListMyClaimsRequest* req,
                                       v1::ListClaimsResponse* resp) override;

 private:
  ServiceEnv env_;
};

class ClaimServiceImpl final : public v1::ClaimService::CallbackService {
 public:
  explicit ClaimServiceImpl(ServiceEnv env) : env_(std::move(env)) {}

  grpc::ServerUnaryReactor* ListClaims(grpc::CallbackServerContext* ctx,
                                       const v1::ListClaimsRequest* req,
                                       v1::ListClaimsResponse* resp) override;
  grpc::ServerUnaryReactor* AcceptClaim(grpc::CallbackServerContext* ctx,
                                        const v1::AcceptClaimRequest* req,
                                        v1::Claim* resp) override;
  grpc::ServerUnaryReactor* RejectClaim(grpc::CallbackServerContext* ctx,
                                        const v1::RejectClaimRequest* req,
                                        v1::Claim* resp) override;

 private:
  ServiceEnv env_;
};

}  // namespace loyalty

#endif  // LOYALTY_HUB_API_MEMBER_SERVICE_H_
