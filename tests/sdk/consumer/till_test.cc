// A partner's unit test with the installed mock: no hub needed.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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
