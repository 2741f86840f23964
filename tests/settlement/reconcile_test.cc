// Reconciliation of a partner's file against the journal: each outcome (matched,
// missing at the hub, missing at the partner, mismatch by field) and malformed rows,
// which are reported with their line numbers and never stop the run.
#include "settlement/reconcile.h"

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "settlement/period.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

using settlement::Reconciliation;
using settlement::ReconItem;

constexpr char kHeader[] = "partner_txn_id,type,card,amount,currency,points,occurred_at\n";

class ReconcileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grocer = f.AddPartner("grocery", 500);
    other = f.AddPartner("fuel", 500);
    card = f.AddMember(grocer);
    f.clock().Set(Utc(2026, 1, 20, 12));
    Ok(f.Earn(grocer, card, 5000, "e-1"));  // 250 points
    Ok(f.Earn(grocer, card, 2000, "e-2"));  // 100 points
    Ok(f.Redeem(grocer, card, 80, "r-1"));
    Ok(f.Earn(grocer, card, 1000, "e-3"));  // 50 points, absent from the file
    Ok(f.Earn(other, card, 1000, "o-1"));   // another partner's: never in this match
    f.clock().Set(Utc(2026, 2, 3, 12));
    Ok(f.Earn(grocer, card, 1000, "e-feb"));  // posted in February
  }

  Reconciliation Run(const std::string& body) {
    const std::string path = ::testing::TempDir() + "partner.csv";
    std::ofstream(path) << body;
    auto period = settlement::ParsePeriod("2026-01", settlement::PeriodUnit::kMonth, "UTC");
    EXPECT_TRUE(period.ok());
    return Ok(settlement::Reconcile(f.db().store(), grocer, *period, path));
  }

  static const ReconItem* Find(const Reconciliation& r, const std::string& id) {
    for (const ReconItem& i : r.items) {
      if (i.partner_txn_id == id) return &i;
    }
    return nullptr;
  }

  LedgerFixture f;
  PartnerId grocer = 0, other = 0;
  std::string card;
};

TEST_F(ReconcileTest, EachOutcome) {
  Reconciliation r = Run(
      absl::StrCat(kHeader, "e-1,earn,", card, ",5000,EUR,250,2026-01-20T12:00:00Z\n",  // matched
                   "e-2,earn,", card, ",2100,EUR,105,\n",     // amount and points differ
                   "r-1,redeem,,,,80,\n",                     // matched (no card given)
                   "x-9,earn,", card, ",700,EUR,35,\n",       // missing at the hub
                   "e-feb,earn,", card, ",1000,EUR,50,\n"));  // posted in another period
  EXPECT_EQ(r.partner_name, "Partner grocery");
  EXPECT_EQ(r.matched, 2);
  EXPECT_EQ(r.mismatched, 1);
  EXPECT_EQ(r.missing_at_hub, 2);
  EXPECT_EQ(r.missing_at_partner, 1);
  EXPECT_TRUE(r.bad_rows.empty());
  ASSERT_EQ(r.items.size(), 6u);
  EXPECT_EQ(r.items[0].partner_txn_id, "e-1");  // sorted by id
  const ReconItem* e2 = Find(r, "e-2");
  ASSERT_NE(e2, nullptr);
  EXPECT_EQ(e2->status, "mismatch");
  EXPECT_EQ(e2->mismatched_fields, (std::vector<std::string>{"points", "amount"}));
  EXPECT_EQ(e2->line, 3);
  EXPECT_NE(e2->detail.find("points: hub 100, partner 105"), std::string::npos) << e2->detail;
  const ReconItem* e3 = Find(r, "e-3");
  ASSERT_NE(e3, nullptr);
  EXPECT_EQ(e3->status, "missing_at_partner");
  EXPECT_GT(e3->hub_txn_id, 0);
  EXPECT_EQ(e3->line, 0);
  EXPECT_EQ(Find(r, "x-9")->detail, "not in the hub's journal");
  EXPECT_EQ(Find(r, "e-feb")->detail, "posted at the hub in another period");
  EXPECT_EQ(Find(r, "o-1"), nullptr);  // another partner's transaction
}

