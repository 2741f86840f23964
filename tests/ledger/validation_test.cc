// Every field a request carries is checked before anything is written: a bad field gets
// INVALID_ARGUMENT naming it (docs/api.md "Errors carry the field in the message"), and
// the database is left exactly as it was. Also the NOT_FOUND / FAILED_PRECONDITION
// answers of unknown cards, program currency changes and exclusive categories.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/common/secure_random.h"
#include "hub/ledger/validate.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

using ::testing::HasSubstr;

// Row counts of every table a request could write.
struct Rows {
  std::vector<int64_t> counts;
  bool operator==(const Rows& o) const { return counts == o.counts; }
};

const char* const kTables[] = {"txns",     "transfers", "lots",      "consumptions",
                               "holds",    "debts",     "members",   "cards",
                               "partners", "api_keys",  "audit_log", "program"};

Rows Snapshot(TestDb& db) {
  Rows r;
  for (const char* t : kTables)
    r.counts.push_back(db.QueryInt(absl::StrCat("SELECT COUNT(*) FROM ", t)));
  return r;
}

std::string Describe(const Rows& r) {
  std::string out;
  for (size_t i = 0; i < r.counts.size(); ++i)
    absl::StrAppend(&out, kTables[i], "=", r.counts[i], " ");
  return out;
}

// A card number with a valid check digit that is not in the program's "70" range, so no
// member can hold it.
constexpr char kUnknownCard[] = "4111111111111111";

// The same card with its check digit changed.
std::string BreakLuhn(std::string card) {
  card.back() = card.back() == '9' ? '0' : static_cast<char>(card.back() + 1);
  return card;
}

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    partner_ = f_.AddPartner("grocery", 500);
    card_ = f_.AddMember(partner_);
    ASSERT_FALSE(card_.empty());
    // Some history so "nothing written" is checked against a non-empty ledger.
    ASSERT_TRUE(f_.Earn(partner_, card_, 10000, "seed-earn").ok());  // 500 points
    ASSERT_EQ(f_.Balance(card_).balance, 500);
    before_ = Snapshot(f_.db());
  }

  // The status is INVALID_ARGUMENT, names `field`, and nothing was written.
  template <typename T>
  void ExpectRejected(const absl::StatusOr<T>& r, const std::string& field) {
    ExpectRejected(r.status(), field);
  }
  void ExpectRejected(const absl::Status& s, const std::string& field) {
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(field)) << s;
    ExpectNothingWritten();
  }
  void ExpectNothingWritten() {
    const Rows now = Snapshot(f_.db());
    EXPECT_TRUE(now == before_) << "before: " << Describe(before_) << "\nafter:  " << Describe(now);
    EXPECT_EQ(f_.Balance(card_).balance, 500);
  }

  // The status is NOT_FOUND, names `field`, and nothing was written.
  void ExpectNotFound(const absl::Status& s, const std::string& field) {
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(field)) << s;
    ExpectNothingWritten();
  }

  // Valid requests of the member's, for the tests to break one field of.
  EarnParams GoodEarn(const std::string& id = "earn-1") {
    return MakeEarn(partner_, card_, 5000, id);
  }
  RedeemParams GoodRedeem(const std::string& id = "redeem-1") {
    return MakeRedeem(partner_, card_, 10, id);
  }
  // The partner's transactions on `card` ("" = all), `limit` at most, newest first.
  TxnListParams TxnList(const std::string& card, int limit) {
    TxnListParams p;
    p.partner = partner_;
    p.card_number = card;
    p.limit = limit;
    return p;
  }

  AdjustParams GoodAdjust() {
    AdjustParams a = MakeAdjust(card_, 50, "adj-1");
    a.actor = "test";
    return a;
  }
  PartnerRecord GoodPartner() {
    PartnerRecord p;
    p.name = "Gym Co";
    p.category = "fitness";
    p.role = Role::kMerchant;
    p.earn_rate_bp = 300;
    return p;
  }
  ProgramRecord GoodProgram() {
    ProgramRecord p;
    p.point_value_micros = 10'000;
    p.currency = "EUR";
    p.expiry_months = 12;
    p.hold_timeout_seconds = 600;
    return p;
  }

  LedgerFixture f_;
  PartnerId partner_ = 0;
  std::string card_;
  Rows before_;
};

