// The card-issuing bank's earn rules, directly on BankLedger over a fresh MariaDB
// database (LedgerFixture: EUR, 1 point = 0.01 EUR, so points = floor(cents x bp / 10000)).
//
// Covers: MCC rates, excluded MCCs, the default rate, the partner-merchant rate (and its
// fallback once the partner is suspended), the monthly cap per card at its boundary and
// across UTC months, unlinked cards, missing rules, rule validation, the funder of the
// points, idempotency on the clearing id, refunds (full, partial, too large, unmatched,
// another card), the refund's effect on its purchase's month, and the card statement.
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/ledger/bank_ledger.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty {
namespace {

using ::loyalty::testing::ExpectError;
using ::loyalty::testing::LedgerFixture;
using ::loyalty::testing::Ok;
using ::loyalty::testing::Utc;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kToken[] = "tok-1";
constexpr char kToken2[] = "tok-2";

// The rates every test starts from (unless it sets its own).
constexpr int64_t kDefaultBp = 100;   // 1 %
constexpr int64_t kPartnerBp = 300;   // 3 % at a coalition partner's merchant id
constexpr int kMccGrocery = 5411;     // 2 %
constexpr int kMccRestaurant = 5812;  // 1.5 %
constexpr int kMccUtilities = 4900;   // excluded
constexpr int kMccCash = 6011;        // excluded
constexpr int kMccNoRule = 5999;      // default rate

BankRulesRow StandardRules(Points cap = 0) {
  BankRulesRow r;
  r.default_rate_bp = kDefaultBp;
  r.partner_merchant_rate_bp = kPartnerBp;
  r.monthly_cap_points = cap;
  r.mcc_rules = {{kMccUtilities, 0, true},
                 {kMccGrocery, 200, false},
                 {kMccRestaurant, 150, false},
                 {kMccCash, 500, true}};  // a rate on an excluded MCC is ignored
  return r;
}

class BankRulesTest : public ::testing::Test {
 protected:
  // Purchases happen in February 2026 unless a test says otherwise; the hub's clock is
  // a little later (clearing comes after the purchase).
  static constexpr Micros kFeb = 1770724800'000000;  // 2026-02-10 12:00:00 UTC

  void SetUp() override {
    ASSERT_EQ(kFeb, Utc(2026, 2, 10, 12));
    bank_ = f_.AddPartner("bank", 100, Role::kIssuer);
    shop_ = f_.AddPartner("grocery", 500);
    enroller_ = f_.AddPartner("travel", 200);
    ASSERT_GT(bank_, 0);
    card_ = f_.AddMember(enroller_);
    ASSERT_FALSE(card_.empty());
    ASSERT_TRUE(bank_ledger_.SetRules("ops", bank_, StandardRules()).ok());
    member_ = Ok(bank_ledger_.LinkCard(bank_, card_, kToken));
    ASSERT_GT(member_, 0);
    f_.clock().Set(Utc(2026, 2, 20, 12));
  }

  void TearDown() override {
    f_.ExpectInvariants();
    ExpectClearingsMatchLedger();
  }

  // What card_clearings says was earned and reversed is what the ledger posted, funded
  // by the bank.
  void ExpectClearingsMatchLedger() {
    const std::string bank = absl::StrCat(bank_);
    EXPECT_EQ(f_.Query("SELECT COALESCE(SUM(points), 0) FROM card_clearings WHERE status = "
                       "'earned' AND bank_id = " +
                       bank),
              f_.Query("SELECT COALESCE(SUM(points), 0) FROM txns WHERE kind = 'earn' AND "
                       "partner_txn_id LIKE 'clr:%' AND partner_id = " +
                       bank));
    EXPECT_EQ(f_.Query("SELECT COALESCE(SUM(points), 0) FROM card_clearings WHERE status = "
                       "'reversed' AND bank_id = " +
                       bank),
              f_.Query("SELECT COALESCE(SUM(points), 0) FROM txns WHERE kind = 'reverse_earn' "
                       "AND partner_txn_id LIKE 'clr:%' AND partner_id = " +
                       bank));
    EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM lots l JOIN txns t ON t.id = l.earn_txn_id WHERE "
                       "t.partner_txn_id LIKE 'clr:%' AND l.funder_id <> t.partner_id"),
              0);
  }

  ClearingParams Purchase(const std::string& id, int64_t amount, int mcc,
                          const std::string& merchant = "", Micros at = kFeb,
                          const std::string& card = kToken) {
    ClearingParams p;
    p.bank_id = bank_;
    p.clearing_id = id;
    p.card_ref = card;
    p.amount_minor = amount;
    p.currency = "EUR";
    p.mcc = mcc;
    p.merchant_id = merchant;
    p.occurred_at = at;
    return p;
  }

  ClearingParams Refund(const std::string& id, const std::string& original, int64_t amount,
                        Micros at = kFeb, const std::string& card = kToken,
                        const std::string& merchant = "") {
    ClearingParams p = Purchase(id, amount, kMccNoRule, merchant, at, card);
    p.refund = true;
    p.original_clearing_id = original;
    return p;
  }

  ClearingOutcome Submit(const ClearingParams& p) {
    absl::StatusOr<ClearingOutcome> o = bank_ledger_.SubmitClearing(p);
    EXPECT_TRUE(o.ok()) << p.clearing_id << ": " << o.status();
    return o.ok() ? *o : ClearingOutcome{"(failed)", -1, "", 0, false};
  }

  // A purchase that must earn exactly `points`; returns its outcome.
  ClearingOutcome ExpectEarned(const ClearingParams& p, Points points) {
    ClearingOutcome o = Submit(p);
    EXPECT_EQ(o.status, clearing_status::kEarned) << p.clearing_id << ": " << o.reason;
    EXPECT_EQ(o.points, points) << p.clearing_id;
    EXPECT_GT(o.txn_id, 0) << p.clearing_id;
    EXPECT_FALSE(o.replayed) << p.clearing_id;
    return o;
  }

  // A record accepted without points; `reason` must appear in the outcome's reason.
  ClearingOutcome ExpectNoEarn(const ClearingParams& p, const std::string& reason) {
    ClearingOutcome o = Submit(p);
    EXPECT_EQ(o.status, clearing_status::kNoEarn) << p.clearing_id << ": " << o.reason;
    EXPECT_EQ(o.points, 0) << p.clearing_id;
    EXPECT_EQ(o.txn_id, 0) << p.clearing_id;
    EXPECT_THAT(o.reason, HasSubstr(reason)) << p.clearing_id;
    return o;
  }

  ClearingOutcome ExpectReversed(const ClearingParams& p, Points points) {
    ClearingOutcome o = Submit(p);
    EXPECT_EQ(o.status, clearing_status::kReversed) << p.clearing_id << ": " << o.reason;
    EXPECT_EQ(o.points, points) << p.clearing_id;
    EXPECT_GT(o.txn_id, 0) << p.clearing_id;
    EXPECT_FALSE(o.replayed) << p.clearing_id;
    return o;
  }

  Points Balance() { return f_.Balance(card_).balance; }

  int64_t ClearingRows(const std::string& where = "1") {
    return f_.Query(absl::StrCat("SELECT COUNT(*) FROM card_clearings WHERE ", where));
  }

  LedgerFixture f_;
  BankLedger bank_ledger_{f_.db().store(), &f_.clock()};
  PartnerId bank_ = 0;
  PartnerId shop_ = 0;      // a coalition merchant that registers a merchant id
  PartnerId enroller_ = 0;  // where the member enrolled
  std::string card_;        // the member's loyalty card
  MemberId member_ = 0;
};

