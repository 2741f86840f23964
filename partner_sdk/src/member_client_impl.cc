// The real MemberClient and ClaimsClient: gRPC to MemberService and ClaimService.
#include <memory>
#include <utility>

#include "call_runner.h"
#include "hub/common/status_macros.h"
#include "loyalty/member_client.h"
#include "loyalty/v1/members.grpc.pb.h"

namespace loyalty::sdk::internal {
namespace {

class MemberClientImpl : public MemberClient {
 public:
  MemberClientImpl(Options options, const std::shared_ptr<grpc::Channel>& channel)
      : runner_(std::move(options), channel), stub_(v1::MemberService::NewStub(channel)) {}

  absl::StatusOr<v1::RequestSignInCodeResponse> RequestSignInCode(
      const v1::RequestSignInCodeRequest& r) override {
    return Call("RequestSignInCode", true, &Stub::RequestSignInCode, r);
  }
  absl::StatusOr<v1::SignInResponse> SignIn(const v1::SignInRequest& r) override {
    return Call("SignIn", false, &Stub::SignIn, r);  // a retry would spend a guess
  }
  absl::StatusOr<v1::MemberOverview> GetOverview() override {
    return Call("GetOverview", true, &Stub::GetOverview, v1::GetOverviewRequest());
  }
  absl::StatusOr<v1::ListHistoryResponse> ListHistory(const v1::ListHistoryRequest& r) override {
    return Call("ListHistory", true, &Stub::ListHistory, r);
  }
  absl::StatusOr<v1::MemberExpiringPoints> GetExpiringPoints() override {
    return Call("GetExpiringPoints", true, &Stub::GetExpiringPoints,
                v1::GetExpiringPointsRequest());
  }
  absl::StatusOr<v1::ListMemberPromotionsResponse> ListPromotions() override {
    return Call("ListPromotions", true, &Stub::ListPromotions, v1::ListMemberPromotionsRequest());
  }
  absl::StatusOr<v1::MemberProfile> GetProfile() override {
    return Call("GetProfile", true, &Stub::GetProfile, v1::GetProfileRequest());
  }
  absl::StatusOr<v1::MemberProfile> UpdateProfile(const v1::MemberProfile& profile) override {
    v1::UpdateProfileRequest r;
    *r.mutable_profile() = profile;
    return Call("UpdateProfile", true, &Stub::UpdateProfile, r);  // replaces: safe to repeat
  }
  absl::StatusOr<v1::ExportDataResponse> ExportData() override {
    return Call("ExportData", true, &Stub::ExportData, v1::ExportDataRequest());
  }
  absl::StatusOr<v1::EraseDataResponse> EraseData(const v1::EraseDataRequest& r) override {
    return Call("EraseData", false, &Stub::EraseData, r);
  }
  absl::StatusOr<v1::Claim> OpenClaim(const v1::OpenClaimRequest& r) override {
    return Call("OpenClaim", false, &Stub::OpenClaim, r);
  }
  absl::StatusOr<v1::ListClaimsResponse> ListClaims() override {
    return Call("ListClaims", true, &Stub::ListClaims, v1::ListMyClaimsRequest());
  }

 private:
  using Stub = v1::MemberService::Stub;
  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Call(const char* name, bool retryable,
                            grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                            const Req& request) {
    return runner_.Unary(CallSpec{name, "", retryable}, stub_.get(), method, request);
  }
  const CallRunner runner_;
  const std::unique_ptr<Stub> stub_;
};

class ClaimsClientImpl : public ClaimsClient {
 public:
  ClaimsClientImpl(Options options, const std::shared_ptr<grpc::Channel>& channel)
      : runner_(std::move(options), channel), stub_(v1::ClaimService::NewStub(channel)) {}

  absl::StatusOr<v1::ListClaimsResponse> ListClaims(const v1::ListClaimsRequest& r) override {
    return runner_.Unary(CallSpec{"ListClaims", "", true}, stub_.get(), &Stub::ListClaims, r);
  }
  absl::StatusOr<v1::Claim> AcceptClaim(const v1::AcceptClaimRequest& r) override {
    // Idempotent on the claim: the hub posts its earn once however often it is accepted.
    return runner_.Unary(CallSpec{"AcceptClaim", "", true}, stub_.get(), &Stub::AcceptClaim, r);
  }
  absl::StatusOr<v1::Claim> RejectClaim(const v1::RejectClaimRequest& r) override {
    return runner_.Unary(CallSpec{"RejectClaim", "", true}, stub_.get(), &Stub::RejectClaim, r);
  }

 private:
  using Stub = v1::ClaimService::Stub;
  const CallRunner runner_;
  const std::unique_ptr<Stub> stub_;
};

}  // namespace
}  // namespace loyalty::sdk::internal

namespace loyalty::sdk {

absl::StatusOr<std::shared_ptr<MemberClient>> MakeMemberClient(Options options) {
  RETURN_IF_ERROR(internal::ValidateOptions(options));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, internal::MakeChannel(options));
  return std::shared_ptr<MemberClient>(
      new internal::MemberClientImpl(std::move(options), channel));
}

absl::StatusOr<std::shared_ptr<ClaimsClient>> MakeClaimsClient(Options options) {
  RETURN_IF_ERROR(internal::ValidateOptions(options));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, internal::MakeChannel(options));
  return std::shared_ptr<ClaimsClient>(new internal::ClaimsClientImpl(std::move(options), channel));
}

}  // namespace loyalty::sdk