TEST_F(ValidationTest, PartnerTxnId) {
  const std::string too_long(kMaxIdLength + 1, 'a');
  for (const std::string& bad :
       {std::string(""), too_long, std::string("has space"), std::string("a/b"),
        std::string("caf\xc3\xa9"), std::string("semi;colon"), std::string("new\nline")}) {
    SCOPED_TRACE(absl::StrCat("partner_txn_id='", bad, "'"));
    ExpectRejected(f_.ledger().Earn(GoodEarn(bad)), "partner_txn_id");
    ExpectRejected(f_.ledger().Redeem(GoodRedeem(bad)), "partner_txn_id");
    ExpectRejected(f_.ledger().AuthorizeRedemption(GoodRedeem(bad)), "partner_txn_id");
    const CaptureParams c = MakeCapture(partner_, "auth-1", 0, bad);
    ExpectRejected(f_.ledger().CaptureRedemption(c), "partner_txn_id");
    ExpectRejected(f_.ledger().VoidRedemption(c), "partner_txn_id");
    ExpectRejected(f_.ledger().Reverse(MakeReverse(partner_, "seed-earn", 0, bad)),
                   "partner_txn_id");
    ExpectRejected(f_.ledger().EnrollMember(MakeRequest(partner_, bad)), "partner_txn_id");
  }
}

TEST_F(ValidationTest, PartnerTxnIdBoundaryAccepted) {
  // 64 characters of every allowed class is a valid key.
  std::string id = "Az09._:-";
  while (id.size() < static_cast<size_t>(kMaxIdLength)) id.push_back('x');
  ASSERT_EQ(id.size(), 64u);
  auto e = f_.ledger().Earn(GoodEarn(id));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->points, 250);
  EXPECT_EQ(
      f_.db().QueryInt(absl::StrCat("SELECT COUNT(*) FROM txns WHERE partner_txn_id = '", id, "'")),
      1);
}

TEST_F(ValidationTest, CardNumber) {
  const std::vector<std::string> bad = {
      "",                      // empty
      "70abc1234567890",       // non-digits
      "7012 3456 7890 1234",   // separators
      BreakLuhn(card_),        // bad check digit
      "79927398713",           // valid Luhn but 11 digits: too short
      "42",                    // far too short
      "00000000000000000000",  // 20 digits: too long
  };
  for (const std::string& c : bad) {
    SCOPED_TRACE(absl::StrCat("card_number='", c, "'"));
    EarnParams e = GoodEarn();
    e.card_number = c;
    ExpectRejected(f_.ledger().Earn(e), "card_number");
    ExpectRejected(f_.ledger().QuoteEarn(e), "card_number");
    RedeemParams r = GoodRedeem();
    r.card_number = c;
    ExpectRejected(f_.ledger().Redeem(r), "card_number");
    ExpectRejected(f_.ledger().AuthorizeRedemption(r), "card_number");
    AdjustParams a = GoodAdjust();
    a.card_number = c;
    ExpectRejected(f_.ledger().AdjustPoints(a), "card_number");
    ExpectRejected(f_.ledger().GetBalance(c), "card_number");
    if (!c.empty()) {  // empty means "all cards" for ListTransactions
      ExpectRejected(f_.ledger().ListTransactions(TxnList(c, 10)), "card_number");
    }
  }
}

