// MemberClient: the coalition app's backend (or a kiosk) calling MemberService for one
// member, and ClaimsClient: a partner answering members' missing-points claims. The
// requests and answers are the generated messages of loyalty/v1/members.proto
// (docs/members.md walks through them).
//
//   // Sign-in: no credentials yet.
//   auto anon = loyalty::sdk::MakeMemberClient(options);          // options.api_key = ""
//   (*anon)->RequestSignInCode(req);                                // mails a code
//   auto session = (*anon)->SignIn(sign_in);                        // the token
//   options.api_key = session->session_token();
//   auto member = loyalty::sdk::MakeMemberClient(options);          // calls as the member
//
// Contract: every call has a deadline and returns the hub's status code unchanged; reads
// are retried (Options::retry), writes are sent once except where the hub makes them
// idempotent (accepting a claim).
//
// Thread-safety: every method may be called from many threads at once.
#ifndef LOYALTY_PARTNER_SDK_MEMBER_CLIENT_H_
#define LOYALTY_PARTNER_SDK_MEMBER_CLIENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "loyalty/options.h"
#include "loyalty/v1/members.pb.h"

namespace loyalty::sdk {

class MemberClient {
 public:
  virtual ~MemberClient() = default;
  virtual absl::StatusOr<v1::RequestSignInCodeResponse> RequestSignInCode(
      const v1::RequestSignInCodeRequest& request) = 0;
  virtual absl::StatusOr<v1::SignInResponse> SignIn(const v1::SignInRequest& request) = 0;
  virtual absl::StatusOr<v1::MemberOverview> GetOverview() = 0;
  virtual absl::StatusOr<v1::ListHistoryResponse> ListHistory(
      const v1::ListHistoryRequest& request) = 0;
  virtual absl::StatusOr<v1::MemberExpiringPoints> GetExpiringPoints() = 0;
  virtual absl::StatusOr<v1::ListMemberPromotionsResponse> ListPromotions() = 0;
  virtual absl::StatusOr<v1::MemberProfile> GetProfile() = 0;
  virtual absl::StatusOr<v1::MemberProfile> UpdateProfile(const v1::MemberProfile& profile) = 0;
  virtual absl::StatusOr<v1::ExportDataResponse> ExportData() = 0;
  virtual absl::StatusOr<v1::EraseDataResponse> EraseData(const v1::EraseDataRequest& request) = 0;
  virtual absl::StatusOr<v1::Claim> OpenClaim(const v1::OpenClaimRequest& request) = 0;
  virtual absl::StatusOr<v1::ListClaimsResponse> ListClaims() = 0;
};

class ClaimsClient {
 public:
  virtual ~ClaimsClient() = default;
  virtual absl::StatusOr<v1::ListClaimsResponse> ListClaims(
      const v1::ListClaimsRequest& request) = 0;
  virtual absl::StatusOr<v1::Claim> AcceptClaim(const v1::AcceptClaimRequest& request) = 0;
  virtual absl::StatusOr<v1::Claim> RejectClaim(const v1::RejectClaimRequest& request) = 0;
};

// Options::api_key: the member's session token ("" for the two sign-in calls).
absl::StatusOr<std::shared_ptr<MemberClient>> MakeMemberClient(Options options);
// Options::api_key: a partner's (or the operator's admin) key.
absl::StatusOr<std::shared_ptr<ClaimsClient>> MakeClaimsClient(Options options);

}  // namespace loyalty::sdk

#endif  // LOYALTY_PARTNER_SDK_MEMBER_CLIENT_H_
