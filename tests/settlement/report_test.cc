// The settlement reports (settlement/report.h) and JSON (settlement/json.h) on a
// settlement built by hand. No database.
//
// The funder_pays scenario, amounts in EUR cents (exponent 2):
//   0 operator, 1 Acme Grocer, 2 Fuel, "Express" Ltd, 3 Books <b>&" Co, 4 Northern Bank
//   redemption 4 -> 1  1000 pt x 0.010000 = 10.00
//   redemption 4 -> 2   500 pt x 0.012000 =  6.00
//   redemption 1 -> 2   250 pt x 0.012000 =  3.00
//   redemption 2 -> 1   120 pt x 0.010000 =  1.20
//   redemption 1 -> 3   -50 pt x 0.010000 = -0.50  (reversals outweigh: 3 owes 1)
//   redemption 3 -> 3   200 pt x 0.010000 =  2.00  internal, never paid
//   fee 4 -> 0 2000 pt x 0.000500 = 1.00; fee 1 -> 0 400 pt = 0.20; fee 3 -> 0 300 pt = 0.15
// Net: operator +1.35, Acme +8.50, Fuel +7.80, Books -0.65, Bank -17.00 (sum 0).
// Gross 22.05, net payments 17.65, netting saved 4.40 (19.95% of gross).
#include "settlement/report.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "settlement/json.h"

