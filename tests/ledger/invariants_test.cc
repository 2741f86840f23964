// The invariant check (Ledger::CheckInvariants, docs/ledger.md "Invariants") against
// rows changed behind the ledger's back, as a bad restore or a hand edit would leave
// them: every journal transfer, lot and consumption belongs to an existing txn (and lot),
// and every txn's transfers add up to what its kind posts. Each violation is one line,
// "<rule>: <label>=<value> ...", naming the rows.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class InvariantsTest : public ::testing::Test {
 protected:
  InvariantsTest()
      : grocer(f.AddPartner("grocery", 500)),
        cinema(f.AddPartner("cinema", 500)),
        card(f.AddMember(grocer)) {}

  std::vector<std::string> Violations() {
    auto v = f.ledger().CheckInvariants();
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : std::vector<std::string>{};
  }
  // The id of the only transfer txn `txn` posted.
  int64_t TransferOf(TxnId txn) {
    return f.Query(absl::StrCat("SELECT id FROM transfers WHERE txn_id = ", txn));
  }
  int64_t ConsumptionOf(TxnId txn) {
    return f.Query(absl::StrCat("SELECT id FROM consumptions WHERE txn_id = ", txn));
  }

  LedgerFixture f;
  PartnerId grocer;
  PartnerId cinema;
  std::string card;
};

// Earn, redeem, authorize + capture, authorize + void, both reversals, credit and debit
// adjustments, a bearer card's merge and an expiry sweep: each posts what its kind
// posts, so the check finds nothing.
TEST_F(InvariantsTest, SoundLedgerAfterEveryKindOfPostingReportsNothing) {
  Ok(f.EarnPoints(grocer, card, 500, "e-1"));
  Ok(f.Earn(grocer, card, 0));  // 0 points: a txn without a transfer
  Ok(f.Redeem(cinema, card, 100, "r-1"));
  Ok(f.Authorize(cinema, card, 80, "a-1"));
  Ok(f.Capture(cinema, "a-1", 60));
  Ok(f.Authorize(cinema, card, 40, "a-2"));
  Ok(f.Void(cinema, "a-2"));
  Ok(f.Reverse(grocer, "e-1", 50));
  Ok(f.Reverse(cinema, "r-1", 30));
  Ok(f.Adjust(card, 25));
  Ok(f.Adjust(card, -15));
  const std::string bearer = Ok(f.ledger().IssueBearerCards("ops", 1)).at(0);
  Ok(f.EarnPoints(grocer, bearer, 70));
  Ok(f.ledger().RegisterBearerCard(f.Request(grocer), card, bearer));
  f.clock().Advance(400 * kDay);  // past every lot's 12-month expiry
  EXPECT_GT(Ok(f.ledger().RunExpiry()).points_expired, 0);
  EXPECT_EQ(f.Balance(card).balance, 0);

  EXPECT_GE(f.Query("SELECT COUNT(DISTINCT kind) FROM txns"), 11);
  EXPECT_THAT(Violations(), IsEmpty());
}

// The gap the check used to miss: a txns row deleted behind the ledger leaves its
// transfer, lot and consumptions orphaned while every balance still adds up.
TEST_F(InvariantsTest, DeletedTxnOrphansItsTransfersLotAndConsumptions) {
  const Posting earn = Ok(f.EarnPoints(grocer, card, 300));
  const Posting redeem = Ok(f.Redeem(cinema, card, 100));
  const LotId lot = f.LotOf(earn);
  ASSERT_THAT(Violations(), IsEmpty());

  f.db().Execute(
      absl::StrCat("DELETE FROM txns WHERE id IN (", earn.txn_id, ", ", redeem.txn_id, ")"));
  EXPECT_THAT(Violations(),
              UnorderedElementsAre(
                  absl::StrCat("transfer of a missing txn: transfer=", TransferOf(earn.txn_id),
                               " txn=", earn.txn_id),
                  absl::StrCat("transfer of a missing txn: transfer=", TransferOf(redeem.txn_id),
                               " txn=", redeem.txn_id),
                  absl::StrCat("lot of a missing txn: lot=", lot, " txn=", earn.txn_id),
                  absl::StrCat("consumption of a missing txn: consumption=",
                               ConsumptionOf(redeem.txn_id), " txn=", redeem.txn_id)));
}

// A journal entry no txn explains, between two partner accounts so that no balance
// notices it: only the orphan rule does.
TEST_F(InvariantsTest, ReportsAnOrphanTransfer) {
  Ok(f.EarnPoints(grocer, card, 300));
  const int64_t missing = f.Query("SELECT MAX(id) + 1000 FROM txns");
  f.db().Execute(absl::StrCat(
      "INSERT INTO transfers (txn_id, debit_account, credit_account, points, posted_at)"
      " VALUES (",
      missing, ", 'partner_issued:", grocer, "', 'partner_redeemed:", cinema, "', 5, ",
      f.clock().NowMicros(), ")"));
  const int64_t transfer = f.Query("SELECT MAX(id) FROM transfers");
  EXPECT_THAT(Violations(), ElementsAre(absl::StrCat("transfer of a missing txn: transfer=",
                                                     transfer, " txn=", missing)));
}

