// Settlement on a real database: a hand-computed month per commercial model (every line,
// position and payment to the cent), closing and finalizing, late entries, and errors.
// The figures are worked out in the comments from DESIGN.md section 7.
#include <string>

#include "gtest/gtest.h"
#include "settlement/json.h"
#include "settlement/period.h"
#include "settlement/run.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

using settlement::Line;
using settlement::Model;
using settlement::NetPosition;
using settlement::Payment;
using settlement::Period;
using settlement::PeriodUnit;
using settlement::RollForward;
using settlement::Settlement;

void NoProgress(const std::string&) {}

// Grocer G, fuel F, gym Y and bank B; two members. Program: EUR, 1 point = 1 cent,
// 12-month expiry. The month under test is January 2026 (UTC).
class SettlementScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    f.clock().Set(Utc(2025, 1, 10, 10));
    G = f.AddPartner("grocery", 100);
    F = f.AddPartner("fuel", 100);
    Y = f.AddPartner("fitness", 100);
    B = f.AddPartner("bank", 100, Role::kIssuer);
    m1 = f.AddMember(G);
    m2 = f.AddMember(G);
    // 2025: a lot of G that expires on 2026-01-10, inside January (opening G = 50).
    Ok(f.EarnPoints(G, m2, 50, "old-earn"));

    f.clock().Set(Utc(2026, 1, 15, 10));
    Step([&] { Ok(f.EarnPoints(G, m1, 1000, "g-earn")); });
    Step([&] { Ok(f.EarnPoints(B, m1, 500, "b-earn")); });
    // m2's first touch in January expires the 2025 lot (lazy expiry): expired G = 50.
    Step([&] { Ok(f.EarnPoints(Y, m2, 125, "y-earn")); });
    Step([&] { Ok(f.EarnPoints(F, m2, 400, "f-earn")); });
    // 1200 at F: G's lot (earlier expiry) 1000, then B's lot 200.
    Step([&] { Ok(f.Redeem(F, m1, 1200, "f-redeem")); });
    // F refunds 100: back into B's lot (the last consumed). consumed(B,F) = 100.
    Step([&] { Ok(f.Reverse(F, "f-redeem", 100, "f-refund")); });
    // 300 at G from m2: Y's lot 125, then F's lot 175.
    Step([&] { Ok(f.Redeem(G, m2, 300, "g-redeem")); });
    // Y reverses its whole earn: its own lot is empty, so 125 cover from F's lot,
    // redeemed by Y. issued(Y) = 0.
    Step([&] { Ok(f.Reverse(Y, "y-earn", 0, "y-return")); });
    f.clock().Set(Utc(2026, 2, 2, 9));
  }

  void Step(const std::function<void()>& op) {
    op();
    f.clock().Advance(60 * kSecond);
  }

  void SetTerms(PartnerId p, int64_t issue, int64_t redeem, int64_t fee) {
    ASSERT_TRUE(settlement::SaveTerms(f.db().store(), f.clock(), p, {issue, redeem, fee}).ok());
  }

  void UseModel(Model m) {
    ASSERT_TRUE(
        settlement::SaveConfig(f.db().store(), f.clock(), m, PeriodUnit::kMonth, "UTC").ok());
    // G redeem 10050 and F redeem 9550 make 300 and 1100 points land on half cents.
    SetTerms(G, 8005, 10050, 500);
    SetTerms(F, 8000, 9550, 500);
    SetTerms(Y, 9000, 10000, 600);
    SetTerms(B, 7505, 0, 400);
  }

  Settlement CloseJanuary() {
    auto period = settlement::ParsePeriod("2026-01", PeriodUnit::kMonth, "UTC");
    EXPECT_TRUE(period.ok()) << period.status();
    return Ok(settlement::ClosePeriod(f.db().store(), f.clock(), *period, NoProgress));
  }

  static void ExpectLine(const Line& l, const std::string& kind, PartnerId payer,
                         PartnerId payee, Points points, int64_t price, int64_t amount) {
    EXPECT_EQ(l.kind, kind);
    EXPECT_EQ(l.payer, payer);
    EXPECT_EQ(l.payee, payee);
    EXPECT_EQ(l.points, points);
    EXPECT_EQ(l.price_micros, price);
    EXPECT_EQ(l.amount_minor, amount) << kind << " " << payer << "->" << payee;
  }

  static int64_t NetOf(const Settlement& s, PartnerId p) {
    for (const NetPosition& n : s.positions) {
      if (n.participant == p) return n.net_minor;
    }
    ADD_FAILURE() << "no position for " << p;
    return 0;
  }

  static const RollForward& RollOf(const Settlement& s, PartnerId f) {
    for (const RollForward& r : s.roll_forward) {
      if (r.funder == f) return r;
    }
    ADD_FAILURE() << "no roll-forward for funder " << f;
    static const RollForward kNone;
    return kNone;
  }

  LedgerFixture f;
  PartnerId G = 0, F = 0, Y = 0, B = 0;
  std::string m1, m2;
};