namespace loyalty::settlement {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr Micros kNov1 = 1793491200LL * 1000000;  // 2026-11-01T00:00:00Z
constexpr Micros kDec1 = 1796083200LL * 1000000;  // 2026-12-01T00:00:00Z
const char kFuelName[] = "Fuel, \"Express\" Ltd";
const char kBooksName[] = "Books <b>&\" Co";

Line MakeLine(const char* kind, PartnerId payer, PartnerId payee, Points points,
              int64_t price_micros, int64_t amount_minor, bool internal = false) {
  return Line{kind, payer, payee, points, price_micros, amount_minor, internal};
}

RollForward MakeRollForward(PartnerId funder, Points opening, Points earned, Points reversed,
                            Points consumed, Points expired, int64_t breakage_bp) {
  RollForward r;
  r.funder = funder;
  r.opening = opening;
  r.earned = earned;
  r.reversed = reversed;
  r.consumed = consumed;
  r.expired = expired;
  r.closing = opening + earned - reversed - consumed - expired;
  r.opening_value_minor = opening;  // one point = 0.01 EUR = 1 cent
  r.closing_value_minor = r.closing;
  r.breakage_rate_bp = breakage_bp;
  return r;
}

Settlement MakeSettlement() {
  Settlement s;
  s.run_id = 42;
  s.status = "draft";
  s.period = {"2026-11", kNov1, kDec1};
  s.model = Model::kFunderPays;
  s.currency = "EUR";
  s.currency_exponent = 2;
  s.point_value_micros = 10000;
  s.participants = {
      {0, "operator"}, {1, "Acme Grocer"}, {2, kFuelName}, {3, kBooksName}, {4, "Northern Bank"}};
  s.quantities.earned = {{1, 400}, {3, 300}, {4, 2000}};
  s.quantities.reversed = {{1, 10}};
  s.quantities.issued = {{1, 400}, {3, 300}, {4, 2000}};
  s.quantities.consumed = {{{1, 2}, 250}, {{1, 3}, -50},  {{2, 1}, 120},
                           {{3, 3}, 200}, {{4, 1}, 1000}, {{4, 2}, 500}};
  s.quantities.till = {{1, 1120}, {2, 750}, {3, 150}};
  s.quantities.expired = {{1, 90}, {4, 1234}};
  s.quantities.opening = {{1, 5000}, {2, 800}, {3, 1000}, {4, 100000}};
  s.quantities.closing_from_lots = {{1, 5100}, {2, 680}, {3, 1100}, {4, 99266}};
  s.lines = {
      MakeLine("redemption", 4, 1, 1000, 10000, 1000),
      MakeLine("redemption", 4, 2, 500, 12000, 600),
      MakeLine("redemption", 1, 2, 250, 12000, 300),
      MakeLine("redemption", 2, 1, 120, 10000, 120),
      MakeLine("redemption", 1, 3, -50, 10000, -50),
      MakeLine("redemption", 3, 3, 200, 10000, 200, /*internal=*/true),
      MakeLine("fee", 4, 0, 2000, 500, 100),
      MakeLine("fee", 1, 0, 400, 500, 20),
      MakeLine("fee", 3, 0, 300, 500, 15),
  };
  s.positions = {{0, 135, 0, 135},
                 {1, 1170, 320, 850},
                 {2, 900, 120, 780},
                 {3, 0, 65, -65},
                 {4, 0, 1700, -1700}};
  s.payments = {{0, false, 135}, {1, false, 850}, {2, false, 780}, {3, true, 65}, {4, true, 1700}};
  s.roll_forward = {MakeRollForward(1, 5000, 400, 10, 200, 90, 3103),
                    MakeRollForward(2, 800, 0, 0, 120, 0, 0),
                    MakeRollForward(3, 1000, 300, 0, 200, 0, 0),
                    MakeRollForward(4, 100000, 2000, 0, 1500, 1234, 4513)};
  s.gross_total_minor = 2205;
  s.net_total_minor = 1765;
  s.checksum = "9f2c4a7be1d05638c2a1f0e4b7d9c3a85e6f1b2d4c7a9e0f3b5d8c1a2e4f6b7d";
  s.created_at = kDec1 + 3600LL * 1000000 + 250000;  // 2026-12-01T01:00:00.25Z
  s.finalized_at = 0;
  return s;
}

Reconciliation MakeReconciliation() {
  Reconciliation r;
  r.partner = 1;
  r.partner_name = "Acme Grocer";
  r.period = {"2026-11", kNov1, kDec1};
  r.file = "acme, november.csv";
  r.items = {
      {"T-1001", "matched", {}, 2, 501, ""},
      {"T-1002", "mismatch", {"points", "amount"}, 3, 502, "points: hub 250, partner 260"},
      {"T-1003", "missing_at_hub", {}, 4, 0, "no hub transaction"},
      {"T-1004", "missing_at_partner", {}, 0, 77, "not in the partner's file"},
  };
  r.bad_rows = {{6, "amount: not an integer \"12,5\""}};
  r.matched = 1;
  r.missing_at_hub = 1;
  r.missing_at_partner = 1;
  r.mismatched = 1;
  return r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh directory under the test's temporary directory.
std::string FreshDir(const std::string& name) {
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "report_test" / name;
  std::filesystem::remove_all(dir);
  return dir.string();
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// ---------------------------------------------------------------------------------
// Formatting

TEST(FormatMinor, ExponentTwo) {
  EXPECT_EQ(FormatMinor(12345, 2), "123.45");
  EXPECT_EQ(FormatMinor(-12345, 2), "-123.45");
  EXPECT_EQ(FormatMinor(0, 2), "0.00");
  EXPECT_EQ(FormatMinor(5, 2), "0.05");
  EXPECT_EQ(FormatMinor(-5, 2), "-0.05");
  EXPECT_EQ(FormatMinor(100, 2), "1.00");
  EXPECT_EQ(FormatMinor(-100, 2), "-1.00");
}

TEST(FormatMinor, ExponentZeroAndThree) {
  EXPECT_EQ(FormatMinor(12345, 0), "12345");
  EXPECT_EQ(FormatMinor(-12345, 0), "-12345");
  EXPECT_EQ(FormatMinor(0, 0), "0");
  EXPECT_EQ(FormatMinor(12345, 3), "12.345");
  EXPECT_EQ(FormatMinor(5, 3), "0.005");
  EXPECT_EQ(FormatMinor(-1, 3), "-0.001");
  EXPECT_EQ(FormatMinor(1000, 3), "1.000");
  EXPECT_EQ(FormatMinor(10000, 6), "0.010000");
}

TEST(FormatMinor, Int64Limits) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(FormatMinor(kMin, 2), "-92233720368547758.08");
  EXPECT_EQ(FormatMinor(kMax, 2), "92233720368547758.07");
  EXPECT_EQ(FormatMinor(kMin, 0), "-9223372036854775808");
  EXPECT_EQ(FormatMinor(kMin, 18), "-9.223372036854775808");
  EXPECT_EQ(FormatMinor(1, 18), "0.000000000000000001");
}

TEST(FormatBasisPoints, TwoDecimalPercent) {
  EXPECT_EQ(FormatBasisPoints(1234), "12.34%");
  EXPECT_EQ(FormatBasisPoints(0), "0.00%");
  EXPECT_EQ(FormatBasisPoints(5), "0.05%");
  EXPECT_EQ(FormatBasisPoints(10000), "100.00%");
}

TEST(FormatUtc, Iso8601) {
  EXPECT_EQ(FormatUtc(kNov1), "2026-11-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(kDec1 + 3600LL * 1000000 + 250000), "2026-12-01T01:00:00.25Z");
  EXPECT_EQ(FormatUtc(0), "1970-01-01T00:00:00Z");
}

TEST(CsvField, Rfc4180Quoting) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("cr\r"), "\"cr\r\"");
  EXPECT_EQ(CsvField(kFuelName), "\"Fuel, \"\"Express\"\" Ltd\"");
}

TEST(HtmlEscape, EveryMetacharacter) {
  EXPECT_EQ(HtmlEscape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(HtmlEscape("Caf\xc3\xa9"), "Caf\xc3\xa9");
}

// ---------------------------------------------------------------------------------
// CSV

TEST(ReportCsv, LinesExact) {
  EXPECT_EQ(
      LinesCsv(MakeSettlement()),
      "kind,payer_id,payer_name,payee_id,payee_name,points,price_micros,amount_minor,amount,"
      "currency,internal\r\n"
      "redemption,4,Northern Bank,1,Acme Grocer,1000,10000,1000,10.00,EUR,false\r\n"
      "redemption,4,Northern Bank,2,\"Fuel, \"\"Express\"\" Ltd\",500,12000,600,6.00,EUR,false\r\n"
      "redemption,1,Acme Grocer,2,\"Fuel, \"\"Express\"\" Ltd\",250,12000,300,3.00,EUR,false\r\n"
      "redemption,2,\"Fuel, \"\"Express\"\" Ltd\",1,Acme Grocer,120,10000,120,1.20,EUR,false\r\n"
      "redemption,1,Acme Grocer,3,\"Books <b>&\"\" Co\",-50,10000,-50,-0.50,EUR,false\r\n"
      "redemption,3,\"Books <b>&\"\" Co\",3,\"Books <b>&\"\" Co\",200,10000,200,2.00,EUR,"
      "true\r\n"
      "fee,4,Northern Bank,0,operator,2000,500,100,1.00,EUR,false\r\n"
      "fee,1,Acme Grocer,0,operator,400,500,20,0.20,EUR,false\r\n"
      "fee,3,\"Books <b>&\"\" Co\",0,operator,300,500,15,0.15,EUR,false\r\n");
}

TEST(ReportCsv, PositionsExact) {
  EXPECT_EQ(PositionsCsv(MakeSettlement()),
            "participant_id,participant_name,received_minor,received,paid_minor,paid,net_minor,net,"
            "currency\r\n"
            "0,operator,135,1.35,0,0.00,135,1.35,EUR\r\n"
            "1,Acme Grocer,1170,11.70,320,3.20,850,8.50,EUR\r\n"
            "2,\"Fuel, \"\"Express\"\" Ltd\",900,9.00,120,1.20,780,7.80,EUR\r\n"
            "3,\"Books <b>&\"\" Co\",0,0.00,65,0.65,-65,-0.65,EUR\r\n"
            "4,Northern Bank,0,0.00,1700,17.00,-1700,-17.00,EUR\r\n");
}

// Bilateral netting: 1 -> 2 is 3.00 - 1.20 = 1.80; the negative 1 -> 3 line becomes
// 3 -> 1 0.50. Column minus row totals give the net positions.
TEST(ReportCsv, MatrixExact) {
  EXPECT_EQ(MatrixCsv(MakeSettlement()),
            "payer_id,payer_name,#0 operator,#1 Acme Grocer,\"#2 Fuel, \"\"Express\"\" Ltd\","
            "\"#3 Books <b>&\"\" Co\",#4 Northern Bank,total_paid,currency\r\n"
            "0,operator,,0.00,0.00,0.00,0.00,0.00,EUR\r\n"
            "1,Acme Grocer,0.20,,1.80,0.00,0.00,2.00,EUR\r\n"
            "2,\"Fuel, \"\"Express\"\" Ltd\",0.00,0.00,,0.00,0.00,0.00,EUR\r\n"
            "3,\"Books <b>&\"\" Co\",0.15,0.50,0.00,,0.00,0.65,EUR\r\n"
            "4,Northern Bank,1.00,10.00,6.00,0.00,,17.00,EUR\r\n"
            ",total_received,1.35,10.50,7.80,0.00,0.00,19.65,EUR\r\n");
}

TEST(ReportCsv, SummaryPaymentsRollForward) {
  const Settlement s = MakeSettlement();
  EXPECT_EQ(
      SummaryCsv(s),
      "run_id,status,period,period_start,period_end,model,currency,gross_total_minor,"
      "gross_total,net_total_minor,net_total,netting_saved_minor,netting_saved,checksum\r\n"
      "42,draft,2026-11,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,funder_pays,EUR,2205,22.05,"
      "1765,17.65,440,4.40,9f2c4a7be1d05638c2a1f0e4b7d9c3a85e6f1b2d4c7a9e0f3b5d8c1a2e4f6b7d\r\n");
  EXPECT_EQ(PaymentsCsv(s),
            "participant_id,participant_name,direction,amount_minor,amount,currency\r\n"
            "0,operator,from_hub,135,1.35,EUR\r\n"
            "1,Acme Grocer,from_hub,850,8.50,EUR\r\n"
            "2,\"Fuel, \"\"Express\"\" Ltd\",from_hub,780,7.80,EUR\r\n"
            "3,\"Books <b>&\"\" Co\",to_hub,65,0.65,EUR\r\n"
            "4,Northern Bank,to_hub,1700,17.00,EUR\r\n");
  EXPECT_THAT(RollForwardCsv(s),
              HasSubstr("1,Acme Grocer,5000,400,10,200,90,5100,5000,50.00,5100,51.00,EUR,3103,"
                        "31.03%\r\n"));
  EXPECT_THAT(RollForwardCsv(s),
              HasSubstr("4,Northern Bank,100000,2000,0,1500,1234,99266,100000,1000.00,99266,992.66,"
                        "EUR,4513,45.13%\r\n"));
}

TEST(ReportCsv, Reconciliation) {
  const Reconciliation r = MakeReconciliation();
  EXPECT_EQ(ReconciliationCsv(r),
            "partner_txn_id,status,mismatched_fields,line,hub_txn_id,detail\r\n"
            "T-1001,matched,,2,501,\r\n"
            "T-1002,mismatch,points;amount,3,502,\"points: hub 250, partner 260\"\r\n"
            "T-1003,missing_at_hub,,4,,no hub transaction\r\n"
            "T-1004,missing_at_partner,,,77,not in the partner's file\r\n");
  EXPECT_EQ(ReconciliationBadRowsCsv(r),
            "line,reason\r\n6,\"amount: not an integer \"\"12,5\"\"\"\r\n");
}

// ---------------------------------------------------------------------------------
// JSON

TEST(ReportJson, MoneyAsIntegerAndFormattedString) {
  const std::string json = SettlementToJson(MakeSettlement());
  EXPECT_THAT(json, HasSubstr("\"amount\": \"-0.50\",\n"));
  EXPECT_THAT(json, HasSubstr("\"amount_minor\": -50,\n"));
  EXPECT_THAT(json, HasSubstr("\"gross_total\": \"22.05\",\n  \"gross_total_minor\": 2205,\n"));
  EXPECT_THAT(json, HasSubstr("\"start\": \"2026-11-01T00:00:00Z\",\n"));
  EXPECT_THAT(json, HasSubstr("\"breakage_rate\": \"31.03%\",\n"));
  EXPECT_THAT(json, HasSubstr("\"finalized_at\": null,\n  \"finalized_at_micros\": 0,\n"));
  EXPECT_THAT(json, HasSubstr("\"finalized_at\": null,\n  \"finalized_at_micros\": 0,\n"));
  EXPECT_EQ(json.substr(0, 4), "{\n  ");
  EXPECT_EQ(json.back(), '\n');
}

TEST(ReportJson, SettlementRoundTripIsByteIdentical) {
  const Settlement s = MakeSettlement();
  const std::string first = SettlementToJson(s);
  absl::StatusOr<Settlement> back = SettlementFromJson(first);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(SettlementToJson(*back), first);
  EXPECT_EQ(back->run_id, 42);
  EXPECT_EQ(back->model, Model::kFunderPays);
  EXPECT_EQ(back->created_at, s.created_at);
  EXPECT_EQ(back->participants[2].name, kFuelName);
  EXPECT_EQ(back->lines[4].amount_minor, -50);
  EXPECT_TRUE(back->lines[5].internal);
  EXPECT_EQ(back->quantities.consumed, s.quantities.consumed);
  EXPECT_EQ(back->quantities.closing_from_lots, s.quantities.closing_from_lots);
  EXPECT_EQ(back->payments[3].to_hub, true);
  EXPECT_EQ(back->roll_forward[3].closing, 99266);
}

TEST(ReportJson, ExtremeValuesRoundTrip) {
  Settlement s = MakeSettlement();
  s.run_id = std::numeric_limits<int64_t>::max();
  s.lines[0].amount_minor = std::numeric_limits<int64_t>::min();
  s.lines[0].points = std::numeric_limits<int64_t>::max();
  s.currency_exponent = 0;
  const std::string first = SettlementToJson(s);
  absl::StatusOr<Settlement> back = SettlementFromJson(first);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(SettlementToJson(*back), first);
  EXPECT_EQ(back->lines[0].amount_minor, std::numeric_limits<int64_t>::min());
}

TEST(ReportJson, ReconciliationRoundTripIsByteIdentical) {
  const std::string first = ReconciliationToJson(MakeReconciliation());
  absl::StatusOr<Reconciliation> back = ReconciliationFromJson(first);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ReconciliationToJson(*back), first);
  EXPECT_THAT(back->items[1].mismatched_fields, ElementsAre("points", "amount"));
  EXPECT_EQ(back->bad_rows[0].line, 6);
}

TEST(ReportJson, RejectsBadDocumentsNamingTheField) {
  absl::StatusOr<Settlement> r = SettlementFromJson("not json");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);