TEST_F(ValidationTest, Amount) {
  for (int64_t bad : {int64_t{-1}, int64_t{-5000}, kMaxAmountMinor + 1, INT64_MAX}) {
    SCOPED_TRACE(bad);
    EarnParams e = GoodEarn();
    e.amount_minor = bad;
    ExpectRejected(f_.ledger().Earn(e), "amount.amount_minor");
  }
  for (const char* bad : {"XXX", "eur", "", "EURO", "E1R"}) {
    SCOPED_TRACE(bad);
    EarnParams e = GoodEarn();
    e.currency = bad;
    ExpectRejected(f_.ledger().Earn(e), "amount.currency");
    ExpectRejected(f_.ledger().QuoteEarn(e), "amount.currency");
  }
  // A real currency that is not the program's (EUR) is rejected the same way.
  EarnParams krw = GoodEarn();
  krw.currency = "KRW";
  ExpectRejected(f_.ledger().Earn(krw), "amount.currency");
  ExpectRejected(f_.ledger().QuoteEarn(krw), "amount.currency");
}

TEST_F(ValidationTest, Points) {
  // Stated earn points: negative or above 1e12 (0 means "compute from the amount").
  for (Points bad : {Points{-1}, kMaxPointsPerRequest + 1}) {
    SCOPED_TRACE(bad);
    EarnParams e = GoodEarn();
    e.stated_points = bad;
    ExpectRejected(f_.ledger().Earn(e), "points");
  }
  // Redeem / Authorize: zero, negative, above 1e12.
  for (Points bad : {Points{0}, Points{-10}, kMaxPointsPerRequest + 1, INT64_MIN}) {
    SCOPED_TRACE(bad);
    RedeemParams r = GoodRedeem();
    r.points = bad;
    ExpectRejected(f_.ledger().Redeem(r), "points");
    ExpectRejected(f_.ledger().AuthorizeRedemption(r), "points");
  }
  // Capture and Reverse: 0 means "all", negative or above 1e12 is rejected.
  for (Points bad : {Points{-1}, kMaxPointsPerRequest + 1}) {
    SCOPED_TRACE(bad);
    ExpectRejected(f_.ledger().CaptureRedemption(MakeCapture(partner_, "auth-1", bad, "cap-1")),
                   "points");
    ExpectRejected(f_.ledger().Reverse(MakeReverse(partner_, "seed-earn", bad, "rev-1")), "points");
  }
}

TEST_F(ValidationTest, OccurredAt) {
  constexpr int64_t kYear2000 = 946'684'800'000'000;
  constexpr int64_t kYear2100 = 4'102'444'800'000'000;
  for (int64_t bad : {int64_t{1}, int64_t{-1}, kYear2000 - 1, kYear2100, INT64_MAX}) {
    SCOPED_TRACE(bad);
    EarnParams e = GoodEarn();
    e.req.occurred_at = bad;
    ExpectRejected(f_.ledger().Earn(e), "occurred_at_micros");
    RedeemParams r = GoodRedeem();
    r.req.occurred_at = bad;
    ExpectRejected(f_.ledger().Redeem(r), "occurred_at_micros");
    ExpectRejected(f_.ledger().AuthorizeRedemption(r), "occurred_at_micros");
    CaptureParams c = MakeCapture(partner_, "auth-1", 0, "cap-1");
    c.req.occurred_at = bad;
    ExpectRejected(f_.ledger().CaptureRedemption(c), "occurred_at_micros");
    ReverseParams rv = MakeReverse(partner_, "seed-earn", 0, "rev-1");
    rv.req.occurred_at = bad;
    ExpectRejected(f_.ledger().Reverse(rv), "occurred_at_micros");
  }
  // The first microsecond of 2000 and the last of 2099 are accepted and stored.
  EarnParams lo = GoodEarn("earn-lo");
  lo.req.occurred_at = kYear2000;
  auto a = f_.ledger().Earn(lo);
  ASSERT_TRUE(a.ok()) << a.status();
  EarnParams hi = GoodEarn("earn-hi");
  hi.req.occurred_at = kYear2100 - 1;
  auto b = f_.ledger().Earn(hi);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(f_.db().QueryInt("SELECT occurred_at FROM txns WHERE partner_txn_id = 'earn-lo'"),
            kYear2000);
  EXPECT_EQ(f_.db().QueryInt("SELECT occurred_at FROM txns WHERE partner_txn_id = 'earn-hi'"),
            kYear2100 - 1);
}

