// Minimum redemption and the member PIN (issue 6, docs/program-rules.md): redemptions
// below program.min_redemption_points fail; redemptions of MORE than
// program.pin_threshold_points need the member's PIN; a wrong PIN counts (committed),
// a right one resets the count, the third wrong one locks until UnlockMemberPin.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/rules/rules_util.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

constexpr Points kMinimum = 100;
constexpr Points kPinThreshold = 500;

// A member with 10,000 points; minimum redemption 100; PIN above 500.
class PinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Ok(f.Earn(shop, card, 100000));
    EditProgram(f, [](ProgramRecord& p) {
      p.min_redemption_points = kMinimum;
      p.pin_threshold_points = kPinThreshold;
    });
  }
  absl::StatusOr<Posting> RedeemWithPin(Points points, const std::string& pin) {
    RedeemParams r = MakeRedeem(shop, card, points, f.NextTxnId());
    r.pin = pin;
    return f.ledger().Redeem(r);
  }
  absl::StatusOr<Posting> AuthorizeWithPin(Points points, const std::string& pin) {
    RedeemParams r = MakeRedeem(shop, card, points, f.NextTxnId());
    r.pin = pin;
    return f.ledger().AuthorizeRedemption(r);
  }
  int64_t Failures() {
    return f.Query(
        absl::StrCat("SELECT pin_failures FROM members WHERE id = ", f.Balance(card).member_id));
  }
  void ExpectWrongPin(const absl::Status& s, int attempts_left) {
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
    EXPECT_EQ(std::string(s.message()),
              absl::StrCat("pin: wrong PIN, ", attempts_left, " attempts left"));
  }

  LedgerFixture f;
  PartnerId shop = f.AddPartner("grocery", 1000);
  std::string card = f.AddMember(shop);
};

TEST_F(PinTest, MinimumRedemption) {
  ExpectError(f.Redeem(shop, card, kMinimum - 1).status(), absl::StatusCode::kFailedPrecondition,
              "points");
  ExpectError(f.Authorize(shop, card, kMinimum - 1).status(), absl::StatusCode::kFailedPrecondition,
              "points");
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM txns WHERE kind IN ('redeem', 'authorize')"), 0);
  EXPECT_EQ(Ok(f.Redeem(shop, card, kMinimum)).balance_after, 10000 - kMinimum);
  EXPECT_EQ(Ok(f.Authorize(shop, card, kMinimum)).available_after, 10000 - 2 * kMinimum);
  f.ExpectInvariants();
}

TEST_F(PinTest, PinNeededOnlyAboveTheThreshold) {
  // No PIN set: at the threshold fine, above it the member must set one first.
  EXPECT_EQ(Ok(f.Redeem(shop, card, kPinThreshold)).balance_after, 10000 - kPinThreshold);
  ExpectError(f.Redeem(shop, card, kPinThreshold + 1).status(),
              absl::StatusCode::kFailedPrecondition, "pin");
  ASSERT_TRUE(f.ledger().SetMemberPin(card, "4711").ok());
  // PIN set: at the threshold still none needed; one point above without it is missing.
  EXPECT_TRUE(f.Redeem(shop, card, kPinThreshold).ok());
  ExpectError(f.Redeem(shop, card, kPinThreshold + 1).status(), absl::StatusCode::kInvalidArgument,
              "pin");
  ExpectError(f.Authorize(shop, card, kPinThreshold + 1).status(),
              absl::StatusCode::kInvalidArgument, "pin");
  EXPECT_EQ(Ok(RedeemWithPin(kPinThreshold + 1, "4711")).balance_after,
            10000 - 2 * kPinThreshold - (kPinThreshold + 1));
  EXPECT_TRUE(AuthorizeWithPin(kPinThreshold + 1, "4711").ok());
  EXPECT_EQ(Failures(), 0);
  f.ExpectInvariants();
}

TEST_F(PinTest, WrongTwiceThenRightWorksAndResetsTheCount) {
  ASSERT_TRUE(f.ledger().SetMemberPin(card, "4711").ok());
  ExpectWrongPin(RedeemWithPin(600, "0000").status(), 2);
  EXPECT_EQ(Failures(), 1);  // committed though the redemption failed
  ExpectWrongPin(RedeemWithPin(600, "1234").status(), 1);
  EXPECT_EQ(Failures(), 2);
  EXPECT_EQ(f.Balance(card).balance, 10000);  // nothing redeemed
  EXPECT_EQ(Ok(RedeemWithPin(600, "4711")).balance_after, 9400);
  EXPECT_EQ(Failures(), 0);
  // The count started over: a wrong one leaves 2 attempts again.
  ExpectWrongPin(RedeemWithPin(600, "0000").status(), 2);
  f.ExpectInvariants();
}