TEST_F(SettlementScenario, OperatorModelToTheCent) {
  UseModel(Model::kOperator);
  Settlement s = CloseJanuary();
  ASSERT_EQ(s.lines.size(), 5u);
  // Funders pay the operator for issued points; Y issued 125 - 125 = 0: no line.
  ExpectLine(s.lines[0], "issue", G, kOperatorId, 1000, 8005, 800);  // 800.5 -> 800
  ExpectLine(s.lines[1], "issue", F, kOperatorId, 400, 8000, 320);
  ExpectLine(s.lines[2], "issue", B, kOperatorId, 500, 7505, 375);   // 375.25 -> 375
  // The operator pays redeemers for till redemptions, net of the refund.
  ExpectLine(s.lines[3], "redemption", kOperatorId, G, 300, 10050, 302);   // 301.5 -> 302
  ExpectLine(s.lines[4], "redemption", kOperatorId, F, 1100, 9550, 1050);  // 1050.5 -> 1050
  EXPECT_EQ(NetOf(s, kOperatorId), 143);  // 800 + 320 + 375 - 302 - 1050: its margin
  EXPECT_EQ(NetOf(s, G), -498);
  EXPECT_EQ(NetOf(s, F), 730);
  EXPECT_EQ(NetOf(s, Y), 0);
  EXPECT_EQ(NetOf(s, B), -375);
  EXPECT_EQ(s.gross_total_minor, 2847);
  EXPECT_EQ(s.net_total_minor, 873);
  ASSERT_EQ(s.payments.size(), 4u);  // Y owes and is owed nothing
  EXPECT_EQ(s.payments[0].participant, kOperatorId);
  EXPECT_FALSE(s.payments[0].to_hub);
  EXPECT_EQ(s.payments[0].amount_minor, 143);
  EXPECT_EQ(s.payments[1].participant, G);
  EXPECT_TRUE(s.payments[1].to_hub);
  EXPECT_EQ(s.payments[1].amount_minor, 498);
  EXPECT_EQ(s.payments[2].participant, F);
  EXPECT_FALSE(s.payments[2].to_hub);
  EXPECT_EQ(s.payments[2].amount_minor, 730);
  EXPECT_EQ(s.payments[3].participant, B);
  EXPECT_TRUE(s.payments[3].to_hub);
  EXPECT_EQ(s.payments[3].amount_minor, 375);
}

TEST_F(SettlementScenario, FunderPaysModelToTheCent) {
  UseModel(Model::kFunderPays);
  Settlement s = CloseJanuary();
  ASSERT_EQ(s.lines.size(), 8u);
  // Funder -> redeemer at the redeemer's value, by (funder, redeemer).
  ExpectLine(s.lines[0], "redemption", G, F, 1000, 9550, 955);
  ExpectLine(s.lines[1], "redemption", F, G, 175, 10050, 176);  // 175.875 -> 176
  ExpectLine(s.lines[2], "redemption", F, Y, 125, 10000, 125);  // cover of Y's reversal
  ExpectLine(s.lines[3], "redemption", Y, G, 125, 10050, 126);  // 125.625 -> 126
  ExpectLine(s.lines[4], "redemption", B, F, 100, 9550, 96);    // 95.5 -> 96 (even)
  // Funder -> operator fee per point issued.
  ExpectLine(s.lines[5], "fee", G, kOperatorId, 1000, 500, 50);
  ExpectLine(s.lines[6], "fee", F, kOperatorId, 400, 500, 20);
  ExpectLine(s.lines[7], "fee", B, kOperatorId, 500, 400, 20);
  EXPECT_EQ(NetOf(s, G), -703);  // 176 + 126 - 955 - 50
  EXPECT_EQ(NetOf(s, F), 730);   // 955 + 96 - 176 - 125 - 20
  EXPECT_EQ(NetOf(s, Y), -1);    // 125 - 126
  EXPECT_EQ(NetOf(s, B), -116);  // -96 - 20
  EXPECT_EQ(NetOf(s, kOperatorId), 90);
  EXPECT_EQ(s.gross_total_minor, 1568);
  EXPECT_EQ(s.net_total_minor, 820);
  ASSERT_EQ(s.payments.size(), 5u);
  for (const Payment& p : s.payments) {
    EXPECT_EQ(p.to_hub, NetOf(s, p.participant) < 0);
    EXPECT_EQ(p.amount_minor, std::llabs(NetOf(s, p.participant)));
  }
}