TEST_F(ValidationTest, ReverseOriginalId) {
  for (const std::string& bad :
       {std::string(""), std::string("bad id"), std::string(kMaxIdLength + 1, 'r')}) {
    SCOPED_TRACE(bad);
    ExpectRejected(f_.ledger().Reverse(MakeReverse(partner_, bad, 0, "rev-1")),
                   "original_partner_txn_id");
  }
  // Well-formed but unknown: NOT_FOUND naming the field, nothing written.
  ExpectNotFound(f_.ledger().Reverse(MakeReverse(partner_, "never-posted", 0, "rev-1")).status(),
                 "original_partner_txn_id");
}

TEST_F(ValidationTest, CaptureAndVoidAuthorizationId) {
  for (const std::string& bad : {std::string(""), std::string("auth 1"),
                                 std::string(kMaxIdLength + 1, 'x'), std::string("a*b")}) {
    SCOPED_TRACE(bad);
    const CaptureParams c = MakeCapture(partner_, bad, 0, "cap-1");
    ExpectRejected(f_.ledger().CaptureRedemption(c), "authorization_partner_txn_id");
    ExpectRejected(f_.ledger().VoidRedemption(c), "authorization_partner_txn_id");
  }
  ExpectNotFound(
      f_.ledger().CaptureRedemption(MakeCapture(partner_, "no-such-auth", 0, "cap-1")).status(),
      "authorization_partner_txn_id");
}

TEST_F(ValidationTest, AdjustPoints) {
  AdjustParams zero = GoodAdjust();
  zero.points = 0;
  ExpectRejected(f_.ledger().AdjustPoints(zero), "points");
  for (Points bad : {kMaxPointsPerRequest + 1, -(kMaxPointsPerRequest + 1)}) {
    SCOPED_TRACE(bad);
    AdjustParams a = GoodAdjust();
    a.points = bad;
    ExpectRejected(f_.ledger().AdjustPoints(a), "points");
  }
  for (const std::string& bad :
       {std::string(""), std::string(201, 'r'), std::string("bad\nreason"),
        std::string("tab\there"), std::string("nul\0x", 5), std::string("del\x7f")}) {
    SCOPED_TRACE(absl::StrCat("reason size ", bad.size()));
    AdjustParams a = GoodAdjust();
    a.reason = bad;
    ExpectRejected(f_.ledger().AdjustPoints(a), "reason");
  }
  for (const std::string& bad :
       {std::string(""), std::string("adj 1"), std::string(kMaxIdLength + 1, 'a')}) {
    SCOPED_TRACE(bad);
    AdjustParams a = GoodAdjust();
    a.adjustment_id = bad;
    ExpectRejected(f_.ledger().AdjustPoints(a), "adjustment_id");
  }
  // A 200-byte reason is fine.
  AdjustParams ok = GoodAdjust();
  ok.reason = std::string(200, 'r');
  auto r = f_.ledger().AdjustPoints(ok);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->balance_after, 550);
}