  r = SettlementFromJson("[]");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);

  std::string json = SettlementToJson(MakeSettlement());
  const std::string points = "\"points\": 250,";
  ASSERT_NE(json.find(points), std::string::npos);
  json.replace(json.find(points), points.size(), "\"points\": 2.5,");
  r = SettlementFromJson(json);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("lines[2].points: expected an int64"));

  json = SettlementToJson(MakeSettlement());
  json.replace(json.find("\"run_id\": 42"), 12, "\"run_id\": 9223372036854775808");
  r = SettlementFromJson(json);
  EXPECT_THAT(r.status().message(), HasSubstr("run_id: expected an int64"));

  json = SettlementToJson(MakeSettlement());
  json.replace(json.find("\"funder_pays\""), 13, "\"barter\"");
  EXPECT_THAT(SettlementFromJson(json).status().message(), HasSubstr("model"));

  json = SettlementToJson(MakeSettlement());
  json.replace(json.find("\"currency_exponent\": 2"), 22, "\"currency_exponent\": 19");
  EXPECT_THAT(SettlementFromJson(json).status().message(), HasSubstr("currency_exponent"));

  EXPECT_THAT(SettlementFromJson("{\"schema_version\": 1}").status().message(),
              HasSubstr("run_id: missing"));
  EXPECT_THAT(SettlementFromJson("{\"schema_version\": 2}").status().message(),
              HasSubstr("schema_version: unsupported"));
}

