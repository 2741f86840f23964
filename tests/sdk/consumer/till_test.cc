// A partner's unit test with the installed mock: no hub needed.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/analytics_client.h"
#include "loyalty/bank_client.h"
#include "loyalty/mocks/mock_analytics_connection.h"
#include "loyalty/mocks/mock_bank_connection.h"
#include "loyalty/mocks/mock_partner_connection.h"
#include "loyalty/partner_client.h"

TEST(TillTest, EarnGoesThroughTheConnection) {
  auto mock = std::make_shared<loyalty::sdk::mocks::MockPartnerConnection>();
  loyalty::sdk::EarnResult r;
  r.posting.points = 250;
  EXPECT_CALL(*mock, Earn).WillOnce(::testing::Return(r));
  loyalty::sdk::PartnerClient client(mock);
  loyalty::sdk::EarnParams sale;
  sale.card_number = "7001";
  sale.amount = {5000, "EUR"};
  EXPECT_EQ(client.Earn(sale)->posting.points, 250);
}

TEST(BankTest, ClearingGoesThroughTheConnection) {
  auto mock = std::make_shared<loyalty::sdk::mocks::MockBankConnection>();
  loyalty::sdk::ClearingResult earned;
  earned.status = loyalty::sdk::ClearingStatus::kEarned;
  earned.points = 120;
  EXPECT_CALL(*mock, SubmitCardTransactions)
      .WillOnce(::testing::Return(std::vector<loyalty::sdk::ClearingResult>{earned}));
  loyalty::sdk::BankClient bank(mock);
  std::vector<loyalty::sdk::ClearingRecord> day(1);
  EXPECT_EQ(bank.SubmitCardTransactions(day)->at(0).points, 120);
}

// The analytics client works on the generated protos the SDK installs with it.
TEST(AnalyticsTest, SegmentsGoThroughTheConnection) {
  auto mock = std::make_shared<loyalty::sdk::mocks::MockAnalyticsConnection>();
  loyalty::v1::Segments segments;
  segments.set_members(403);
  segments.set_top20_spend_share(0.715);
  EXPECT_CALL(*mock, GetSegments).WillOnce(::testing::Return(segments));
  loyalty::sdk::AnalyticsClient analytics(mock);
  loyalty::v1::GetSegmentsRequest req;
  req.set_lookback_days(90);
  absl::StatusOr<loyalty::v1::Segments> got = analytics.GetSegments(req);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->members(), 403);
}
