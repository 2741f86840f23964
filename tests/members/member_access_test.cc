// MemberService through the real hub binary (issue 15): a member reaches only their own
// data, whatever they send: every RPC answers about the session's member, page tokens
// of another member are refused, partner keys and bad tokens are not member sessions,
// and a member token opens no partner or operator service.
#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loyalty/v1/admin.grpc.pb.h"
#include "loyalty/v1/events.grpc.pb.h"
#include "loyalty/v1/members.grpc.pb.h"
#include "loyalty/v1/partner.grpc.pb.h"
#include "tests/support/grpc_call.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

using MemberStub = v1::MemberService::Stub;
using ClaimStub = v1::ClaimService::Stub;

class MemberAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PartnerRecord p;
    p.name = "Grocer";
    p.category = "grocery";
    p.role = Role::kMerchant;
    p.earn_rate_bp = 500;
    RegisteredPartner grocer = Ok(f.ledger().RegisterPartner("test", p));
    grocer_ = grocer.partner.id;
    grocer_key_ = grocer.api_key;
    p.name = "Gym";
    p.category = "fitness";
    RegisteredPartner gym = Ok(f.ledger().RegisterPartner("test", p));
    gym_key_ = gym.api_key;
    card_a_ = f.AddMember(grocer_);
    card_b_ = f.AddMember(grocer_);
    for (int i = 0; i < 5; ++i) {
      a_ = Ok(f.Earn(grocer_, card_a_, 1000 + i)).member_id;
      b_ = Ok(f.Earn(grocer_, card_b_, 2000 + i)).member_id;
    }
    HubOptions o;
    o.db = f.db().options();
    o.extra_args = {"--member_rate_limit_per_second=1000", "--member_rate_limit_burst=1000"};
    hub_ = std::make_unique<HubProcess>(o);
    ASSERT_NO_FATAL_FAILURE(hub_->Start());
    auto channel = grpc::CreateChannel(hub_->target(), grpc::InsecureChannelCredentials());
    members_ = v1::MemberService::NewStub(channel);
    claims_ = v1::ClaimService::NewStub(channel);
    admin_ = v1::AdminService::NewStub(channel);
    partner_ = v1::PartnerService::NewStub(channel);
    token_a_ = Token(card_a_);
    token_b_ = Token(card_b_);
  }

  std::string Token(const std::string& card) {
    v1::IssueMemberTokenRequest req;
    req.set_card_number(card);
    v1::IssueMemberTokenResponse resp;
    grpc::Status s = Invoke(admin_.get(), &v1::AdminService::Stub::IssueMemberToken,
                            std::string(kHubAdminKey), req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    EXPECT_TRUE(absl::StartsWith(resp.session_token(), "mbr_"));
    return resp.session_token();
  }

  LedgerFixture f;
  PartnerId grocer_ = 0;
  std::string grocer_key_, gym_key_, card_a_, card_b_, token_a_, token_b_;
  MemberId a_ = 0, b_ = 0;
  std::unique_ptr<HubProcess> hub_;
  std::unique_ptr<MemberStub> members_;
  std::unique_ptr<ClaimStub> claims_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::PartnerService::Stub> partner_;
};

