// A gMock of PartnerConnection for a partner's own unit tests: test till code without a
// hub by handing PartnerClient a MockPartnerConnection and scripting its answers.
//
//   auto mock = std::make_shared<loyalty::sdk::mocks::MockPartnerConnection>();
//   EXPECT_CALL(*mock, Earn).WillOnce(::testing::Return(loyalty::sdk::EarnResult{...}));
//   loyalty::sdk::PartnerClient client(mock);
//
// Requires GoogleTest/GoogleMock in the test's build (find_package(GTest)).
#ifndef LOYALTY_PARTNER_SDK_MOCKS_MOCK_PARTNER_CONNECTION_H_
#define LOYALTY_PARTNER_SDK_MOCKS_MOCK_PARTNER_CONNECTION_H_

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "loyalty/partner_connection.h"

namespace loyalty::sdk::mocks {

class MockPartnerConnection : public PartnerConnection {
 public:
  MOCK_METHOD(absl::StatusOr<EnrollMemberResult>, EnrollMember, (const EnrollMemberParams&),
              (override));
  MOCK_METHOD(absl::StatusOr<LinkCardResult>, LinkCard, (const LinkCardParams&), (override));
  MOCK_METHOD(absl::StatusOr<PostingResult>, RegisterBearerCard, (const RegisterBearerCardParams&),
              (override));
  MOCK_METHOD(absl::StatusOr<Balance>, GetBalance, (const GetBalanceParams&), (override));
  MOCK_METHOD(absl::StatusOr<QuoteEarnResult>, QuoteEarn, (const QuoteEarnParams&), (override));
  MOCK_METHOD(absl::StatusOr<EarnResult>, Earn, (const EarnParams&), (override));
  MOCK_METHOD(absl::StatusOr<PostingResult>, Redeem, (const RedeemParams&), (override));
  MOCK_METHOD(absl::StatusOr<AuthorizeRedemptionResult>, AuthorizeRedemption,
              (const AuthorizeRedemptionParams&), (override));
  MOCK_METHOD(absl::StatusOr<PostingResult>, CaptureRedemption, (const CaptureRedemptionParams&),
              (override));
  MOCK_METHOD(absl::StatusOr<PostingResult>, VoidRedemption, (const VoidRedemptionParams&),
              (override));
  MOCK_METHOD(absl::StatusOr<ReverseResult>, Reverse, (const ReverseParams&), (override));
  MOCK_METHOD(absl::StatusOr<TransactionPage>, ListTransactions, (const ListTransactionsParams&),
              (override));
  MOCK_METHOD(absl::StatusOr<RegisterMerchantIdResult>, RegisterMerchantId,
              (const RegisterMerchantIdParams&), (override));
  MOCK_METHOD(absl::Status, SetMemberPin, (const SetMemberPinParams&), (override));
  MOCK_METHOD(absl::StatusOr<ProgramRules>, GetProgramRules, (const GetProgramRulesParams&),
              (override));
  MOCK_METHOD(absl::StatusOr<DrainResult>, DrainOfflineQueue, (), (override));
  MOCK_METHOD(absl::StatusOr<int64_t>, QueuedEarns, (), (override));
  MOCK_METHOD(absl::StatusOr<std::vector<FailedEarn>>, FailedEarns, (), (override));
};

}  // namespace loyalty::sdk::mocks

#endif  // LOYALTY_PARTNER_SDK_MOCKS_MOCK_PARTNER_CONNECTION_H_
