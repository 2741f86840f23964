// A card PAN never reaches the database or the logs: the real loyalty_hub binary
// (LOYALTY_HUB_BINARY) on a fresh MariaDB database, started with a PAN key and with its
// stdout and stderr captured in a file, is sent one PAN through LinkCoBrandedCard, the
// clearing stream and GetCardStatement, including calls that fail with it. Afterwards
// the whole database (mariadb-dump, and every table of the schema read back row by row)
// and every line the hub printed are searched for the PAN's digits.
//
// The stored card reference is "h:" + HMAC-SHA-256(key, PAN) in hex: checked against a
// value computed outside the hub (Python's hmac module), so the test also pins the
// hashing. The same PAN hashes to the same reference after a restart that takes the key
// from LOYALTY_PAN_HMAC_KEY instead of --pan_hmac_key_file, so statements by PAN work.
#include <grpcpp/grpcpp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/v1/admin.grpc.pb.h"
#include "loyalty/v1/bank.grpc.pb.h"
#include "loyalty/v1/partner.grpc.pb.h"
#include "tests/support/hub_process.h"
#include "tests/support/grpc_call.h"
#include "tests/support/test_db.h"

namespace loyalty {
namespace {

using testing::Describe;
using testing::Invoke;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kAdminKey[] = "pan-test-admin-key-0123456789abcdefghijklmnopqrstuvwxyz";
constexpr char kPanKey[] = "pan-test-hmac-key-0123456789abcdefghijklmnopqrstuv";
// A Luhn-valid 16-digit PAN, and the same with a wrong check digit.
constexpr char kPan[] = "4938172605943188";
constexpr char kPanBadLuhn[] = "4938172605943189";
// hmac.new(kPanKey, kPan, hashlib.sha256).hexdigest(), computed outside the hub.
constexpr char kPanHmac[] = "831dbbea1b2ffc43ad86d65061b7dae7a0218c8972c785af914f63c11bfddb43";
// A Luhn-valid loyalty card number that no member has.
constexpr char kNoSuchLoyaltyCard[] = "7000000000000005";

constexpr auto kStopTimeout = std::chrono::seconds(15);

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The ways a PAN's digits could show up in text: whole, the first 15 digits (which the
// Luhn-failing variant shares too), grouped by 4 with a space or a dash.
std::vector<std::string> PanForms() {
  return {kPan,
          kPanBadLuhn,
          std::string(kPan).substr(0, 15),
          "4938 1726 0594 3188",
          "4938-1726-0594-3188",
          "4938 1726 0594 3189"};
}

// The forms of the PAN found in `text`.
std::vector<std::string> PanFormsIn(const std::string& text) {
  std::vector<std::string> found;
  for (const std::string& form : PanForms()) {
    if (text.find(form) != std::string::npos) found.push_back(form);
  }
  return found;
}

void ExpectNoPan(const std::string& text, const std::string& where) {
  for (const std::string& form : PanFormsIn(text)) {
    const size_t at = text.find(form);
    ADD_FAILURE() << where << " contains the PAN as '" << form << "': ..."
                  << text.substr(at > 80 ? at - 80 : 0, 200) << "...";
  }
}

// Runs `command` through /bin/sh, its stdout into `out`; returns the exit status.
int RunCommand(const std::string& command, std::string* out) {
  out->clear();
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  return pclose(p);
}

class PanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir_template = ::testing::TempDir() + "bank_pan_XXXXXX";
    ASSERT_NE(mkdtemp(dir_template.data()), nullptr) << "mkdtemp " << dir_template;
    dir_ = dir_template;
  }

  void TearDown() override {
    hub_.Kill();
    std::remove((dir_ + "/dump.sql").c_str());
    for (const std::string& f : logs_) std::remove(f.c_str());
    rmdir(dir_.c_str());
  }