TEST_F(MemberAccessTest, EveryCallAnswersAboutTheSessionsMemberOnly) {
  v1::MemberOverview overview;
  ASSERT_TRUE(Invoke(members_.get(), &MemberStub::GetOverview, token_a_, v1::GetOverviewRequest(),
                     &overview)
                  .ok());
  EXPECT_EQ(overview.member_id(), a_);
  EXPECT_EQ(overview.balance().balance(), f.Balance(card_a_).balance);
  ASSERT_EQ(overview.cards_size(), 1);
  EXPECT_EQ(overview.cards(0).substr(12), card_a_.substr(12));
  EXPECT_EQ(overview.cards(0).find(card_a_.substr(0, 6)), std::string::npos) << "not masked";

  // History, page by page: A's postings only, with partner names.
  v1::ListHistoryRequest hreq;
  hreq.set_page_size(2);
  int seen = 0;
  std::string token_of_a_page;
  for (;;) {
    v1::ListHistoryResponse page;
    ASSERT_TRUE(Invoke(members_.get(), &MemberStub::ListHistory, token_a_, hreq, &page).ok());
    for (const v1::HistoryEntry& e : page.entries()) {
      ++seen;
      EXPECT_EQ(f.Query(absl::StrCat("SELECT member_id FROM txns WHERE id = ", e.hub_txn_id())),
                a_);
      if (e.kind() == "earn") EXPECT_EQ(e.partner_name(), "Grocer");
    }
    if (page.next_page_token().empty()) break;
    token_of_a_page = page.next_page_token();
    hreq.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(seen, f.Query(absl::StrCat("SELECT COUNT(*) FROM txns WHERE member_id = ", a_)));
  // A's page token is no key to B's history.
  v1::ListHistoryRequest stolen;
  stolen.set_page_size(2);
  stolen.set_page_token(token_of_a_page);
  v1::ListHistoryResponse none;
  grpc::Status s = Invoke(members_.get(), &MemberStub::ListHistory, token_b_, stolen, &none);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);

  // Export: A's data, none of B's.
  v1::ExportDataResponse exported;
  ASSERT_TRUE(Invoke(members_.get(), &MemberStub::ExportData, token_a_, v1::ExportDataRequest(),
                     &exported)
                  .ok());
  EXPECT_NE(exported.json().find(card_a_), std::string::npos);
  EXPECT_EQ(exported.json().find(card_b_), std::string::npos);
  EXPECT_NE(exported.json().find(absl::StrCat("\"member_id\": ", a_)), std::string::npos);

  // Claims: B's claim is invisible to A; a partner sees the claims at its tills only.
  v1::OpenClaimRequest claim;
  claim.set_partner_id(grocer_);
  claim.set_purchased_at_micros(f.clock().NowMicros() - 3600'000000);
  claim.mutable_amount()->set_amount_minor(1500);
  claim.mutable_amount()->set_currency("EUR");
  claim.set_receipt_ref("R-B-1");
  v1::Claim opened;
  s = Invoke(members_.get(), &MemberStub::OpenClaim, token_b_, claim, &opened);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(opened.member_id(), b_);
  v1::ListClaimsResponse mine;
  ASSERT_TRUE(Invoke(members_.get(), &MemberStub::ListClaims, token_a_, v1::ListMyClaimsRequest(),
                     &mine)
                  .ok());
  EXPECT_EQ(mine.claims_size(), 0);
  v1::ListClaimsResponse gym_view;
  ASSERT_TRUE(
      Invoke(claims_.get(), &ClaimStub::ListClaims, gym_key_, v1::ListClaimsRequest(), &gym_view)
          .ok());
  EXPECT_EQ(gym_view.claims_size(), 0);
  v1::AcceptClaimRequest accept;
  accept.set_claim_id(opened.claim_id());
  v1::Claim answered;
  s = Invoke(claims_.get(), &ClaimStub::AcceptClaim, gym_key_, accept, &answered);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  // The member's token is no partner key, and the other way round.
  s = Invoke(claims_.get(), &ClaimStub::AcceptClaim, token_b_, accept, &answered);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  v1::GetBalanceRequest balance;
  balance.set_card_number(card_a_);
  v1::Balance b;
  s = Invoke(partner_.get(), &v1::PartnerService::Stub::GetBalance, token_a_, balance, &b);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  s = Invoke(members_.get(), &MemberStub::GetOverview, grocer_key_, v1::GetOverviewRequest(),
             &overview);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  s = Invoke(members_.get(), &MemberStub::GetOverview, std::string("mbr_forged"),
             v1::GetOverviewRequest(), &overview);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  s = Invoke(members_.get(), &MemberStub::GetOverview, std::string(""), v1::GetOverviewRequest(),
             &overview);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  // The grocer accepts; B sees it, A still sees nothing.
  s = Invoke(claims_.get(), &ClaimStub::AcceptClaim, grocer_key_, accept, &answered);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(answered.status(), "accepted");
  ASSERT_TRUE(Invoke(members_.get(), &MemberStub::ListClaims, token_b_, v1::ListMyClaimsRequest(),
                     &mine)
                  .ok());
  ASSERT_EQ(mine.claims_size(), 1);
  EXPECT_EQ(mine.claims(0).status(), "accepted");

  // Every member call is in the audit log under the member.
  EXPECT_GE(f.Query(absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE actor = 'member:", a_,
                                 "'")),
            4);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT COUNT(*) FROM audit_log WHERE actor = 'member:", a_,
                                 "' AND action = 'member.export'")),
            1);
}