TEST_F(PinTest, ThreeWrongLockUntilTheOperatorUnlocks) {
  ASSERT_TRUE(f.ledger().SetMemberPin(card, "4711").ok());
  ExpectWrongPin(RedeemWithPin(600, "0000").status(), 2);
  ExpectWrongPin(AuthorizeWithPin(600, "0001").status(), 1);  // authorizations count too
  ExpectWrongPin(RedeemWithPin(600, "0002").status(), 0);
  EXPECT_EQ(Failures(), 3);
  // Locked: even the right PIN fails.
  ExpectError(RedeemWithPin(600, "4711").status(), absl::StatusCode::kFailedPrecondition, "pin");
  ExpectError(AuthorizeWithPin(600, "4711").status(), absl::StatusCode::kFailedPrecondition, "pin");
  EXPECT_EQ(Failures(), 3);
  // Redemptions that need no PIN are unaffected.
  EXPECT_EQ(Ok(f.Redeem(shop, card, kPinThreshold)).balance_after, 10000 - kPinThreshold);

  ASSERT_TRUE(f.ledger().UnlockMemberPin("ops", card).ok());
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM audit_log WHERE action = 'unlock_member_pin'"), 1);
  EXPECT_EQ(Failures(), 0);
  EXPECT_EQ(Ok(RedeemWithPin(600, "4711")).balance_after, 10000 - kPinThreshold - 600);
  f.ExpectInvariants();
}

// "after 3 wrong PINs the PIN is locked until the operator calls
// AdminService.UnlockMemberPin" (docs/program-rules.md): setting a new PIN - which any
// partner may do through PartnerService.SetMemberPin - must not lift the lock.
TEST_F(PinTest, SettingANewPinDoesNotLiftTheLock) {
  ASSERT_TRUE(f.ledger().SetMemberPin(card, "4711").ok());
  for (int i = 0; i < 3; ++i) (void)RedeemWithPin(600, "0000");
  ASSERT_EQ(Failures(), 3);
  ASSERT_TRUE(f.ledger().SetMemberPin(card, "2222").ok());
  EXPECT_EQ(Failures(), 3) << "SetMemberPin reset the failure count of a locked PIN";
  ExpectError(RedeemWithPin(600, "2222").status(), absl::StatusCode::kFailedPrecondition, "pin");
  EXPECT_EQ(f.Balance(card).balance, 10000);
  ASSERT_TRUE(f.ledger().UnlockMemberPin("ops", card).ok());
  EXPECT_TRUE(RedeemWithPin(600, "2222").ok());
  f.ExpectInvariants();
}

TEST_F(PinTest, SetMemberPinTakesFourToEightDigits) {
  for (const char* bad : {"", "123", "123456789", "12a4", "12 34", "-1234"}) {
    ExpectError(f.ledger().SetMemberPin(card, bad), absl::StatusCode::kInvalidArgument, "pin");
  }
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM members WHERE pin_hash IS NOT NULL"), 0);
  ASSERT_TRUE(f.ledger().SetMemberPin(card, "1234").ok());
  EXPECT_TRUE(RedeemWithPin(600, "1234").ok());
  ASSERT_TRUE(f.ledger().SetMemberPin(card, "12345678").ok());
  EXPECT_TRUE(RedeemWithPin(600, "12345678").ok());
  ExpectWrongPin(RedeemWithPin(600, "1234").status(), 2);  // the old PIN is gone
  // Stored hashed, never as the digits.
  EXPECT_EQ(f.Query("SELECT LENGTH(pin_hash) FROM members WHERE pin_hash IS NOT NULL"), 64);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM members WHERE pin_hash LIKE '%12345678%'"), 0);
  ExpectError(f.ledger().SetMemberPin("12345", "1234"), absl::StatusCode::kInvalidArgument,
              "card_number");
  f.ExpectInvariants();
}

}  // namespace
}  // namespace loyalty::testing