TEST_F(ReconcileTest, TypeCardAndTimeMismatches) {
  std::string other_card = f.AddMember(grocer);
  Reconciliation r = Run(absl::StrCat(
      kHeader, "e-1,redeem,", card, ",5000,EUR,250,\n", "e-2,earn,", other_card, ",2000,EUR,100,\n",
      "e-3,earn,", card, ",1000,EUR,50,2026-01-01T00:00:00Z\n", "r-1,redeem,", card, ",,,80,\n"));
  EXPECT_EQ(Find(r, "e-1")->mismatched_fields, (std::vector<std::string>{"type"}));
  EXPECT_EQ(Find(r, "e-2")->mismatched_fields, (std::vector<std::string>{"card"}));
  EXPECT_EQ(Find(r, "e-3")->mismatched_fields, (std::vector<std::string>{"occurred_at"}));
  EXPECT_EQ(Find(r, "r-1")->status, "matched");
  EXPECT_EQ(r.mismatched, 3);
}

TEST_F(ReconcileTest, MalformedRowsAreReportedByLineAndTheRestIsMatched) {
  Reconciliation r =
      Run(absl::StrCat(kHeader, "e-1,earn,", card, ",5000,EUR,250,\n",  // line 2: fine
                       "e-2,earn,", card, ",2000,EUR\n",                // line 3: 6 columns
                       "bad id!,earn,,1,EUR,1,\n",                      // line 4: partner_txn_id
                       "e-3,refund,,1,EUR,1,\n",                        // line 5: type
                       "e-4,earn,1234,1,EUR,1,\n",                      // line 6: card
                       "e-5,earn,,-1,EUR,1,\n",                         // line 7: amount
                       "e-6,earn,,1,XXX,1,\n",                          // line 8: currency
                       "e-7,earn,,1,EUR,0,\n",                          // line 9: points
                       "e-8,earn,,1,EUR,1,yesterday\n",                 // line 10: occurred_at
                       "e-1,earn,", card, ",5000,EUR,250,\n",           // line 11: duplicate id
                       "\"r-1\",\"redeem\",,,,\"80\",\n",  // line 12: quoted fields, fine
                       "\"e-9,earn,,1,EUR,1,\n"));  // line 13: unterminated quote (to the end)
  ASSERT_EQ(r.bad_rows.size(), 10u);
  const std::vector<std::pair<int, std::string>> expected = {
      {3, "expected 7 columns"},
      {4, "partner_txn_id:"},
      {5, "type:"},
      {6, "card:"},
      {7, "amount:"},
      {8, "currency:"},
      {9, "points:"},
      {10, "occurred_at:"},
      {11, "partner_txn_id: appears more than once"},
      {13, "unterminated quote"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(r.bad_rows[i].line, expected[i].first);
    EXPECT_EQ(r.bad_rows[i].reason.rfind(expected[i].second, 0), 0u) << r.bad_rows[i].reason;
  }
  EXPECT_EQ(Find(r, "e-1")->status, "matched");
  EXPECT_EQ(Find(r, "r-1")->status, "matched");
  EXPECT_EQ(r.missing_at_partner, 2);  // e-2 and e-3: their rows were bad or absent
}

TEST_F(ReconcileTest, WrongHeaderUnreadableFileAndUnknownPartnerAreErrors) {
  auto period = settlement::ParsePeriod("2026-01", settlement::PeriodUnit::kMonth, "UTC");
  const std::string path = ::testing::TempDir() + "bad_header.csv";
  std::ofstream(path) << "id,points\n1,2\n";
  EXPECT_EQ(settlement::Reconcile(f.db().store(), grocer, *period, path).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      settlement::Reconcile(f.db().store(), grocer, *period, "/nonexistent/x.csv").status().code(),
      absl::StatusCode::kNotFound);
  std::ofstream(path) << kHeader;
  EXPECT_EQ(settlement::Reconcile(f.db().store(), 999, *period, path).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace loyalty::testing