TEST_F(ValidationTest, RegisterPartner) {
  struct Case {
    std::string field;
    PartnerRecord p;
  };
  std::vector<Case> cases;
  auto add = [&](const std::string& field, auto mutate) {
    PartnerRecord p = GoodPartner();
    mutate(p);
    cases.push_back({field, p});
  };
  add("name", [](PartnerRecord& p) { p.name = ""; });
  add("name", [](PartnerRecord& p) { p.name = std::string(101, 'n'); });
  add("name", [](PartnerRecord& p) { p.name = "Line\nbreak"; });
  add("category", [](PartnerRecord& p) { p.category = ""; });
  add("category", [](PartnerRecord& p) { p.category = "Fitness"; });
  add("category", [](PartnerRecord& p) { p.category = "fit-ness"; });
  add("category", [](PartnerRecord& p) { p.category = "fit ness"; });
  add("category", [](PartnerRecord& p) { p.category = std::string(41, 'c'); });
  add("role", [](PartnerRecord& p) { p.role = Role::kAdmin; });
  add("role", [](PartnerRecord& p) { p.role = Role::kFinance; });
  add("earn_rate_bp", [](PartnerRecord& p) { p.earn_rate_bp = -1; });
  add("earn_rate_bp", [](PartnerRecord& p) { p.earn_rate_bp = 10001; });
  add("limits.max_points_per_txn", [](PartnerRecord& p) { p.max_points_per_txn = -1; });
  add("limits.max_points_per_txn",
      [](PartnerRecord& p) { p.max_points_per_txn = kMaxPointsPerRequest + 1; });
  add("limits.max_points_per_member_day",
      [](PartnerRecord& p) { p.max_points_per_member_day = -1; });
  add("limits.max_points_per_member_day",
      [](PartnerRecord& p) { p.max_points_per_member_day = kMaxPointsPerRequest + 1; });
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat(c.field, " name='", c.p.name, "' category='", c.p.category, "'"));
    ExpectRejected(f_.ledger().RegisterPartner("test", c.p), c.field);
  }
  // The limits of the accepted ranges: 100-byte name, 40-character category, issuer role,
  // rate 0 and 10000.
  PartnerRecord edge = GoodPartner();
  edge.name = std::string(100, 'n');
  edge.category = std::string(39, 'c') + "9";
  edge.role = Role::kIssuer;
  edge.earn_rate_bp = 10000;
  auto r = f_.ledger().RegisterPartner("test", edge);
  ASSERT_TRUE(r.ok()) << r.status();
  PartnerRecord zero = GoodPartner();
  zero.category = "zero_rate_1";
  zero.earn_rate_bp = 0;
  auto z = f_.ledger().RegisterPartner("test", zero);
  ASSERT_TRUE(z.ok()) << z.status();
}