  // Starts the hub with its output (stdout and stderr) in `log`; the PAN key from
  // --pan_hmac_key_file, or from LOYALTY_PAN_HMAC_KEY, or none.
  enum class KeyFrom { kFile, kEnv, kNone };
  void StartHub(const std::string& log, KeyFrom key_from) {
    using PanKeyFrom = testing::HubOptions::PanKeyFrom;
    logs_.push_back(log);
    testing::HubOptions& o = hub_.options();
    o.log_file = log;
    o.pan_key_from = key_from == KeyFrom::kFile  ? PanKeyFrom::kFile
                     : key_from == KeyFrom::kEnv ? PanKeyFrom::kEnv
                                                 : PanKeyFrom::kNone;
    ASSERT_NO_FATAL_FAILURE(hub_.Start());
    auto channel = grpc::CreateChannel(hub_.target(), grpc::InsecureChannelCredentials());
    admin_ = v1::AdminService::NewStub(channel);
    partner_ = v1::PartnerService::NewStub(channel);
    bank_ = v1::BankService::NewStub(channel);
  }

  void StopHub() { hub_.StopAndExpectCleanExit(kStopTimeout); }

  static testing::HubOptions HubOptionsFor(const MysqlOptions& db) {
    testing::HubOptions o;
    o.db = db;
    o.admin_key = kAdminKey;
    o.pan_key = kPanKey;
    return o;
  }

  v1::CardRef Pan(const std::string& pan = kPan) {
    v1::CardRef c;
    c.set_pan(pan);
    return c;
  }

  grpc::Status Link(const std::string& key, const std::string& card_number, const v1::CardRef& card,
                    v1::LinkCoBrandedCardResponse* resp) {
    v1::LinkCoBrandedCardRequest req;
    req.set_card_number(card_number);
    *req.mutable_card() = card;
    return Invoke(bank_.get(), &v1::BankService::Stub::LinkCoBrandedCard, key, req, resp);
  }

  grpc::Status Statement(const v1::CardRef& card, const std::string& month,
                         v1::CardStatement* resp) {
    v1::GetCardStatementRequest req;
    *req.mutable_card() = card;
    req.set_month(month);
    return Invoke(bank_.get(), &v1::BankService::Stub::GetCardStatement, bank_key_, req, resp);
  }