TEST_F(SettlementScenario, RollForwardClosesOnTheLots) {
  UseModel(Model::kOperator);
  Settlement s = CloseJanuary();
  const RollForward& g = RollOf(s, G);
  EXPECT_EQ(g.opening, 50);
  EXPECT_EQ(g.earned, 1000);
  EXPECT_EQ(g.reversed, 0);
  EXPECT_EQ(g.consumed, 1000);
  EXPECT_EQ(g.expired, 50);
  EXPECT_EQ(g.closing, 0);
  EXPECT_EQ(g.opening_value_minor, 50);  // 50 points x 1 cent
  EXPECT_EQ(g.breakage_rate_bp, 476);    // 50 / 1050 = 4.7619% -> 476 bp
  const RollForward& b = RollOf(s, B);
  EXPECT_EQ(b.earned, 500);
  EXPECT_EQ(b.consumed, 100);  // 200 redeemed, 100 refunded
  EXPECT_EQ(b.closing, 400);
  EXPECT_EQ(b.closing_value_minor, 400);
  const RollForward& fuel = RollOf(s, F);
  EXPECT_EQ(fuel.consumed, 300);  // 175 at G + 125 cover of Y's reversal
  EXPECT_EQ(fuel.closing, 100);
  const RollForward& y = RollOf(s, Y);
  EXPECT_EQ(y.earned, 125);
  EXPECT_EQ(y.consumed, 125);
  EXPECT_EQ(y.closing, 0);
  EXPECT_EQ(s.quantities.issued.at(Y), 0);
  EXPECT_EQ(f.Query(absl::StrCat("SELECT CAST(SUM(remaining) AS SIGNED) FROM lots WHERE "
                                 "funder_id = ", B)),
            400);
  f.ExpectInvariants();
}

TEST_F(SettlementScenario, RecloseIsByteIdenticalAndFinalIsImmutable) {
  UseModel(Model::kFunderPays);
  Settlement first = CloseJanuary();
  Settlement again = CloseJanuary();
  EXPECT_EQ(again.run_id, first.run_id);
  EXPECT_EQ(settlement::SettlementToJson(again), settlement::SettlementToJson(first));

  Settlement final_run = Ok(settlement::FinalizeRun(f.db().store(), f.clock(), first.run_id));
  EXPECT_EQ(final_run.status, "final");
  EXPECT_EQ(final_run.checksum, first.checksum);
  absl::Status twice = settlement::FinalizeRun(f.db().store(), f.clock(), first.run_id).status();
  EXPECT_EQ(twice.code(), absl::StatusCode::kFailedPrecondition) << twice;

  // A late entry (posted in February) and new prices change nothing in January.
  Ok(f.EarnPoints(G, m1, 777, "late-earn"));
  SetTerms(G, 1, 1, 1);
  Settlement after = CloseJanuary();
  EXPECT_EQ(settlement::SettlementToJson(after), settlement::SettlementToJson(final_run));
  Settlement loaded = Ok(settlement::LoadRun(f.db().store(), first.run_id));
  EXPECT_EQ(settlement::SettlementToJson(loaded), settlement::SettlementToJson(final_run));

  // February sees the late entry and opens on January's closing.
  f.clock().Set(Utc(2026, 3, 2, 9));
  auto feb = settlement::ParsePeriod("2026-02", PeriodUnit::kMonth, "UTC");
  Settlement s = Ok(settlement::ClosePeriod(f.db().store(), f.clock(), *feb, NoProgress));
  EXPECT_EQ(s.quantities.earned.at(G), 777);
  EXPECT_EQ(RollOf(s, B).opening, RollOf(final_run, B).closing);
}

TEST_F(SettlementScenario, OpenPeriodAndMissingRunAreClearErrors) {
  UseModel(Model::kOperator);
  auto feb = settlement::ParsePeriod("2026-02", PeriodUnit::kMonth, "UTC");
  absl::Status open =
      settlement::ClosePeriod(f.db().store(), f.clock(), *feb, NoProgress).status();
  EXPECT_EQ(open.code(), absl::StatusCode::kFailedPrecondition) << open;
  EXPECT_NE(std::string(open.message()).find("still open"), std::string::npos) << open;
  EXPECT_EQ(f.Rows("settlement_runs"), 0);
  EXPECT_EQ(settlement::LoadRun(f.db().store(), 99).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(settlement::FinalizeRun(f.db().store(), f.clock(), 99).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(SettlementPeriod, MonthsWeeksDaysInATimeZone) {
  Period m = Ok(settlement::ParsePeriod("2026-11", PeriodUnit::kMonth, "Europe/Berlin"));
  EXPECT_EQ(m.start, Utc(2026, 10, 31, 23));  // CET = UTC+1
  EXPECT_EQ(m.end, Utc(2026, 11, 30, 23));
  Period w = Ok(settlement::ParsePeriod("2026-W01", PeriodUnit::kWeek, "UTC"));
  EXPECT_EQ(w.start, Utc(2025, 12, 29, 0));  // ISO week 1 of 2026 starts Mon 29 Dec 2025
  EXPECT_EQ(w.end, Utc(2026, 1, 5, 0));
  Period d = Ok(settlement::ParsePeriod("2026-03-29", PeriodUnit::kDay, "Europe/Berlin"));
  EXPECT_EQ(d.end - d.start, 23 * 3600 * kSecond);  // the spring-forward day is 23 hours
  EXPECT_EQ(settlement::ParsePeriod("2026-13", PeriodUnit::kMonth, "UTC").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(settlement::ParsePeriod("2026-11", PeriodUnit::kDay, "UTC").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(settlement::ParsePeriod("2026-02-30", PeriodUnit::kDay, "UTC").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(settlement::ParsePeriod("2026-11", PeriodUnit::kMonth, "Mars/Base").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace loyalty::testing