TEST_F(ValidationTest, SetProgram) {
  struct Case {
    std::string field;
    ProgramRecord p;
  };
  std::vector<Case> cases;
  auto add = [&](const std::string& field, auto mutate) {
    ProgramRecord p = GoodProgram();
    mutate(p);
    cases.push_back({field, p});
  };
  add("program.point_value_micros", [](ProgramRecord& p) { p.point_value_micros = 0; });
  add("program.point_value_micros", [](ProgramRecord& p) { p.point_value_micros = -5; });
  add("program.currency", [](ProgramRecord& p) { p.currency = "XXX"; });
  add("program.currency", [](ProgramRecord& p) { p.currency = "eur"; });
  add("program.currency", [](ProgramRecord& p) { p.currency = ""; });
  add("program.expiry_months", [](ProgramRecord& p) { p.expiry_months = -1; });
  add("program.expiry_months", [](ProgramRecord& p) { p.expiry_months = 601; });
  add("program.hold_timeout_seconds", [](ProgramRecord& p) { p.hold_timeout_seconds = 0; });
  add("program.hold_timeout_seconds", [](ProgramRecord& p) { p.hold_timeout_seconds = -1; });
  // Zone names that absl::LoadTimeZone would open as files, or that name no zone.
  for (const char* zone : {"/dev/stdin", "/usr/share/zoneinfo/UTC", "file:/dev/zero",
                           "../../../../dev/stdin", "Europe/../../etc/passwd", "Europe/Berlin\n",
                           "Europe\\Berlin", "Europe/Berlin ", "Mars/Olympus_Mons", ""}) {
    add("program.time_zone", [zone](ProgramRecord& p) { p.time_zone = zone; });
  }
  add("program.time_zone", [](ProgramRecord& p) { p.time_zone = std::string(65, 'A'); });
  add("program.time_zone", [](ProgramRecord& p) { p.time_zone = std::string("UTC\0x", 5); });
  for (const Case& c : cases) {
    SCOPED_TRACE(c.field);
    ExpectRejected(f_.ledger().SetProgram("test", c.p), c.field);
  }
  auto program = f_.ledger().GetProgram();
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_EQ(program->point_value_micros, 10'000);
  EXPECT_EQ(program->currency, "EUR");
  EXPECT_EQ(program->expiry_months, 12);
  EXPECT_EQ(program->hold_timeout_seconds, 600);
}

TEST_F(ValidationTest, ProgramTimeZoneNamesAccepted) {
  for (const char* zone : {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires",
                           "America/Port-au-Prince", "Etc/GMT+5", "Etc/GMT-14"}) {
    SCOPED_TRACE(zone);
    ProgramRecord p = GoodProgram();
    p.time_zone = zone;
    auto r = f_.ledger().SetProgram("test", p);
    ASSERT_TRUE(r.ok()) << r.status();
    auto program = f_.ledger().GetProgram();
    ASSERT_TRUE(program.ok()) << program.status();
    EXPECT_EQ(program->time_zone, zone);
  }
}

TEST(TimeZoneName, Rules) {
  EXPECT_TRUE(ValidateTimeZoneName("tz", "Asia/Seoul").ok());
  EXPECT_TRUE(ValidateTimeZoneName("tz", std::string(64, 'a')).ok());
  for (const std::string& bad : {std::string(65, 'a'), std::string("/etc/localtime"),
                                std::string("file:UTC"), std::string("a/../b"), std::string(""),
                                std::string("\xd8\xa7\xd9\x84")}) {
    const absl::Status s = ValidateTimeZoneName("tz", bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("tz: ")) << bad;
  }
}

TEST_F(ValidationTest, ProgramCurrencyCannotChange) {
  ProgramRecord p = GoodProgram();
  p.currency = "USD";
  auto r = f_.ledger().SetProgram("test", p);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("program.currency"));
  ExpectNothingWritten();
  auto program = f_.ledger().GetProgram();
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_EQ(program->currency, "EUR");
  // The same currency with other figures is a normal update.
  ProgramRecord q = GoodProgram();
  q.expiry_months = 0;
  q.hold_timeout_seconds = 120;
  ASSERT_TRUE(f_.ledger().SetProgram("test", q).ok());
  program = f_.ledger().GetProgram();
  ASSERT_TRUE(program.ok()) << program.status();
  EXPECT_EQ(program->expiry_months, 0);
  EXPECT_EQ(program->hold_timeout_seconds, 120);
}

TEST_F(ValidationTest, IssueBearerCardsCount) {
  for (int bad : {0, -1, kMaxBearerCardsPerCall + 1}) {
    SCOPED_TRACE(bad);
    ExpectRejected(f_.ledger().IssueBearerCards("test", bad), "count");
  }
}

TEST_F(ValidationTest, ListTransactionsPageSize) {
  // The ledger reads a page and one more row (kMaxListRows) to tell whether more follow.
  for (int bad : {0, -1, kMaxListRows + 1}) {
    SCOPED_TRACE(bad);
    ExpectRejected(f_.ledger().ListTransactions(TxnList(card_, bad)), "page_size");
  }
  // before_id INT64_MAX = the first page (newest first).
  auto page = f_.ledger().ListTransactions(TxnList(card_, kMaxListRows));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->size(), 2u);  // the enrolment and the seed earn
}