// ---------------------------------------------------------------------------------
// HTML

TEST(ReportHtml, HasEverySectionAndEscapes) {
  const Reconciliation recon = MakeReconciliation();
  const std::string html = ReportHtml(MakeSettlement(), &recon);
  for (const char* heading :
       {"<h2>Summary</h2>", "<h2>Bilateral matrix</h2>", "<h2>Net positions</h2>",
        "<h2>Payment instructions</h2>", "<h2>Settlement lines</h2>",
        "<h2>Liability roll-forward</h2>", "<h2>Reconciliation</h2>", "<h3>Bad rows</h3>"}) {
    EXPECT_THAT(html, HasSubstr(heading));
  }
  EXPECT_EQ(Count(html, "<svg"), 1u);
  EXPECT_EQ(Count(html, "<rect"), 5u);  // one bar per participant
  EXPECT_THAT(html, HasSubstr("Books &lt;b&gt;&amp;&quot; Co"));
  EXPECT_THAT(html, Not(HasSubstr("<b>&\"")));
  EXPECT_THAT(html, HasSubstr("31.03%"));
  EXPECT_THAT(html, HasSubstr("4.40 EUR</b> (19.95% of gross)"));
  EXPECT_THAT(html, HasSubstr("points: hub 250, partner 260"));
  // Self-contained: nothing to fetch, no script.
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("http:")));
  EXPECT_THAT(html, Not(HasSubstr("https:")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
}

TEST(ReportHtml, NoReconciliationSectionWithoutOne) {
  const std::string html = ReportHtml(MakeSettlement(), nullptr);
  EXPECT_THAT(html, Not(HasSubstr("Reconciliation</h2>")));
}

// The largest |net| (Bank, 17.00) spans the 280-unit half axis; Acme 8.50 is half of it;
// Books 0.65 -> 10.7 -> 11; the operator 1.35 -> 22.2 -> 22; Fuel 7.80 -> 128.5 -> 128.
TEST(ReportHtml, BarsScaledWithIntegers) {
  const std::string html = ReportHtml(MakeSettlement(), nullptr);
  EXPECT_THAT(html, HasSubstr("<rect x=\"250\" y=\"155\" width=\"280\" height=\"20\""));
  EXPECT_THAT(html, HasSubstr("<rect x=\"530\" y=\"65\" width=\"140\""));
  EXPECT_THAT(html, HasSubstr("<rect x=\"519\" y=\"125\" width=\"11\""));
  EXPECT_THAT(html, HasSubstr("<rect x=\"530\" y=\"35\" width=\"22\""));
  EXPECT_THAT(html, HasSubstr("<rect x=\"530\" y=\"95\" width=\"128\""));
}

// A tiny position next to a large one still gets a visible bar; people read grouped
// digits; the page carries an A4 print stylesheet (tests/settlement/chromium_check.sh
// prints it).
TEST(ReportHtml, SmallBarsStayVisibleDigitsAreGroupedAndItPrintsOnA4) {
  Settlement s = MakeSettlement();
  s.positions[0].net_minor = 1;  // the operator: 0.01 next to the bank's -17.00
  const std::string html = ReportHtml(s, nullptr);
  EXPECT_THAT(html, HasSubstr("<rect x=\"530\" y=\"35\" width=\"4\""));
  EXPECT_THAT(html, HasSubstr(">1,000.00</td>"));  // the bank's opening liability
  EXPECT_THAT(html, HasSubstr(">100,000</td>"));   // its opening points
  EXPECT_THAT(html, HasSubstr(">-17.00</td>"));
  EXPECT_THAT(html, HasSubstr("@page{size:A4"));
  EXPECT_THAT(html, HasSubstr("@media print{"));
  EXPECT_THAT(LinesCsv(s), Not(HasSubstr("1,000")));  // files for machines stay plain
}

TEST(ReportHtml, AllZeroPositionsChart) {
  Settlement s = MakeSettlement();
  s.lines.clear();
  for (NetPosition& p : s.positions) p = {p.participant, 0, 0, 0};
  s.payments.clear();
  s.gross_total_minor = 0;
  s.net_total_minor = 0;
  const std::string html = ReportHtml(s, nullptr);
  EXPECT_EQ(Count(html, "<rect"), 5u);
  EXPECT_EQ(Count(html, "width=\"0\""), 5u);
  EXPECT_THAT(html, HasSubstr("All positions are zero"));
  EXPECT_THAT(html, HasSubstr("0.00% of gross"));
  absl::StatusOr<std::vector<std::string>> paths = WriteReports(s, nullptr, FreshDir("zero"));
  EXPECT_TRUE(paths.ok()) << paths.status();
}

TEST(ReportHtml, LongNamesAreShortenedInTheChartOnly) {
  Settlement s = MakeSettlement();
  s.participants[1].name = std::string(40, 'A') + "\xc3\xa9";
  const std::string html = ReportHtml(s, nullptr);
  EXPECT_THAT(html, HasSubstr(">" + std::string(30, 'A') + "...</text>"));
  EXPECT_THAT(html, HasSubstr(std::string(40, 'A') + "\xc3\xa9"));
}

// ---------------------------------------------------------------------------------
// Files

TEST(WriteReports, WritesEveryFileInOrder) {
  const std::string dir = FreshDir("all");
  const Reconciliation recon = MakeReconciliation();
  absl::StatusOr<std::vector<std::string>> paths = WriteReports(MakeSettlement(), &recon, dir);
  ASSERT_TRUE(paths.ok()) << paths.status();
  std::vector<std::string> names;
  for (const std::string& p : *paths) {
    names.push_back(std::filesystem::path(p).filename().string());
    EXPECT_GT(std::filesystem::file_size(p), 0u) << p;
  }
  EXPECT_THAT(names,
              ElementsAre("summary.csv", "lines.csv", "matrix.csv", "positions.csv", "payments.csv",
                          "roll_forward.csv", "reconciliation.csv", "reconciliation_bad_rows.csv",
                          "settlement.json", "reconciliation.json", "report.html"));
  EXPECT_EQ(ReadFile((*paths)[1]), LinesCsv(MakeSettlement()));
  EXPECT_EQ(ReadFile((*paths)[8]), SettlementToJson(MakeSettlement()));
  // No temporary files left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir),
                          std::filesystem::directory_iterator()),
            11);
}