  std::vector<std::string> ListCards(const std::string& card_number) {
    v1::ListCoBrandedCardsRequest req;
    req.set_card_number(card_number);
    v1::ListCoBrandedCardsResponse resp;
    grpc::Status s =
        Invoke(bank_.get(), &v1::BankService::Stub::ListCoBrandedCards, bank_key_, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return {resp.card_refs().begin(), resp.card_refs().end()};
  }

  // One clearing stream with `key`: every record written by a second thread, every
  // result read here.
  grpc::Status Stream(const std::string& key, const std::vector<v1::ClearingRecord>& records,
                      std::vector<v1::ClearingResult>* results) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key));
    auto stream = bank_->SubmitCardTransactions(&ctx);
    std::thread writer([&] {
      for (const v1::ClearingRecord& r : records) {
        if (!stream->Write(r)) break;
      }
      stream->WritesDone();
    });
    v1::ClearingResult r;
    while (stream->Read(&r)) results->push_back(r);
    writer.join();
    return stream->Finish();
  }

  static v1::ClearingRecord Record(const std::string& id, const v1::CardRef& card, int64_t amount,
                                   int mcc, const std::string& merchant, bool refund = false,
                                   const std::string& original = "") {
    v1::ClearingRecord r;
    r.set_clearing_id(id);
    *r.mutable_card() = card;
    r.mutable_amount()->set_amount_minor(amount);
    r.mutable_amount()->set_currency("EUR");
    r.set_mcc(mcc);
    r.set_merchant_id(merchant);
    r.set_type(refund ? v1::CLEARING_TYPE_REFUND : v1::CLEARING_TYPE_PURCHASE);
    r.set_original_clearing_id(original);
    r.set_occurred_at_micros(1770724800'000000);  // 2026-02-10 12:00:00 UTC
    return r;
  }

  // The program, a merchant and the bank with its rules, two members.
  void SetUpCoalition() {
    v1::SetProgramRequest program;
    program.mutable_program()->set_point_value_micros(10'000);
    program.mutable_program()->set_currency("EUR");
    program.mutable_program()->set_expiry_months(12);
    program.mutable_program()->set_hold_timeout_seconds(600);
    v1::SetProgramResponse program_resp;
    grpc::Status s = Invoke(admin_.get(), &v1::AdminService::Stub::SetProgram,
                            std::string(kAdminKey), program, &program_resp);
    ASSERT_TRUE(s.ok()) << Describe(s);
    auto register_partner = [&](const char* name, const char* category, v1::Role role,
                                v1::RegisterPartnerResponse* resp) {
      v1::RegisterPartnerRequest req;
      req.set_name(name);
      req.set_category(category);
      req.set_role(role);
      req.set_earn_rate_bp(100);
      return Invoke(admin_.get(), &v1::AdminService::Stub::RegisterPartner, std::string(kAdminKey),
                    req, resp);
    };
    v1::RegisterPartnerResponse shop, bank;
    s = register_partner("FreshMart", "grocery", v1::ROLE_MERCHANT, &shop);
    ASSERT_TRUE(s.ok()) << Describe(s);
    s = register_partner("Hanse Bank", "bank", v1::ROLE_ISSUER, &bank);
    ASSERT_TRUE(s.ok()) << Describe(s);
    shop_key_ = shop.api_key();
    bank_key_ = bank.api_key();
    bank_id_ = bank.partner().partner_id();

    v1::SetBankEarnRulesRequest rules;
    rules.set_bank_partner_id(bank_id_);
    rules.mutable_rules()->set_default_rate_bp(100);
    rules.mutable_rules()->set_partner_merchant_rate_bp(300);
    v1::MccRule* grocery = rules.mutable_rules()->add_mcc_rules();
    grocery->set_mcc(5411);
    grocery->set_rate_bp(200);
    v1::SetBankEarnRulesResponse rules_resp;
    s = Invoke(admin_.get(), &v1::AdminService::Stub::SetBankEarnRules, std::string(kAdminKey),
               rules, &rules_resp);
    ASSERT_TRUE(s.ok()) << Describe(s);

    for (std::string* card : {&card_a_, &card_b_}) {
      v1::EnrollMemberRequest enroll;
      enroll.set_partner_txn_id(card == &card_a_ ? "enroll-a" : "enroll-b");
      v1::EnrollMemberResponse member;
      s = Invoke(partner_.get(), &v1::PartnerService::Stub::EnrollMember, shop_key_, enroll,
                 &member);
      ASSERT_TRUE(s.ok()) << Describe(s);
      *card = member.card_number();
    }
  }

  // Every row of every table of the test database, as the client prints it.
  std::string AllRows() {
    const std::string client = absl::StrCat("mariadb --no-defaults --socket=", db_.options().socket,
                                            " -uroot --batch --skip-column-names ");
    std::string tables;
    EXPECT_EQ(RunCommand(client +
                             "-e \"SELECT table_name FROM information_schema.tables WHERE "
                             "table_schema = '" +
                             db_.options().database + "'\"",
                         &tables),
              0);
    std::string all;
    int count = 0;
    for (absl::string_view t : absl::StrSplit(tables, '\n', absl::SkipEmpty())) {
      std::string rows;
      EXPECT_EQ(
          RunCommand(absl::StrCat(client, db_.options().database, " -e 'SELECT * FROM `", t, "`'"),
                     &rows),
          0)
          << t;
      absl::StrAppend(&all, "== ", t, "\n", rows);
      ++count;
    }
    EXPECT_GE(count, 20) << "tables: " << tables;
    return all;
  }

  testing::TestDb db_;
  testing::HubProcess hub_{HubOptionsFor(db_.options())};
  std::string dir_;
  std::vector<std::string> logs_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
  std::unique_ptr<v1::PartnerService::Stub> partner_;
  std::unique_ptr<v1::BankService::Stub> bank_;
  std::string shop_key_;
  std::string bank_key_;
  int64_t bank_id_ = 0;
  std::string card_a_;
  std::string card_b_;
};

TEST_F(PanTest, ThePanAppearsNowhereInTheDatabaseOrTheLogs) {
  const std::string expected_ref = absl::StrCat("h:", kPanHmac);
  const std::string log1 = dir_ + "/hub-1.log";
  ASSERT_NO_FATAL_FAILURE(StartHub(log1, KeyFrom::kFile));
  ASSERT_NO_FATAL_FAILURE(SetUpCoalition());

  // Link by PAN: the hub answers with the keyed hash, the same one every time.
  v1::LinkCoBrandedCardResponse linked;
  grpc::Status s = Link(bank_key_, card_a_, Pan(), &linked);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(linked.card_ref(), expected_ref);
  EXPECT_THAT(linked.card_ref(), MatchesRegex("h:[0-9a-f]{64}"));
  EXPECT_GT(linked.member_id(), 0);
  v1::LinkCoBrandedCardResponse again;
  s = Link(bank_key_, card_a_, Pan(), &again);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(again.card_ref(), expected_ref);
  EXPECT_EQ(again.member_id(), linked.member_id());
  EXPECT_THAT(ListCards(card_a_), ElementsAre(expected_ref));

  // Clearing by PAN: two purchases, a partial refund, and records rejected with the PAN.
  std::vector<v1::ClearingResult> results;
  const std::vector<v1::ClearingRecord> records = {
      Record("p-1", Pan(), 12'345, 5411, "ACQ-1"),                 // 2 %: 246
      Record("p-2", Pan(), 5'000, 5999, "ACQ-2"),                  // 1 %: 50
      Record("r-1", Pan(), 5'000, 5411, "ACQ-1", true, "p-1"),     // floor(246 x 5000/12345)
      Record("bad-1", Pan(), -5, 5411, "ACQ-1"),                   // negative amount
      Record("bad-2", Pan(), 99'999, 5411, "ACQ-1", true, "p-2"),  // refund too large
      Record("bad-3", Pan(kPanBadLuhn), 1'000, 5411, "ACQ-1"),     // Luhn
      Record("p-1", Pan(), 12'345, 5411, "ACQ-1"),                 // replay
  };
  s = Stream(bank_key_, records, &results);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(results.size(), records.size());
  EXPECT_EQ(results[0].status(), v1::CLEARING_STATUS_EARNED) << results[0].reason();
  EXPECT_EQ(results[0].points(), 246);
  EXPECT_EQ(results[1].status(), v1::CLEARING_STATUS_EARNED) << results[1].reason();
  EXPECT_EQ(results[1].points(), 50);
  EXPECT_EQ(results[2].status(), v1::CLEARING_STATUS_REVERSED) << results[2].reason();
  EXPECT_EQ(results[2].points(), 99);
  for (int i : {3, 4, 5}) {
    EXPECT_EQ(results[i].status(), v1::CLEARING_STATUS_REJECTED) << results[i].clearing_id();
    EXPECT_EQ(results[i].code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  }
  EXPECT_THAT(results[3].reason(), StartsWith("amount.amount_minor:"));
  EXPECT_THAT(results[4].reason(), StartsWith("amount.amount_minor:"));
  EXPECT_THAT(results[5].reason(), StartsWith("card.pan:"));
  EXPECT_TRUE(results[6].replayed());
  EXPECT_EQ(results[6].points(), 246);
  for (const v1::ClearingResult& r : results) {
    ExpectNoPan(r.DebugString(), absl::StrCat("the result of ", r.clearing_id()));
  }

  // The statement by PAN.
  v1::CardStatement statement;
  s = Statement(Pan(), "2026-02", &statement);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(statement.card_ref(), expected_ref);
  EXPECT_EQ(statement.month(), "2026-02");
  EXPECT_EQ(statement.currency(), "EUR");
  EXPECT_EQ(statement.points_earned(), 296);
  EXPECT_EQ(statement.points_reversed(), 99);
  ASSERT_EQ(statement.lines_size(), 2);
  EXPECT_EQ(statement.lines(0).merchant_id(), "ACQ-1");
  EXPECT_EQ(statement.lines(0).purchases(), 1);
  EXPECT_EQ(statement.lines(0).amount_minor(), 7'345);
  EXPECT_EQ(statement.lines(0).points_earned(), 246);
  EXPECT_EQ(statement.lines(0).points_reversed(), 99);
  EXPECT_EQ(statement.lines(1).merchant_id(), "ACQ-2");
  EXPECT_EQ(statement.lines(1).points_earned(), 50);
  ExpectNoPan(statement.DebugString(), "the statement");

  // Calls that fail with the PAN, so their error paths (and log lines) run.
  v1::LinkCoBrandedCardResponse refused;
  s = Link(bank_key_, card_b_, Pan(), &refused);  // linked to member A already
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(s);
  s = Link(bank_key_, kNoSuchLoyaltyCard, Pan(), &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  s = Link(bank_key_, card_b_, Pan(kPanBadLuhn), &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_THAT(s.error_message(), StartsWith("card.pan:"));
  s = Link(shop_key_, card_a_, Pan(), &refused);  // a merchant key
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  s = Statement(Pan(), "2026-13", &statement);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  v1::UnlinkCoBrandedCardRequest unlink;
  *unlink.mutable_card() = Pan(kPanBadLuhn);
  v1::UnlinkCoBrandedCardResponse unlinked;
  s = Invoke(bank_.get(), &v1::BankService::Stub::UnlinkCoBrandedCard, bank_key_, unlink,
             &unlinked);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  std::vector<v1::ClearingResult> denied;
  s = Stream(shop_key_, {Record("m-1", Pan(), 1'000, 5411, "")}, &denied);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  ExpectNoPan(s.error_message(), "the stream's error message");
  ASSERT_NO_FATAL_FAILURE(StopHub());

  // Restarted with the key from the environment: the same PAN finds the same card.
  const std::string log2 = dir_ + "/hub-2.log";
  ASSERT_NO_FATAL_FAILURE(StartHub(log2, KeyFrom::kEnv));
  EXPECT_THAT(ListCards(card_a_), ElementsAre(expected_ref));
  v1::CardStatement after;
  s = Statement(Pan(), "2026-02", &after);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(after.card_ref(), expected_ref);
  EXPECT_EQ(after.points_earned(), 296);
  EXPECT_EQ(after.points_reversed(), 99);
  results.clear();
  s = Stream(bank_key_, {Record("p-3", Pan(), 10'000, 5999, "ACQ-2")}, &results);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status(), v1::CLEARING_STATUS_EARNED) << results[0].reason();
  EXPECT_EQ(results[0].points(), 100);
  // Unlinking by PAN works, and then the card earns nothing.
  *unlink.mutable_card() = Pan();
  s = Invoke(bank_.get(), &v1::BankService::Stub::UnlinkCoBrandedCard, bank_key_, unlink,
             &unlinked);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_TRUE(ListCards(card_a_).empty());
  results.clear();
  s = Stream(bank_key_, {Record("p-4", Pan(), 10'000, 5999, "ACQ-2")}, &results);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status(), v1::CLEARING_STATUS_NO_EARN);
  ASSERT_NO_FATAL_FAILURE(StopHub());

  // Without a key the hub takes tokens only, and says so without echoing the PAN.
  const std::string log3 = dir_ + "/hub-3.log";
  ASSERT_NO_FATAL_FAILURE(StartHub(log3, KeyFrom::kNone));
  s = Link(bank_key_, card_a_, Pan(), &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_THAT(s.error_message(), StartsWith("card.pan:"));
  ExpectNoPan(s.error_message(), "the no-key error");
  ASSERT_NO_FATAL_FAILURE(StopHub());

  // The database: the hashed reference everywhere a card is named, the PAN nowhere.
  const std::string socket = db_.options().socket;
  const std::string database = db_.options().database;
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM card_links"), 1);
  EXPECT_EQ(db_.QueryInt(absl::StrCat("SELECT COUNT(*) FROM card_links WHERE card_ref = '",
                                      expected_ref, "'")),
            1);
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM card_links WHERE card_ref NOT REGEXP "
                         "'^h:[0-9a-f]{64}$'"),
            0);
  EXPECT_EQ(db_.QueryInt(absl::StrCat("SELECT COUNT(*) FROM card_clearings WHERE card_ref = '",
                                      expected_ref, "'")),
            5);  // p-1, p-2, r-1, p-3, p-4
  EXPECT_EQ(db_.QueryInt("SELECT COUNT(*) FROM card_clearings WHERE card_ref NOT REGEXP "
                         "'^h:[0-9a-f]{64}$'"),
            0);

  const std::string dump_file = dir_ + "/dump.sql";
  std::string ignored;
  ASSERT_EQ(RunCommand(absl::StrCat("mariadb-dump --no-defaults --socket=", socket,
                                    " -uroot --skip-extended-insert --routines --triggers ",
                                    database, " > ", dump_file),
                       &ignored),
            0);
  const std::string dump = ReadFile(dump_file);
  ASSERT_THAT(dump, HasSubstr("CREATE TABLE `card_clearings`"));
  ASSERT_THAT(dump, HasSubstr(expected_ref));  // the dump does hold the card rows
  ASSERT_THAT(dump, HasSubstr("INSERT INTO `audit_log`"));
  ExpectNoPan(dump, "mariadb-dump of the test database");
  const std::string rows = AllRows();
  ASSERT_THAT(rows, HasSubstr(expected_ref));
  ExpectNoPan(rows, "the rows of information_schema's tables");

  // The logs: what the hub printed, including the failed calls, never the PAN or the key.
  for (const std::string& log : {log1, log2, log3}) {
    const std::string text = ReadFile(log);
    EXPECT_THAT(text, HasSubstr("event=serving")) << log;
    ExpectNoPan(text, log);
    EXPECT_THAT(text, Not(HasSubstr(kPanKey))) << log;
  }
  const std::string first = ReadFile(log1);
  EXPECT_THAT(first, HasSubstr("method=LinkCoBrandedCard"));
  EXPECT_THAT(first, HasSubstr("code=ALREADY_EXISTS"));
  EXPECT_THAT(first, HasSubstr("code=NOT_FOUND"));
  EXPECT_THAT(first, HasSubstr("method=GetCardStatement"));
  EXPECT_THAT(first, HasSubstr("method=UnlinkCoBrandedCard"));
  EXPECT_THAT(first, HasSubstr("method=SubmitCardTransactions"));
  EXPECT_THAT(ReadFile(log3), HasSubstr("code=FAILED_PRECONDITION"));
}

// The search itself finds a PAN in each form it looks for (so a clean result above
// means something).
TEST(PanSearchTest, FindsEachFormOfThePan) {
  for (const std::string& form : PanForms()) {
    EXPECT_THAT(PanFormsIn(absl::StrCat("x=", form, "\n")), ::testing::Contains(form));
  }
  EXPECT_TRUE(
      PanFormsIn(absl::StrCat("h:", kPanHmac, " 1770724800000000 7000000000000005")).empty());
}

}  // namespace
}  // namespace loyalty