TEST_F(MemberAccessTest, ProfileErasureAndBadInput) {
  v1::UpdateProfileRequest update;
  update.mutable_profile()->set_email("ana@example.org");
  update.mutable_profile()->set_language("ko");
  update.mutable_profile()->set_time_zone("Asia/Seoul");
  update.mutable_profile()->set_consent_notices(true);
  update.mutable_profile()->set_channel_email(true);
  update.mutable_profile()->set_quiet_start_minute(22 * 60);
  update.mutable_profile()->set_quiet_end_minute(8 * 60);
  v1::MemberProfile stored;
  grpc::Status s = Invoke(members_.get(), &MemberStub::UpdateProfile, token_a_, update, &stored);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(stored.language(), "ko");
  update.mutable_profile()->set_language("xx");
  s = Invoke(members_.get(), &MemberStub::UpdateProfile, token_a_, update, &stored);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("language"), std::string::npos) << Describe(s);
  update.mutable_profile()->set_language("en");
  update.mutable_profile()->set_time_zone("Mars/Olympus");
  s = Invoke(members_.get(), &MemberStub::UpdateProfile, token_a_, update, &stored);
  EXPECT_NE(s.error_message().find("time_zone"), std::string::npos) << Describe(s);
  update.mutable_profile()->set_time_zone("UTC");
  update.mutable_profile()->set_email("not-an-address");
  s = Invoke(members_.get(), &MemberStub::UpdateProfile, token_a_, update, &stored);
  EXPECT_NE(s.error_message().find("email"), std::string::npos) << Describe(s);
  v1::MemberProfile read;
  ASSERT_TRUE(
      Invoke(members_.get(), &MemberStub::GetProfile, token_a_, v1::GetProfileRequest(), &read).ok());
  EXPECT_EQ(read.language(), "ko");  // the refused updates changed nothing
  // B's profile is B's.
  ASSERT_TRUE(
      Invoke(members_.get(), &MemberStub::GetProfile, token_b_, v1::GetProfileRequest(), &read).ok());
  EXPECT_EQ(read.email(), "");

  v1::EraseDataRequest erase;
  v1::EraseDataResponse erased;
  s = Invoke(members_.get(), &MemberStub::EraseData, token_a_, erase, &erased);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  const int64_t txns = f.Rows("txns");
  erase.set_confirm("ERASE");
  s = Invoke(members_.get(), &MemberStub::EraseData, token_a_, erase, &erased);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(f.Rows("txns"), txns);
  v1::MemberOverview overview;
  s = Invoke(members_.get(), &MemberStub::GetOverview, token_a_, v1::GetOverviewRequest(),
             &overview);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  ASSERT_TRUE(Invoke(members_.get(), &MemberStub::GetOverview, token_b_, v1::GetOverviewRequest(),
                     &overview)
                  .ok());
  EXPECT_EQ(overview.member_id(), b_);
}

TEST_F(MemberAccessTest, SignInCallsAreRateLimitedPerCard) {
  hub_->StopAndExpectCleanExit();
  hub_->options().extra_args = {"--member_rate_limit_per_second=1", "--member_rate_limit_burst=3"};
  ASSERT_NO_FATAL_FAILURE(hub_->Restart());
  v1::SignInRequest req;
  req.set_card_number(card_a_);
  req.set_code("000000");
  v1::SignInResponse resp;
  int unauthenticated = 0, exhausted = 0;
  for (int i = 0; i < 6; ++i) {
    grpc::Status s = Invoke(members_.get(), &MemberStub::SignIn, std::string(), req, &resp);
    if (s.error_code() == grpc::StatusCode::UNAUTHENTICATED) ++unauthenticated;
    if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++exhausted;
  }
  EXPECT_EQ(unauthenticated, 3);
  EXPECT_EQ(exhausted, 3);
  // Another card has its own allowance.
  req.set_card_number(card_b_);
  grpc::Status s = Invoke(members_.get(), &MemberStub::SignIn, std::string(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
}

}  // namespace
}  // namespace loyalty::testing