// ---------------------------------------------------------------------------------------
// Rates.

TEST_F(BankRulesTest, MccRatesAndDefaultRate) {
  // 123.45 EUR at 2 %: 246.9 -> 246; at 1.5 %: 185.175 -> 185; at the default 1 %: 123.
  ClearingOutcome g = ExpectEarned(Purchase("c-1", 12'345, kMccGrocery), 246);
  EXPECT_EQ(g.reason, "mcc 5411");
  ClearingOutcome r = ExpectEarned(Purchase("c-2", 12'345, kMccRestaurant), 185);
  EXPECT_EQ(r.reason, "mcc 5812");
  ClearingOutcome d = ExpectEarned(Purchase("c-3", 12'345, kMccNoRule), 123);
  EXPECT_EQ(d.reason, "default rate");
  // MCC 0 is a valid code without a rule: the default rate. 10,000.00 EUR at 1 %.
  ExpectEarned(Purchase("c-4", 1'000'000, 0), 10'000);
  // A purchase that computes to less than one point earns nothing, and says so.
  ExpectNoEarn(Purchase("c-5", 99, kMccNoRule), "earns 0 points (default rate)");
  EXPECT_EQ(Balance(), 246 + 185 + 123 + 10'000);
  EXPECT_EQ(ClearingRows(), 5);
  EXPECT_EQ(ClearingRows("status = 'earned'"), 4);
  EXPECT_EQ(ClearingRows("status = 'no_earn' AND clearing_id = 'c-5'"), 1);
  // The clearing row keeps what the ledger needs for refunds and statements.
  EXPECT_EQ(f_.Query("SELECT points FROM card_clearings WHERE clearing_id = 'c-1'"), 246);
  EXPECT_EQ(
      f_.Query(absl::StrCat("SELECT member_id FROM card_clearings WHERE clearing_id = 'c-1'")),
      member_);
  EXPECT_EQ(f_.Query("SELECT hub_txn_id FROM card_clearings WHERE clearing_id = 'c-1'"), g.txn_id);
  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM card_clearings WHERE clearing_id = 'c-1' AND "
                     "month_key = '2026-02' AND type = 'purchase' AND mcc = 5411"),
            1);
}

TEST_F(BankRulesTest, ExcludedMccsEarnNothingAndSayWhich) {
  ClearingOutcome cash = ExpectNoEarn(Purchase("x-1", 50'000, kMccCash), "mcc 6011");
  EXPECT_THAT(cash.reason, HasSubstr("excluded"));
  ClearingOutcome util = ExpectNoEarn(Purchase("x-2", 8'000, kMccUtilities), "mcc 4900");
  EXPECT_THAT(util.reason, HasSubstr("excluded"));
  // Exclusion beats the partner-merchant rate: cash at a partner's terminal earns nothing.
  ASSERT_FALSE(Ok(bank_ledger_.RegisterMerchantId(shop_, "M-FRESH-1")));
  ExpectNoEarn(Purchase("x-3", 20'000, kMccCash, "M-FRESH-1"), "mcc 6011 is excluded");
  EXPECT_EQ(Balance(), 0);
  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM txns WHERE partner_txn_id LIKE 'clr:%'"), 0);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT COUNT(*) FROM lots WHERE funder_id = ", bank_)), 0);
  // Recorded all the same (idempotency, statements).
  EXPECT_EQ(ClearingRows("status = 'no_earn'"), 3);
}

TEST_F(BankRulesTest, PartnerMerchantRateAndFallbackWhenThePartnerIsSuspended) {
  // A partner registers its acquirer merchant id; registering it again is a replay; no
  // other partner can take it.
  EXPECT_FALSE(Ok(bank_ledger_.RegisterMerchantId(shop_, "M-FRESH-1")));
  EXPECT_TRUE(Ok(bank_ledger_.RegisterMerchantId(shop_, "M-FRESH-1")));
  absl::StatusOr<bool> taken = bank_ledger_.RegisterMerchantId(enroller_, "M-FRESH-1");
  ExpectError(taken.status(), absl::StatusCode::kAlreadyExists, "merchant_id");
  EXPECT_FALSE(Ok(bank_ledger_.RegisterMerchantId(shop_, "ACME, INC")));  // as acquirers print it
  ExpectError(bank_ledger_.RegisterMerchantId(shop_, "bad\x01id").status(),
              absl::StatusCode::kInvalidArgument, "merchant_id");
  ExpectError(bank_ledger_.RegisterMerchantId(shop_, std::string(33, 'm')).status(),
              absl::StatusCode::kInvalidArgument, "merchant_id");
  EXPECT_EQ(f_.Rows("merchant_ids"), 2);

  // 100.00 EUR at the partner's merchant id: 3 %, whatever the MCC's own rate.
  ClearingOutcome p1 = ExpectEarned(Purchase("m-1", 10'000, kMccGrocery, "M-FRESH-1"), 300);
  EXPECT_THAT(p1.reason, HasSubstr("partner merchant"));
  ExpectEarned(Purchase("m-2", 10'000, kMccNoRule, "M-FRESH-1"), 300);
  // A merchant id nobody registered: the MCC's rate, or the default.
  ExpectEarned(Purchase("m-3", 10'000, kMccGrocery, "ACQ-UNKNOWN"), 200);
  ExpectEarned(Purchase("m-4", 10'000, kMccNoRule, "ACQ-UNKNOWN"), 100);
  EXPECT_EQ(Balance(), 900);

  // Once the partner is suspended its merchant id no longer earns the partner rate.
  ASSERT_TRUE(f_.ledger().SuspendPartner("test", shop_, "contract ended").ok());
  ClearingOutcome s1 = ExpectEarned(Purchase("m-5", 10'000, kMccGrocery, "M-FRESH-1"), 200);
  EXPECT_EQ(s1.reason, "mcc 5411");
  ClearingOutcome s2 = ExpectEarned(Purchase("m-6", 10'000, kMccNoRule, "M-FRESH-1"), 100);
  EXPECT_EQ(s2.reason, "default rate");
  EXPECT_EQ(Balance(), 1'200);
}

TEST_F(BankRulesTest, FunderOfThePointsIsTheBank) {
  ClearingOutcome o = ExpectEarned(Purchase("f-1", 12'345, kMccGrocery), 246);
  const std::string lot_where = absl::StrCat(" FROM lots WHERE earn_txn_id = ", o.txn_id);
  EXPECT_EQ(f_.Query("SELECT COUNT(*)" + lot_where), 1);
  EXPECT_EQ(f_.Query("SELECT funder_id" + lot_where), bank_);
  EXPECT_EQ(f_.Query("SELECT points" + lot_where), 246);
  EXPECT_EQ(f_.Query("SELECT member_id" + lot_where), member_);
  // The earn is the bank's request, keyed by its clearing id, with the card amount.
  const std::string txn_where = absl::StrCat(" FROM txns WHERE id = ", o.txn_id);
  EXPECT_EQ(f_.Query("SELECT partner_id" + txn_where), bank_);
  EXPECT_EQ(f_.Query("SELECT COUNT(*)" + txn_where +
                     " AND partner_txn_id = 'clr:f-1' AND kind = 'earn' AND currency = 'EUR'"),
            1);
  EXPECT_EQ(f_.Query("SELECT amount_minor" + txn_where), 12'345);
  // Even at a partner's merchant id the bank funds the points, not the partner.
  ASSERT_FALSE(Ok(bank_ledger_.RegisterMerchantId(shop_, "M-FRESH-1")));
  ClearingOutcome at_partner = ExpectEarned(Purchase("f-2", 10'000, kMccGrocery, "M-FRESH-1"), 300);
  EXPECT_EQ(
      f_.Query(absl::StrCat("SELECT funder_id FROM lots WHERE earn_txn_id = ", at_partner.txn_id)),
      bank_);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT COUNT(*) FROM lots WHERE funder_id = ", shop_)), 0);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT SUM(points) FROM lots WHERE funder_id = ", bank_)), 546);
  // A refund takes the points back from the bank-funded lot.
  ExpectReversed(Refund("f-3", "f-1", 12'345), 246);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT remaining FROM lots WHERE earn_txn_id = ", o.txn_id)), 0);
}

// ---------------------------------------------------------------------------------------
// The monthly cap per card.

TEST_F(BankRulesTest, MonthlyCapAtItsBoundaryAndTheNextUtcMonth) {
  ASSERT_TRUE(bank_ledger_.SetRules("ops", bank_, StandardRules(/*cap=*/1'000)).ok());
  ASSERT_EQ(Ok(bank_ledger_.LinkCard(bank_, card_, kToken2)), member_);

  // February: 600, then 401 of which only 400 fit, then nothing.
  ExpectEarned(Purchase("feb-1", 60'000, kMccNoRule, "", Utc(2026, 2, 3, 9)), 600);
  ClearingOutcome over =
      ExpectEarned(Purchase("feb-2", 40'100, kMccNoRule, "", Utc(2026, 2, 4, 9)), 400);
  EXPECT_THAT(over.reason, HasSubstr("capped at 1000 points a month"));
  EXPECT_EQ(f_.Query("SELECT points FROM txns WHERE partner_txn_id = 'clr:feb-2'"), 400);
  ExpectNoEarn(Purchase("feb-3", 5'000, kMccNoRule, "", Utc(2026, 2, 5, 9)), "monthly cap reached");
  // Even one point is too many now.
  ExpectNoEarn(Purchase("feb-4", 100, kMccNoRule, "", Utc(2026, 2, 28, 23, 59, 59)),
               "monthly cap reached");
  // The cap is per card: the member's other card has its own 1000 in February.
  ExpectEarned(Purchase("feb-5", 20'000, kMccNoRule, "", Utc(2026, 2, 6, 9), kToken2), 200);
  EXPECT_EQ(Balance(), 1'200);

  // March: exactly reaching the cap is not capped; the first UTC microsecond and the
  // last one of the month both count to March.
  f_.clock().Set(Utc(2026, 3, 31, 23));
  ClearingOutcome m1 =
      ExpectEarned(Purchase("mar-1", 50'000, kMccNoRule, "", Utc(2026, 3, 1, 0)), 500);
  EXPECT_EQ(m1.reason, "default rate");
  const Micros last_of_march = Utc(2026, 4, 1, 0) - 1;
  ClearingOutcome m2 = ExpectEarned(Purchase("mar-2", 50'000, kMccNoRule, "", last_of_march), 500);
  EXPECT_EQ(m2.reason, "default rate");  // 500 + 500 = 1000: not capped
  ExpectNoEarn(Purchase("mar-3", 100, kMccNoRule, "", last_of_march), "monthly cap reached");
  EXPECT_EQ(ClearingRows("month_key = '2026-03'"), 3);

  // April resets. occurred_at 0 means "now": the hub's clock decides the month.
  f_.clock().Set(Utc(2026, 4, 1, 0, 0, 30));
  ExpectEarned(Purchase("apr-1", 100, kMccNoRule, "", /*at=*/0), 1);
  ExpectEarned(Purchase("apr-2", 99'900, kMccNoRule, "", Utc(2026, 4, 1, 0)), 999);
  ExpectNoEarn(Purchase("apr-3", 100, kMccNoRule, "", 0), "monthly cap reached");
  EXPECT_EQ(ClearingRows("month_key = '2026-04'"), 3);
  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM card_clearings WHERE clearing_id = 'apr-1' AND "
                     "occurred_at = " +
                     absl::StrCat(Utc(2026, 4, 1, 0, 0, 30))),
            1);
  // A late clearing of a February purchase still finds February full.
  ExpectNoEarn(Purchase("feb-late", 10'000, kMccNoRule, "", Utc(2026, 2, 27, 12)),
               "monthly cap reached");
  EXPECT_EQ(Balance(), 1'200 + 1'000 + 1'000);

  // The statement shows the cap.
  CardStatementView feb = Ok(bank_ledger_.Statement(bank_, kToken, "2026-02"));
  EXPECT_EQ(feb.monthly_cap_points, 1'000);
  EXPECT_EQ(feb.points_earned, 1'000);
  CardStatementView apr = Ok(bank_ledger_.Statement(bank_, kToken, "2026-04"));
  EXPECT_EQ(apr.points_earned, 1'000);
}

TEST_F(BankRulesTest, ExcludedAndZeroPointPurchasesDoNotUseTheCap) {
  ASSERT_TRUE(bank_ledger_.SetRules("ops", bank_, StandardRules(/*cap=*/100)).ok());
  ExpectNoEarn(Purchase("z-1", 1'000'000, kMccCash), "excluded");
  ExpectNoEarn(Purchase("z-2", 50, kMccNoRule), "earns 0 points");
  ExpectEarned(Purchase("z-3", 10'000, kMccNoRule), 100);
  ExpectNoEarn(Purchase("z-4", 100, kMccNoRule), "monthly cap reached");
  EXPECT_EQ(Balance(), 100);
}

TEST_F(BankRulesTest, ARefundReducesTheCapUsageOfItsPurchasesMonth) {
  ASSERT_TRUE(bank_ledger_.SetRules("ops", bank_, StandardRules(/*cap=*/1'000)).ok());
  f_.clock().Set(Utc(2026, 3, 10, 12));
  ExpectEarned(Purchase("a", 60'000, kMccNoRule, "", Utc(2026, 2, 3, 9)), 600);
  ExpectEarned(Purchase("b", 40'000, kMccNoRule, "", Utc(2026, 2, 4, 9)), 400);
  ExpectNoEarn(Purchase("c", 10'000, kMccNoRule, "", Utc(2026, 2, 5, 9)), "monthly cap reached");

  // Purchase a is refunded in March: February gets its 600 points back.
  ClearingOutcome r = ExpectReversed(Refund("r-a", "a", 60'000, Utc(2026, 3, 2, 9)), 600);
  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM card_clearings WHERE clearing_id = 'r-a' AND "
                     "month_key = '2026-02'"),
            1);
  // March is untouched by it: its own full cap, no more.
  ExpectEarned(Purchase("d", 100'000, kMccNoRule, "", Utc(2026, 3, 5, 9)), 1'000);
  ExpectNoEarn(Purchase("d2", 100, kMccNoRule, "", Utc(2026, 3, 5, 10)), "monthly cap reached");
  // February: 400 used, so 300 fit, then 300 of a 700-point purchase.
  ExpectEarned(Purchase("e", 30'000, kMccNoRule, "", Utc(2026, 2, 27, 9)), 300);
  ClearingOutcome capped =
      ExpectEarned(Purchase("g", 70'000, kMccNoRule, "", Utc(2026, 2, 27, 10)), 300);
  EXPECT_THAT(capped.reason, HasSubstr("capped"));
  // A partial refund frees its share: 10,000 of b's 40,000 reverse 100 of its 400 points.
  ExpectReversed(Refund("r-b", "b", 10'000, Utc(2026, 3, 6, 9)), 100);
  ClearingOutcome h = ExpectEarned(Purchase("h", 20'000, kMccNoRule, "", Utc(2026, 2, 28, 9)), 100);
  EXPECT_THAT(h.reason, HasSubstr("capped"));
  EXPECT_EQ(Balance(), 400 + 1'000 + 300 + 300 - 100 + 100);
  CardStatementView feb = Ok(bank_ledger_.Statement(bank_, kToken, "2026-02"));
  EXPECT_EQ(feb.points_earned, 600 + 400 + 300 + 300 + 100);
  EXPECT_EQ(feb.points_reversed, 700);
  EXPECT_EQ(feb.points_earned - feb.points_reversed, 1'000);
  (void)r;
}

// ---------------------------------------------------------------------------------------
// Cards and rules.

TEST_F(BankRulesTest, CardsThatAreNotLinkedEarnNothing) {
  ExpectNoEarn(Purchase("u-1", 10'000, kMccGrocery, "", kFeb, "tok-never-linked"),
               "card is not linked to a member");
  // Unlinked: no earn any more; the earlier purchase stays.
  ExpectEarned(Purchase("u-2", 10'000, kMccGrocery), 200);
  ASSERT_TRUE(bank_ledger_.UnlinkCard(bank_, kToken).ok());
  ExpectNoEarn(Purchase("u-3", 10'000, kMccGrocery), "card is not linked to a member");
  // Linked by another bank: this bank's clearing does not earn on it.
  const PartnerId bank2 = f_.AddPartner("bank2", 100, Role::kIssuer);
  ASSERT_TRUE(bank_ledger_.SetRules("ops", bank2, StandardRules()).ok());
  ASSERT_EQ(Ok(bank_ledger_.LinkCard(bank2, card_, "tok-of-bank2")), member_);
  ExpectNoEarn(Purchase("u-4", 10'000, kMccGrocery, "", kFeb, "tok-of-bank2"),
               "card is not linked to a member");
  EXPECT_EQ(Balance(), 200);
  EXPECT_EQ(ClearingRows("status = 'no_earn' AND member_id IS NULL"), 3);
}

TEST_F(BankRulesTest, LinkUnlinkAndList) {
  EXPECT_EQ(Ok(bank_ledger_.LinkCard(bank_, card_, kToken2)), member_);
  EXPECT_THAT(Ok(bank_ledger_.ListCards(card_)),
              ::testing::ElementsAre(std::string(kToken), std::string(kToken2)));
  // Linking again to the same member is fine; to another member it is refused.
  EXPECT_EQ(Ok(bank_ledger_.LinkCard(bank_, card_, kToken)), member_);
  const std::string other = f_.AddMember(enroller_);
  ExpectError(bank_ledger_.LinkCard(bank_, other, kToken).status(),
              absl::StatusCode::kAlreadyExists, "card");
  ExpectError(bank_ledger_.LinkCard(bank_, "12345", "tok-x").status(),
              absl::StatusCode::kInvalidArgument, "card_number");
  ExpectError(bank_ledger_.LinkCard(bank_, card_, "h:abc").status(),
              absl::StatusCode::kInvalidArgument, "card");
  ExpectError(bank_ledger_.LinkCard(bank_, card_, "bad token!").status(),
              absl::StatusCode::kInvalidArgument, "card");
  // Only the bank that linked a card unlinks it.
  const PartnerId bank2 = f_.AddPartner("bank2", 100, Role::kIssuer);
  ExpectError(bank_ledger_.UnlinkCard(bank2, kToken2), absl::StatusCode::kNotFound, "card");
  ASSERT_TRUE(bank_ledger_.UnlinkCard(bank_, kToken2).ok());
  ExpectError(bank_ledger_.UnlinkCard(bank_, kToken2), absl::StatusCode::kNotFound, "card");
  EXPECT_THAT(Ok(bank_ledger_.ListCards(card_)), ::testing::ElementsAre(std::string(kToken)));
  // An unlinked card can be linked to another member; its purchases earn there.
  const MemberId other_member = Ok(bank_ledger_.LinkCard(bank_, other, kToken2));
  EXPECT_NE(other_member, member_);
  ExpectEarned(Purchase("l-1", 10'000, kMccGrocery, "", kFeb, kToken2), 200);
  EXPECT_EQ(f_.Balance(other).balance, 200);
  EXPECT_EQ(Balance(), 0);
}

TEST_F(BankRulesTest, MissingRulesFailFailedPrecondition) {
  const PartnerId bank3 = f_.AddPartner("bank3", 100, Role::kIssuer);
  ExpectError(bank_ledger_.GetRules(bank3).status(), absl::StatusCode::kNotFound, "rules");
  ASSERT_EQ(Ok(bank_ledger_.LinkCard(bank3, card_, "tok-b3")), member_);
  ClearingParams p = Purchase("n-1", 10'000, kMccGrocery, "", kFeb, "tok-b3");
  p.bank_id = bank3;
  ExpectError(bank_ledger_.SubmitClearing(p).status(), absl::StatusCode::kFailedPrecondition,
              "rules");
  EXPECT_EQ(ClearingRows(absl::StrCat("bank_id = ", bank3)), 0);
  EXPECT_EQ(Balance(), 0);
  // Once rules exist the same record goes through (nothing was stored for it).
  ASSERT_TRUE(bank_ledger_.SetRules("ops", bank3, StandardRules()).ok());
  absl::StatusOr<ClearingOutcome> o = bank_ledger_.SubmitClearing(p);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->status, clearing_status::kEarned);
  EXPECT_EQ(o->points, 200);
  EXPECT_FALSE(o->replayed);
}

TEST_F(BankRulesTest, SetRulesValidatesEveryFieldAndOnlyForIssuers) {
  const int64_t audits_before =
      f_.Query("SELECT COUNT(*) FROM audit_log WHERE action = 'set_bank_earn_rules'");
  EXPECT_EQ(audits_before, 1);
  struct Case {
    const char* name;
    std::function<void(BankRulesRow&)> change;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"negative default", [](BankRulesRow& r) { r.default_rate_bp = -1; },
       "rules.default_rate_bp"},
      {"default over 100 %", [](BankRulesRow& r) { r.default_rate_bp = 10'001; },
       "rules.default_rate_bp"},
      {"negative partner rate", [](BankRulesRow& r) { r.partner_merchant_rate_bp = -5; },
       "rules.partner_merchant_rate_bp"},
      {"partner rate over 100 %", [](BankRulesRow& r) { r.partner_merchant_rate_bp = 10'001; },
       "rules.partner_merchant_rate_bp"},
      {"negative cap", [](BankRulesRow& r) { r.monthly_cap_points = -1; },
       "rules.monthly_cap_points"},
      {"mcc over 9999",
       [](BankRulesRow& r) {
         r.mcc_rules.push_back({10'000, 100, false});
       },
       "rules.mcc_rules.mcc"},
      {"negative mcc",
       [](BankRulesRow& r) {
         r.mcc_rules.push_back({-1, 100, false});
       },
       "rules.mcc_rules.mcc"},
      {"mcc rate over 100 %",
       [](BankRulesRow& r) {
         r.mcc_rules.push_back({5300, 10'001, false});
       },
       "rules.mcc_rules.rate_bp"},
      {"negative mcc rate",
       [](BankRulesRow& r) {
         r.mcc_rules.push_back({5300, -1, false});
       },
       "rules.mcc_rules.rate_bp"},
      {"duplicate mcc",
       [](BankRulesRow& r) {
         r.mcc_rules.push_back({kMccGrocery, 300, false});
       },
       "rules.mcc_rules.mcc"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    BankRulesRow r = StandardRules();
    c.change(r);
    ExpectError(bank_ledger_.SetRules("ops", bank_, r), absl::StatusCode::kInvalidArgument,
                c.field);
  }
  // The bounds themselves are fine.
  BankRulesRow edge;
  edge.default_rate_bp = 0;
  edge.partner_merchant_rate_bp = 10'000;
  edge.mcc_rules = {{0, 10'000, false}, {9999, 0, false}};
  EXPECT_TRUE(bank_ledger_.SetRules("ops", bank_, edge).ok());

  // Only issuer partners have bank rules.
  ExpectError(bank_ledger_.SetRules("ops", shop_, StandardRules()),
              absl::StatusCode::kFailedPrecondition, "bank_partner_id");
  ExpectError(bank_ledger_.GetRules(shop_).status(), absl::StatusCode::kFailedPrecondition,
              "bank_partner_id");
  ExpectError(bank_ledger_.SetRules("ops", 987'654, StandardRules()), absl::StatusCode::kNotFound,
              "bank_partner_id");
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT COUNT(*) FROM bank_earn_rules WHERE bank_id = ", shop_)),
            0);

  // The rules as stored: the last valid set, MCC rules by code; a new set replaces them.
  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM audit_log WHERE action = 'set_bank_earn_rules'"), 2);
  BankRulesRow stored = Ok(bank_ledger_.GetRules(bank_));
  EXPECT_EQ(stored.default_rate_bp, 0);
  EXPECT_EQ(stored.partner_merchant_rate_bp, 10'000);
  EXPECT_EQ(stored.monthly_cap_points, 0);
  ASSERT_EQ(stored.mcc_rules.size(), 2u);
  EXPECT_EQ(stored.mcc_rules[0].mcc, 0);
  EXPECT_EQ(stored.mcc_rules[1].mcc, 9999);
  ASSERT_TRUE(bank_ledger_.SetRules("ops", bank_, StandardRules(/*cap=*/5'000)).ok());
  stored = Ok(bank_ledger_.GetRules(bank_));
  EXPECT_EQ(stored.default_rate_bp, kDefaultBp);
  EXPECT_EQ(stored.partner_merchant_rate_bp, kPartnerBp);
  EXPECT_EQ(stored.monthly_cap_points, 5'000);
  ASSERT_EQ(stored.mcc_rules.size(), 4u);
  EXPECT_EQ(stored.mcc_rules[0].mcc, kMccUtilities);
  EXPECT_TRUE(stored.mcc_rules[0].excluded);
  EXPECT_EQ(stored.mcc_rules[1].mcc, kMccGrocery);
  EXPECT_EQ(stored.mcc_rules[1].rate_bp, 200);
  EXPECT_FALSE(stored.mcc_rules[1].excluded);
  EXPECT_EQ(stored.mcc_rules[3].mcc, kMccCash);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT COUNT(*) FROM bank_mcc_rules WHERE bank_id = ", bank_)),
            4);
  // New rules apply to the next purchase.
  ExpectEarned(Purchase("s-1", 10'000, kMccGrocery), 200);
}

TEST_F(BankRulesTest, SubmitClearingValidatesEveryFieldAndPostsNothing) {
  struct Case {
    const char* name;
    std::function<void(ClearingParams&)> change;
    absl::StatusCode code;
    const char* field;
  };
  const std::vector<Case> cases = {
      {"empty id", [](ClearingParams& p) { p.clearing_id = ""; },
       absl::StatusCode::kInvalidArgument, "clearing_id"},
      {"bad id", [](ClearingParams& p) { p.clearing_id = "a b"; },
       absl::StatusCode::kInvalidArgument, "clearing_id"},
      {"long id", [](ClearingParams& p) { p.clearing_id = std::string(61, 'c'); },
       absl::StatusCode::kInvalidArgument, "clearing_id"},
      {"no card", [](ClearingParams& p) { p.card_ref = ""; }, absl::StatusCode::kInvalidArgument,
       "card"},
      {"bad hashed ref", [](ClearingParams& p) { p.card_ref = "h:1234"; },
       absl::StatusCode::kInvalidArgument, "card"},
      {"zero amount", [](ClearingParams& p) { p.amount_minor = 0; },
       absl::StatusCode::kInvalidArgument, "amount.amount_minor"},
      {"negative amount", [](ClearingParams& p) { p.amount_minor = -500; },
       absl::StatusCode::kInvalidArgument, "amount.amount_minor"},
      {"unknown currency", [](ClearingParams& p) { p.currency = "EURO"; },
       absl::StatusCode::kInvalidArgument, "amount.currency"},
      {"other currency", [](ClearingParams& p) { p.currency = "USD"; },
       absl::StatusCode::kInvalidArgument, "amount.currency"},
      {"mcc 10000", [](ClearingParams& p) { p.mcc = 10'000; }, absl::StatusCode::kInvalidArgument,
       "mcc"},
      {"negative mcc", [](ClearingParams& p) { p.mcc = -1; }, absl::StatusCode::kInvalidArgument,
       "mcc"},
      {"bad merchant", [](ClearingParams& p) { p.merchant_id = "shop\t#1"; },
       absl::StatusCode::kInvalidArgument, "merchant_id"},
      {"purchase naming a purchase", [](ClearingParams& p) { p.original_clearing_id = "x"; },
       absl::StatusCode::kInvalidArgument, "original_clearing_id"},
      {"refund naming nothing",
       [](ClearingParams& p) {
         p.refund = true;
         p.original_clearing_id = "";
       },
       absl::StatusCode::kInvalidArgument, "original_clearing_id"},
      {"occurred in 1999", [](ClearingParams& p) { p.occurred_at = Utc(1999, 12, 31, 0); },
       absl::StatusCode::kInvalidArgument, "occurred_at_micros"},
      {"occurred in 2100", [](ClearingParams& p) { p.occurred_at = Utc(2100, 1, 1, 0); },
       absl::StatusCode::kInvalidArgument, "occurred_at_micros"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ClearingParams p = Purchase("v-1", 10'000, kMccGrocery);
    c.change(p);
    ExpectError(bank_ledger_.SubmitClearing(p).status(), c.code, c.field);
  }
  EXPECT_EQ(ClearingRows(), 0);
  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM txns WHERE partner_txn_id LIKE 'clr:%'"), 0);
  // A rejected record leaves its id free: the corrected record posts.
  ExpectEarned(Purchase("v-1", 10'000, kMccGrocery), 200);
}

TEST_F(BankRulesTest, CardReferencesAreTokensOrHashedPans) {
  const std::string hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  for (const std::string& good : {std::string("tok-1"), "h:" + hex, "h:" + std::string(64, 'f')}) {
    SCOPED_TRACE(good);
    EXPECT_TRUE(ValidateCardRef("card", good).ok()) << ValidateCardRef("card", good);
  }
  // Not a token, or not "h:" + 64 hex digits (bank_ledger.h: "a hashed PAN reference
  // ("h:" + 64 hex)"; HMAC-SHA-256 in lower-case hex is nothing else). The last three
  // have the right length but other characters after "h:".
  const std::vector<std::string> bad = {"",
                                        std::string(65, 't'),
                                        "bad token!",
                                        "h:" + hex + "a",
                                        "h:" + hex.substr(1),
                                        "h:" + std::string(64, 'z'),
                                        "h:" + hex.substr(2) + " '",
                                        "h:" + std::string(64, ':')};
  for (const std::string& ref : bad) {
    SCOPED_TRACE(absl::StrCat("ref '", ref, "'"));
    ExpectError(ValidateCardRef("card", ref), absl::StatusCode::kInvalidArgument, "card");
  }
  // And so LinkCard refuses such a reference rather than storing it.
  ExpectError(bank_ledger_.LinkCard(bank_, card_, "h:" + std::string(64, 'z')).status(),
              absl::StatusCode::kInvalidArgument, "card");
  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM card_links WHERE card_ref LIKE 'h:zz%'"), 0);
}

// ---------------------------------------------------------------------------------------
// Idempotency.

TEST_F(BankRulesTest, ReplayReturnsTheOriginalResultAndWritesNothing) {
  const ClearingParams p = Purchase("i-1", 12'345, kMccGrocery, "ACQ-9");
  const ClearingOutcome first = ExpectEarned(p, 246);
  const std::vector<std::string> tables = {"txns",           "lots",  "transfers", "consumptions",
                                           "card_clearings", "debts", "audit_log"};
  std::vector<int64_t> before;
  for (const std::string& t : tables) before.push_back(f_.Rows(t));

  f_.clock().Advance(3'600 * ::loyalty::testing::kSecond);
  ClearingOutcome again = Submit(p);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.status, clearing_status::kEarned);
  EXPECT_EQ(again.points, 246);
  EXPECT_EQ(again.txn_id, first.txn_id);
  EXPECT_EQ(again.reason, first.reason);
  // Even after the rules changed, the replay answers what was posted.
  BankRulesRow doubled = StandardRules();
  doubled.mcc_rules[1].rate_bp = 400;
  ASSERT_TRUE(bank_ledger_.SetRules("ops", bank_, doubled).ok());
  before[6] += 1;  // that SetRules is audited
  again = Submit(p);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.points, 246);
  EXPECT_EQ(again.txn_id, first.txn_id);
  for (size_t i = 0; i < tables.size(); ++i) {
    EXPECT_EQ(f_.Rows(tables[i]), before[i]) << tables[i];
  }
  EXPECT_EQ(Balance(), 246);

  // The same clearing id with other content is refused, naming clearing_id.
  std::vector<ClearingParams> conflicts;
  for (int i = 0; i < 6; ++i) conflicts.push_back(p);
  conflicts[0].amount_minor = 12'346;
  conflicts[1].mcc = kMccRestaurant;
  conflicts[2].merchant_id = "ACQ-10";
  conflicts[3].card_ref = kToken2;
  conflicts[4].occurred_at = kFeb + 1;
  conflicts[5].refund = true;
  conflicts[5].original_clearing_id = "i-0";
  for (const ClearingParams& c : conflicts) {
    absl::StatusOr<ClearingOutcome> o = bank_ledger_.SubmitClearing(c);
    ExpectError(o.status(), absl::StatusCode::kAlreadyExists, "clearing_id");
    EXPECT_THAT(std::string(o.status().message()), HasSubstr("'i-1'"));
  }
  for (size_t i = 0; i < tables.size(); ++i) {
    EXPECT_EQ(f_.Rows(tables[i]), before[i]) << tables[i];
  }

  // Outcomes without points replay just the same.
  const ClearingOutcome cash = ExpectNoEarn(Purchase("i-2", 5'000, kMccCash), "excluded");
  ClearingOutcome cash_again = Submit(Purchase("i-2", 5'000, kMccCash));
  EXPECT_TRUE(cash_again.replayed);
  EXPECT_EQ(cash_again.status, clearing_status::kNoEarn);
  EXPECT_EQ(cash_again.reason, cash.reason);
  const ClearingOutcome refund =
      ExpectReversed(Refund("i-3", "i-1", 6'000), 119);  // 246 x 6000/12345
  ClearingOutcome refund_again = Submit(Refund("i-3", "i-1", 6'000));
  EXPECT_TRUE(refund_again.replayed);
  EXPECT_EQ(refund_again.status, clearing_status::kReversed);
  EXPECT_EQ(refund_again.points, 119);
  EXPECT_EQ(refund_again.txn_id, refund.txn_id);
  ClearingOutcome unmatched = Submit(Refund("i-4", "nope", 100));
  EXPECT_EQ(unmatched.status, clearing_status::kUnmatched);
  unmatched = Submit(Refund("i-4", "nope", 100));
  EXPECT_TRUE(unmatched.replayed);
  EXPECT_EQ(unmatched.status, clearing_status::kUnmatched);
  EXPECT_EQ(Balance(), 246 - 119);
  EXPECT_EQ(f_.Query("SELECT refunded_amount_minor FROM card_clearings WHERE clearing_id = 'i-1'"),
            6'000);
  EXPECT_EQ(f_.Query("SELECT COUNT(*) FROM txns WHERE partner_txn_id LIKE 'clr:%'"), 2);
}

TEST_F(BankRulesTest, ClearingIdsArePerBank) {
  const PartnerId bank2 = f_.AddPartner("bank2", 100, Role::kIssuer);
  ASSERT_TRUE(bank_ledger_.SetRules("ops", bank2, StandardRules()).ok());
  ASSERT_EQ(Ok(bank_ledger_.LinkCard(bank2, card_, "tok-of-bank2")), member_);
  ExpectEarned(Purchase("same-id", 10'000, kMccGrocery), 200);
  ClearingParams other = Purchase("same-id", 5'000, kMccNoRule, "", kFeb, "tok-of-bank2");
  other.bank_id = bank2;
  ExpectEarned(other, 50);
  EXPECT_EQ(Balance(), 250);
}

// ---------------------------------------------------------------------------------------
// Refunds.

TEST_F(BankRulesTest, FullRefundReversesEverythingAndRestoresTheBalance) {
  ExpectEarned(Purchase("p-0", 5'000, kMccGrocery), 100);
  const ClearingOutcome p = ExpectEarned(Purchase("p-1", 12'345, kMccGrocery), 246);
  EXPECT_EQ(Balance(), 346);
  const ClearingOutcome r = ExpectReversed(Refund("r-1", "p-1", 12'345), 246);
  EXPECT_EQ(r.reason, "refund of 12345 of 12345");
  EXPECT_EQ(Balance(), 100);
  EXPECT_EQ(f_.Balance(card_).debt, 0);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT reversed_points FROM txns WHERE id = ", p.txn_id)), 246);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT original_txn_id FROM txns WHERE id = ", r.txn_id)),
            p.txn_id);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT COUNT(*) FROM txns WHERE id = ", r.txn_id,
                                  " AND kind = 'reverse_earn' AND partner_txn_id = 'clr:r-1'")),
            1);
  EXPECT_EQ(f_.Query("SELECT refunded_amount_minor FROM card_clearings WHERE clearing_id = 'p-1'"),
            12'345);
  EXPECT_EQ(ClearingRows("clearing_id = 'r-1' AND type = 'refund' AND status = 'reversed' AND "
                         "points = 246 AND original_clearing_id = 'p-1'"),
            1);
  // Nothing is left to refund.
  ExpectError(bank_ledger_.SubmitClearing(Refund("r-2", "p-1", 1)).status(),
              absl::StatusCode::kInvalidArgument, "amount.amount_minor");
}

TEST_F(BankRulesTest, PartialRefundsReverseTheFloorOfTheirShareAndTheLastOneTheRest) {
  // 99.99 EUR at 2 % = 199 points (199.98).
  ExpectEarned(Purchase("p-2", 9'999, kMccGrocery), 199);
  // 50.00 of 99.99: floor(199 x 5000 / 9999) = floor(99.5) = 99.
  ClearingOutcome a = ExpectReversed(Refund("r-2a", "p-2", 5'000), 99);
  EXPECT_EQ(a.reason, "refund of 5000 of 9999");
  EXPECT_EQ(Balance(), 100);
  // The remaining 49.99 completes the amount: all that is left, 100 (not floor(99.49)).
  ExpectReversed(Refund("r-2b", "p-2", 4'999), 100);
  EXPECT_EQ(Balance(), 0);

  // Three partial refunds of 100.00 EUR at 1 % (100 points): 33 + 33 + the last 34.
  ExpectEarned(Purchase("p-3", 10'000, kMccNoRule), 100);
  ExpectReversed(Refund("r-3a", "p-3", 3'333), 33);
  ExpectReversed(Refund("r-3b", "p-3", 3'333), 33);
  ExpectReversed(Refund("r-3c", "p-3", 3'334), 34);
  EXPECT_EQ(Balance(), 0);
  EXPECT_EQ(f_.Query("SELECT SUM(points) FROM card_clearings WHERE original_clearing_id = 'p-3'"),
            100);
  EXPECT_EQ(f_.Query("SELECT reversed_points FROM txns WHERE partner_txn_id = 'clr:p-3'"), 100);

  // A refund too small for a whole point reverses nothing, but counts toward the amount.
  ExpectEarned(Purchase("p-4", 10'000, kMccNoRule), 100);
  ClearingOutcome tiny = ExpectNoEarn(Refund("r-4a", "p-4", 50), "nothing left to reverse");
  (void)tiny;
  ExpectReversed(Refund("r-4b", "p-4", 9'950), 100);
  EXPECT_EQ(Balance(), 0);
}

TEST_F(BankRulesTest, RefundLargerThanWhatIsLeftIsRejectedNamingTheAmount) {
  ExpectEarned(Purchase("p-5", 10'000, kMccNoRule), 100);
  ExpectReversed(Refund("r-5a", "p-5", 6'000), 60);
  const int64_t rows = ClearingRows();
  absl::StatusOr<ClearingOutcome> too_much =
      bank_ledger_.SubmitClearing(Refund("r-5b", "p-5", 5'000));
  ExpectError(too_much.status(), absl::StatusCode::kInvalidArgument, "amount.amount_minor");
  EXPECT_THAT(std::string(too_much.status().message()), HasSubstr("4000"));
  EXPECT_EQ(ClearingRows(), rows);
  EXPECT_EQ(f_.Query("SELECT refunded_amount_minor FROM card_clearings WHERE clearing_id = 'p-5'"),
            6'000);
  EXPECT_EQ(Balance(), 40);
  // What is left can still be refunded (under the same, unused id).
  ExpectReversed(Refund("r-5b", "p-5", 4'000), 40);
  // More than the whole purchase at once.
  ExpectEarned(Purchase("p-6", 1'000, kMccNoRule), 10);
  ExpectError(bank_ledger_.SubmitClearing(Refund("r-6", "p-6", 1'001)).status(),
              absl::StatusCode::kInvalidArgument, "amount.amount_minor");
  EXPECT_EQ(Balance(), 10);
}

TEST_F(BankRulesTest, UnmatchedRefundIsHeldForReviewNotGuessed) {
  ExpectEarned(Purchase("p-7", 10'000, kMccNoRule), 100);
  const int64_t txns = f_.Rows("txns");
  ClearingOutcome u = Submit(Refund("r-7", "no-such-purchase", 10'000));
  EXPECT_EQ(u.status, clearing_status::kUnmatched);
  EXPECT_EQ(u.points, 0);
  EXPECT_EQ(u.txn_id, 0);
  EXPECT_FALSE(u.replayed);
  EXPECT_THAT(u.reason, HasSubstr("no-such-purchase"));
  EXPECT_THAT(u.reason, HasSubstr("held for review"));
  // A refund naming a refund is not a purchase either.
  ExpectReversed(Refund("r-7a", "p-7", 1'000), 10);
  ClearingOutcome u2 = Submit(Refund("r-7b", "r-7a", 100));
  EXPECT_EQ(u2.status, clearing_status::kUnmatched);
  // Both are listed for review; nothing moved for them.
  EXPECT_EQ(ClearingRows(absl::StrCat("bank_id = ", bank_, " AND status = 'unmatched_refund'")), 2);
  EXPECT_EQ(ClearingRows("status = 'unmatched_refund' AND clearing_id IN ('r-7', 'r-7b') AND "
                         "type = 'refund' AND points = 0 AND hub_txn_id = 0"),
            2);
  EXPECT_EQ(f_.Rows("txns"), txns + 1);  // only r-7a's reversal
  EXPECT_EQ(Balance(), 90);
  // A purchase arriving later under that id does not resolve the held refund by itself.
  ExpectEarned(Purchase("no-such-purchase", 10'000, kMccNoRule), 100);
  EXPECT_EQ(ClearingRows("clearing_id = 'r-7' AND status = 'unmatched_refund'"), 1);
  EXPECT_EQ(f_.Query("SELECT refunded_amount_minor FROM card_clearings WHERE clearing_id = "
                     "'no-such-purchase'"),
            0);
  EXPECT_EQ(Balance(), 190);
}

TEST_F(BankRulesTest, RefundWithAnotherCardIsRejected) {
  ASSERT_EQ(Ok(bank_ledger_.LinkCard(bank_, card_, kToken2)), member_);
  ExpectEarned(Purchase("p-8", 10'000, kMccNoRule), 100);
  ExpectError(bank_ledger_.SubmitClearing(Refund("r-8", "p-8", 10'000, kFeb, kToken2)).status(),
              absl::StatusCode::kInvalidArgument, "card");
  ExpectError(
      bank_ledger_.SubmitClearing(Refund("r-8", "p-8", 10'000, kFeb, "tok-stranger")).status(),
      absl::StatusCode::kInvalidArgument, "card");
  EXPECT_EQ(ClearingRows("type = 'refund'"), 0);
  EXPECT_EQ(Balance(), 100);
  ExpectReversed(Refund("r-8", "p-8", 10'000), 100);
}

TEST_F(BankRulesTest, RefundOfAPurchaseThatEarnedNothing) {
  ExpectNoEarn(Purchase("p-9", 10'000, kMccCash), "excluded");
  ClearingOutcome r = ExpectNoEarn(Refund("r-9", "p-9", 4'000), "the purchase earned no points");
  (void)r;
  EXPECT_EQ(f_.Query("SELECT refunded_amount_minor FROM card_clearings WHERE clearing_id = 'p-9'"),
            4'000);
  ExpectError(bank_ledger_.SubmitClearing(Refund("r-9b", "p-9", 6'001)).status(),
              absl::StatusCode::kInvalidArgument, "amount.amount_minor");
}

TEST_F(BankRulesTest, RefundAfterTheMemberSpentThePointsLeavesADebtToTheBank) {
  ExpectEarned(Purchase("p-10", 12'345, kMccGrocery), 246);
  ASSERT_TRUE(f_.Redeem(shop_, card_, 200).ok());
  EXPECT_EQ(Balance(), 46);
  ExpectReversed(Refund("r-10", "p-10", 12'345), 246);
  BalanceView b = f_.Balance(card_);
  EXPECT_EQ(b.balance, -200);
  EXPECT_EQ(b.debt, 200);
  EXPECT_EQ(f_.Query(absl::StrCat("SELECT SUM(outstanding) FROM debts WHERE funder_id = ", bank_)),
            200);
  // The next bank earn repays the debt first.
  ExpectEarned(Purchase("p-11", 10'000, kMccGrocery), 200);
  b = f_.Balance(card_);
  EXPECT_EQ(b.balance, 0);
  EXPECT_EQ(b.debt, 0);
}

// ---------------------------------------------------------------------------------------
// The statement.

TEST_F(BankRulesTest, StatementPerCardAndMonthByMerchant) {
  ASSERT_FALSE(Ok(bank_ledger_.RegisterMerchantId(shop_, "M-FRESH-1")));
  ASSERT_EQ(Ok(bank_ledger_.LinkCard(bank_, card_, kToken2)), member_);
  f_.clock().Set(Utc(2026, 3, 10, 12));
  // February on kToken.
  ExpectEarned(Purchase("s-1", 10'000, kMccGrocery, "M-FRESH-1", Utc(2026, 2, 1, 0)), 300);
  ExpectEarned(Purchase("s-2", 5'000, kMccGrocery, "M-FRESH-1", Utc(2026, 2, 14, 18)), 150);
  ExpectReversed(Refund("s-3", "s-2", 5'000, Utc(2026, 3, 2, 9), kToken, "M-FRESH-1"), 150);
  ExpectEarned(Purchase("s-4", 20'000, kMccRestaurant, "ACQ-77", Utc(2026, 2, 20, 20)), 300);
  ExpectNoEarn(Purchase("s-5", 10'000, kMccCash, "ATM-1", Utc(2026, 2, 21, 8)), "excluded");
  ExpectEarned(Purchase("s-6", 3'000, kMccNoRule, "ACQ-77", Utc(2026, 2, 28, 23, 59, 59)), 30);
  // Not in February's statement of kToken: an unmatched refund, another month, another card.
  EXPECT_EQ(Submit(Refund("s-7", "s-404", 500, Utc(2026, 2, 22, 0), kToken, "ACQ-77")).status,
            clearing_status::kUnmatched);
  ExpectEarned(Purchase("s-8", 10'000, kMccRestaurant, "ACQ-77", Utc(2026, 3, 1, 0)), 150);
  ExpectEarned(Purchase("s-9", 10'000, kMccRestaurant, "ACQ-77", Utc(2026, 2, 5, 0), kToken2), 150);

  CardStatementView s = Ok(bank_ledger_.Statement(bank_, kToken, "2026-02"));
  EXPECT_EQ(s.card_ref, kToken);
  EXPECT_EQ(s.month, "2026-02");
  EXPECT_EQ(s.currency, "EUR");
  EXPECT_EQ(s.monthly_cap_points, 0);
  ASSERT_EQ(s.lines.size(), 3u);
  const StatementLineView& acq = s.lines[0];
  EXPECT_EQ(acq.merchant_id, "ACQ-77");
  EXPECT_EQ(acq.partner_id, 0);
  EXPECT_EQ(acq.purchases, 2);
  EXPECT_EQ(acq.amount_minor, 23'000);
  EXPECT_EQ(acq.points_earned, 330);
  EXPECT_EQ(acq.points_reversed, 0);
  const StatementLineView& atm = s.lines[1];
  EXPECT_EQ(atm.merchant_id, "ATM-1");
  EXPECT_EQ(atm.partner_id, 0);
  EXPECT_EQ(atm.purchases, 1);
  EXPECT_EQ(atm.amount_minor, 10'000);
  EXPECT_EQ(atm.points_earned, 0);
  EXPECT_EQ(atm.points_reversed, 0);
  const StatementLineView& fresh = s.lines[2];
  EXPECT_EQ(fresh.merchant_id, "M-FRESH-1");
  EXPECT_EQ(fresh.partner_id, shop_);
  EXPECT_EQ(fresh.purchases, 2);
  EXPECT_EQ(fresh.amount_minor, 10'000);  // 15,000 bought, 5,000 refunded
  EXPECT_EQ(fresh.points_earned, 450);
  EXPECT_EQ(fresh.points_reversed, 150);
  EXPECT_EQ(s.points_earned, 780);
  EXPECT_EQ(s.points_reversed, 150);

  CardStatementView mar = Ok(bank_ledger_.Statement(bank_, kToken, "2026-03"));
  ASSERT_EQ(mar.lines.size(), 1u);
  EXPECT_EQ(mar.lines[0].merchant_id, "ACQ-77");
  EXPECT_EQ(mar.lines[0].purchases, 1);
  EXPECT_EQ(mar.points_earned, 150);
  EXPECT_EQ(mar.points_reversed, 0);
  CardStatementView other_card = Ok(bank_ledger_.Statement(bank_, kToken2, "2026-02"));
  ASSERT_EQ(other_card.lines.size(), 1u);
  EXPECT_EQ(other_card.points_earned, 150);
  // An empty month, another bank's view, a malformed month.
  CardStatementView jan = Ok(bank_ledger_.Statement(bank_, kToken, "2026-01"));
  EXPECT_TRUE(jan.lines.empty());
  EXPECT_EQ(jan.points_earned, 0);
  const PartnerId bank2 = f_.AddPartner("bank2", 100, Role::kIssuer);
  EXPECT_TRUE(Ok(bank_ledger_.Statement(bank2, kToken, "2026-02")).lines.empty());
  for (const char* bad : {"2026-13", "2026-00", "2026-2", "2026/02", "26-02", "2026-02x", ""}) {
    SCOPED_TRACE(bad);
    ExpectError(bank_ledger_.Statement(bank_, kToken, bad).status(),
                absl::StatusCode::kInvalidArgument, "month");
  }
  ExpectError(bank_ledger_.Statement(bank_, "bad token!", "2026-02").status(),
              absl::StatusCode::kInvalidArgument, "card");
  EXPECT_EQ(Balance(), 300 + 150 - 150 + 300 + 30 + 150 + 150);
}

}  // namespace
}  // namespace loyalty