// The running total a bank card's monthly cap reads (card_month_points) must match the
// card's clearing rows.
TEST_F(InvariantsTest, ReportsACardMonthlyTotalThatDiffersFromItsClearings) {
  f.db().Execute(
      "INSERT INTO card_month_points (card_ref, month_key, points) VALUES ('ref-1', '2026-01', "
      "40)");
  EXPECT_THAT(Violations(),
              ElementsAre("card monthly points differ from the card's clearings: card=ref-1 "
                          "month=2026-01 counted=0 running_total=40"));
}

TEST_F(InvariantsTest, ReportsAnOrphanLot) {
  const MemberId member = Ok(f.EarnPoints(grocer, card, 300)).member_id;
  const int64_t missing = f.Query("SELECT MAX(id) + 1000 FROM txns");
  f.db().Execute(absl::StrCat(
      "INSERT INTO lots (member_id, funder_id, earn_txn_id, points, remaining, earned_at,"
      " expires_at) VALUES (",
      member, ", ", grocer, ", ", missing, ", 10, 10, ", f.clock().NowMicros(), ", ",
      f.clock().NowMicros() + 30 * kDay, ")"));
  const int64_t lot = f.Query("SELECT MAX(id) FROM lots");
  EXPECT_THAT(Violations(),
              Contains(absl::StrCat("lot of a missing txn: lot=", lot, " txn=", missing)));
}

TEST_F(InvariantsTest, ReportsAConsumptionOfAMissingLot) {
  const Posting earn = Ok(f.EarnPoints(grocer, card, 300));
  const Posting redeem = Ok(f.Redeem(cinema, card, 100));
  const LotId lot = f.LotOf(earn);
  f.db().Execute(absl::StrCat("DELETE FROM lots WHERE id = ", lot));
  EXPECT_THAT(Violations(), Contains(absl::StrCat("consumption of a missing lot: consumption=",
                                                  ConsumptionOf(redeem.txn_id), " lot=", lot)));
}

// A txn whose transfers are gone: it says points moved, the journal says none did.
TEST_F(InvariantsTest, ReportsATxnWhoseTransfersWereDeleted) {
  const Posting earn = Ok(f.EarnPoints(grocer, card, 300));
  const Posting debit = Ok(f.Adjust(card, -40));
  f.db().Execute(absl::StrCat("DELETE FROM transfers WHERE txn_id IN (", earn.txn_id, ", ",
                              debit.txn_id, ")"));
  const std::vector<std::string> v = Violations();
  EXPECT_THAT(v, Contains(absl::StrCat(
                     "txn transfers differ from what its kind and points post: txn=", earn.txn_id,
                     " kind=earn points=300 expected=300 transferred=0 transfers=0")));
  EXPECT_THAT(v, Contains(absl::StrCat(
                     "txn transfers differ from what its kind and points post: txn=", debit.txn_id,
                     " kind=adjust points=-40 expected=40 transferred=0 transfers=0")));
}

// A transfer moved to another txn: the redemption lost it, and an authorization, which
// only holds points, now claims to have moved some.
TEST_F(InvariantsTest, ReportsATransferOnAKindThatPostsNone) {
  Ok(f.EarnPoints(grocer, card, 300));
  const Posting redeem = Ok(f.Redeem(cinema, card, 100));
  const Posting auth = Ok(f.Authorize(cinema, card, 50));
  f.db().Execute(absl::StrCat("UPDATE transfers SET txn_id = ", auth.txn_id,
                              " WHERE txn_id = ", redeem.txn_id));
  EXPECT_THAT(
      Violations(),
      UnorderedElementsAre(
          absl::StrCat(
              "txn transfers differ from what its kind and points post: txn=", redeem.txn_id,
              " kind=redeem points=100 expected=100 transferred=0 transfers=0"),
          absl::StrCat("txn transfers differ from what its kind and points post: txn=", auth.txn_id,
                       " kind=authorize points=50 expected=0 transferred=100 transfers=1")));
}

// A kind the check does not classify is reported rather than passed over: whoever adds
// a kind to the ledger states what it posts (hub/store/mysql_invariants.cc).
TEST_F(InvariantsTest, ReportsATxnOfAnUnknownKind) {
  const Posting earn = Ok(f.EarnPoints(grocer, card, 300));
  f.db().Execute(absl::StrCat("UPDATE txns SET kind = 'gift' WHERE id = ", earn.txn_id));
  EXPECT_THAT(Violations(),
              ElementsAre(absl::StrCat(
                  "txn transfers differ from what its kind and points post: txn=", earn.txn_id,
                  " kind=gift points=300 expected=NULL transferred=300 transfers=1")));
}

}  // namespace
}  // namespace loyalty::testing