TEST(WriteReports, WithoutReconciliation) {
  absl::StatusOr<std::vector<std::string>> paths =
      WriteReports(MakeSettlement(), nullptr, FreshDir("norecon"));
  ASSERT_TRUE(paths.ok()) << paths.status();
  ASSERT_EQ(paths->size(), 8u);
  EXPECT_EQ(std::filesystem::path(paths->back()).filename(), "report.html");
}

TEST(WriteReports, Deterministic) {
  const Reconciliation recon = MakeReconciliation();
  absl::StatusOr<std::vector<std::string>> a =
      WriteReports(MakeSettlement(), &recon, FreshDir("a"));
  absl::StatusOr<std::vector<std::string>> b =
      WriteReports(MakeSettlement(), &recon, FreshDir("b"));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ(ReadFile((*a)[i]), ReadFile((*b)[i])) << (*a)[i];
  }
  // Writing again over the same directory replaces the files with the same bytes.
  const std::string before = ReadFile(a->back());
  ASSERT_TRUE(WriteReports(MakeSettlement(), &recon,
                           std::filesystem::path(a->back()).parent_path().string())
                  .ok());
  EXPECT_EQ(ReadFile(a->back()), before);
}

TEST(WriteReports, RefusesInconsistentSettlements) {
  Settlement s = MakeSettlement();
  s.lines[0].payee = 9;
  absl::StatusOr<std::vector<std::string>> r = WriteReports(s, nullptr, FreshDir("bad1"));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("lines[0].payee: participant 9"));

  s = MakeSettlement();
  s.positions[0].net_minor += 1;
  r = WriteReports(s, nullptr, FreshDir("bad2"));
  EXPECT_THAT(r.status().message(), HasSubstr("positions: net amounts sum to 1"));

  s = MakeSettlement();
  s.participants.push_back({2, "again"});
  EXPECT_THAT(WriteReports(s, nullptr, FreshDir("bad3")).status().message(),
              HasSubstr("duplicate id 2"));

  s = MakeSettlement();
  s.currency_exponent = 19;
  EXPECT_THAT(WriteReports(s, nullptr, FreshDir("bad4")).status().message(),
              HasSubstr("currency_exponent"));
}

TEST(WriteReports, UnwritableDirectoryIsUnavailable) {
  const std::string dir = FreshDir("file");
  std::filesystem::create_directories(std::filesystem::path(dir).parent_path());
  std::ofstream(dir) << "a file, not a directory";
  absl::StatusOr<std::vector<std::string>> r = WriteReports(MakeSettlement(), nullptr, dir);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  std::filesystem::remove(dir);
}

// Writes the sample report that the report_chromium test opens (tests/settlement/
// report.cmake); runs last in this file so a failure above still leaves no stale page.
TEST(WriteReports, SampleForChromium) {
  const std::string dir = LOYALTY_REPORT_ARTIFACTS_DIR;
  std::filesystem::remove_all(dir);
  const Reconciliation recon = MakeReconciliation();
  absl::StatusOr<std::vector<std::string>> paths = WriteReports(MakeSettlement(), &recon, dir);
  ASSERT_TRUE(paths.ok()) << paths.status();
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir) / "report.html"));
}

}  // namespace
}  // namespace loyalty::settlement
