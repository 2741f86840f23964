#include "gtest/gtest.h"
#include "tests/support/test_db.h"

namespace loyalty::testing {
namespace {

TEST(LedgerSmoke, EarnRedeem) {
  LedgerFixture f;
  PartnerId grocer = f.AddPartner("grocery", 500);
  PartnerId gym = f.AddPartner("fitness", 300);
  std::string card = f.AddMember(grocer);
  auto e = f.Earn(grocer, card, 5000);  // 50.00 EUR at 5% = 2.50 EUR = 250 points
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->points, 250);
  auto r = f.Redeem(gym, card, 100);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->balance_after, 150);
  f.ExpectInvariants();
}

}  // namespace
}  // namespace loyalty::testing