TEST_F(ValidationTest, ListTransactionsTimeWindow) {
  TxnListParams p = TxnList(card_, 10);
  p.since = -1;
  ExpectRejected(f_.ledger().ListTransactions(p), "since_micros");
  p.since = 0;
  p.until = -1;
  ExpectRejected(f_.ledger().ListTransactions(p), "until_micros");
  p.since = 2'000;
  p.until = 2'000;
  ExpectRejected(f_.ledger().ListTransactions(p), "until_micros");
  p.until = 1'000;
  ExpectRejected(f_.ledger().ListTransactions(p), "until_micros");
  // A window before anything was posted holds nothing; one bound alone is a window too.
  p.since = 0;
  auto none = f_.ledger().ListTransactions(p);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  p.until = 0;
  p.since = 1'000;
  auto all = f_.ledger().ListTransactions(p);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(ValidationTest, UnknownCardIsNotFound) {
  ASSERT_TRUE(IsValidCardNumber(kUnknownCard));
  EarnParams e = GoodEarn();
  e.card_number = kUnknownCard;
  ExpectNotFound(f_.ledger().Earn(e).status(), "card_number");
  ExpectNotFound(f_.ledger().QuoteEarn(e).status(), "card_number");
  RedeemParams r = GoodRedeem();
  r.card_number = kUnknownCard;
  ExpectNotFound(f_.ledger().Redeem(r).status(), "card_number");
  ExpectNotFound(f_.ledger().AuthorizeRedemption(r).status(), "card_number");
  AdjustParams a = GoodAdjust();
  a.card_number = kUnknownCard;
  ExpectNotFound(f_.ledger().AdjustPoints(a).status(), "card_number");
  ExpectNotFound(f_.ledger().GetBalance(kUnknownCard).status(), "card_number");
  ExpectNotFound(f_.ledger().ListTransactions(TxnList(kUnknownCard, 10)).status(), "card_number");
  // The ids were not burnt: the same ids work on the real card.
  e.card_number = card_;
  auto ok = f_.ledger().Earn(e);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_FALSE(ok->replayed);
  EXPECT_EQ(ok->points, 250);
}

TEST_F(ValidationTest, ExclusiveCategory) {
  // "grocery" is held by partner_ ("Partner grocery") from SetUp.
  PartnerRecord rival = GoodPartner();
  rival.name = "Rival Grocer";
  rival.category = "grocery";
  auto r = f_.ledger().RegisterPartner("test", rival);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  const std::string msg(r.status().message());
  EXPECT_THAT(msg, HasSubstr("category"));
  EXPECT_THAT(msg, HasSubstr(absl::StrCat(partner_)));
  EXPECT_THAT(msg, HasSubstr("Partner grocery"));
  ExpectNothingWritten();

  // Issuers are partners too: the category rule is the same for them.
  rival.role = Role::kIssuer;
  auto r2 = f_.ledger().RegisterPartner("test", rival);
  EXPECT_EQ(r2.status().code(), absl::StatusCode::kFailedPrecondition) << r2.status();

  // A different category is free.
  PartnerRecord other = GoodPartner();
  auto o = f_.ledger().RegisterPartner("test", other);
  ASSERT_TRUE(o.ok()) << o.status();

  // Suspending the holder frees the category.
  auto s = f_.ledger().SuspendPartner("test", partner_, "contract ended");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->suspended);
  rival.role = Role::kMerchant;
  auto again = f_.ledger().RegisterPartner("test", rival);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_NE(again->partner.id, partner_);
  EXPECT_EQ(again->partner.category, "grocery");
  EXPECT_FALSE(again->api_key.empty());

  // And the new holder now blocks a third one, naming itself, not the suspended one.
  PartnerRecord third = GoodPartner();
  third.name = "Third Grocer";
  third.category = "grocery";
  auto t = f_.ledger().RegisterPartner("test", third);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kFailedPrecondition) << t.status();
  EXPECT_THAT(std::string(t.status().message()), HasSubstr(absl::StrCat(again->partner.id)));
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("Rival Grocer"));
}

}  // namespace
}  // namespace loyalty::testing
