#include "tests/support/test_db.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "hub/store/group_commit.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

// A connection of its own to the test database, beside the store's.
std::unique_ptr<sql::Connection> Connect(const MysqlOptions& o) {
  sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
  sql::ConnectOptionsMap props;
  props["hostName"] = sql::SQLString("localhost");
  props["socket"] = sql::SQLString(o.socket);
  props["userName"] = sql::SQLString(o.user);
  props["password"] = sql::SQLString("");
  props["schema"] = sql::SQLString(o.database);
  return std::unique_ptr<sql::Connection>(driver->connect(props));
}

}  // namespace

MysqlOptions FixtureOptions(const std::string& database) {
  const char* socket = std::getenv("LOYALTY_TEST_MYSQL_SOCKET");
  if (socket == nullptr || *socket == '\0') {
    std::fprintf(stderr,
                 "LOYALTY_TEST_MYSQL_SOCKET is not set: run the tests through ctest (the "
                 "db_start fixture starts MariaDB) or deploy/dev.sh test\n");
    std::abort();
  }
  MysqlOptions o;
  o.socket = socket;
  o.user = "root";
  o.database = database;
  return o;
}

TestDb::TestDb() {
  static std::atomic<int> counter{0};
  options_ = FixtureOptions(absl::StrCat("t_", getpid(), "_", counter++));
  absl::Status s = DropDatabase(options_);
  if (s.ok()) s = CreateDatabaseIfMissing(options_);
  if (!s.ok()) {
    std::fprintf(stderr, "test database: %s\n", std::string(s.message()).c_str());
    std::abort();
  }
  auto store = OpenMysqlStore(options_);
  if (!store.ok()) {
    std::fprintf(stderr, "test store: %s\n", std::string(store.status().message()).c_str());
    std::abort();
  }
  store_ = std::move(*store);
  s = store_->Migrate();
  if (!s.ok()) {
    std::fprintf(stderr, "migrate: %s\n", std::string(s.message()).c_str());
    std::abort();
  }
  const char* group_commit = std::getenv("LOYALTY_TEST_GROUP_COMMIT");
  if (group_commit != nullptr && std::string(group_commit) == "1") {
    GroupCommitOptions o;
    o.max_batch = 16;
    o.committers = 2;
    batched_ = std::make_unique<GroupCommitStore>(store_.get(), o);
  }
}

TestDb::~TestDb() {
  batched_.reset();
  store_.reset();
  (void)DropDatabase(options_);
}

void TestDb::Execute(const std::string& sql) {
  std::unique_ptr<sql::Connection> conn = Connect(options_);
  std::unique_ptr<sql::Statement> st(conn->createStatement());
  st->execute(sql);
}

int64_t TestDb::QueryInt(const std::string& sql) {
  std::unique_ptr<sql::Connection> conn = Connect(options_);
  std::unique_ptr<sql::Statement> st(conn->createStatement());
  std::unique_ptr<sql::ResultSet> rs(st->executeQuery(sql));
  if (!rs->next() || rs->isNull(1)) return 0;
  return rs->getInt64(1);
}

LedgerFixture::LedgerFixture() : ledger_(db_.store(), &clock_) {
  ProgramRecord p;
  p.point_value_micros = 10'000;
  p.currency = "EUR";
  p.expiry_months = 12;
  p.hold_timeout_seconds = 600;
  auto set = ledger_.SetProgram("test", p);
  if (!set.ok()) {
    std::fprintf(stderr, "SetProgram: %s\n", std::string(set.status().message()).c_str());
    std::abort();
  }
}

PartnerId LedgerFixture::AddPartner(const std::string& category, int64_t earn_rate_bp, Role role) {
  PartnerRecord p;
  p.name = absl::StrCat("Partner ", category);
  p.category = category;
  p.role = role;
  p.earn_rate_bp = earn_rate_bp;
  auto r = ledger_.RegisterPartner("test", p);
  if (!r.ok()) {
    ADD_FAILURE() << "RegisterPartner: " << r.status();
    return 0;
  }
  return r->partner.id;
}

std::string LedgerFixture::AddMember(PartnerId partner) {
  auto r = ledger_.EnrollMember(Request(partner));
  if (!r.ok()) {
    ADD_FAILURE() << "EnrollMember: " << r.status();
    return "";
  }
  return r->card_number;
}

void LedgerFixture::SetExpiryMonths(int months) {
  ProgramRecord p = Ok(ledger_.GetProgram());
  p.expiry_months = months;
  ASSERT_TRUE(ledger_.SetProgram("test", p).ok());
}

std::string LedgerFixture::NextTxnId() { return absl::StrCat("t-", ++next_txn_); }

std::string LedgerFixture::IdOrNext(std::string txn_id) {
  return txn_id.empty() ? NextTxnId() : txn_id;
}

PartnerRequest LedgerFixture::Request(PartnerId p, std::string txn_id) {
  return MakeRequest(p, IdOrNext(std::move(txn_id)));
}

absl::StatusOr<Posting> LedgerFixture::Earn(PartnerId p, const std::string& card,
                                            int64_t amount_minor, std::string txn_id) {
  return ledger_.Earn(MakeEarn(p, card, amount_minor, IdOrNext(std::move(txn_id))));
}

absl::StatusOr<Posting> LedgerFixture::EarnPoints(PartnerId p, const std::string& card,
                                                  Points points, std::string txn_id) {
  EarnParams e = MakeEarn(p, card, /*amount_minor=*/0, IdOrNext(std::move(txn_id)));
  e.stated_points = points;
  return ledger_.Earn(e);
}

absl::StatusOr<Posting> LedgerFixture::Redeem(PartnerId p, const std::string& card, Points points,
                                              std::string txn_id) {
  return ledger_.Redeem(MakeRedeem(p, card, points, IdOrNext(std::move(txn_id))));
}

absl::StatusOr<Posting> LedgerFixture::Reverse(PartnerId p, const std::string& original,
                                               Points points, std::string txn_id) {
  return ledger_.Reverse(MakeReverse(p, original, points, IdOrNext(std::move(txn_id))));
}

absl::StatusOr<Posting> LedgerFixture::Authorize(PartnerId p, const std::string& card,
                                                 Points points, std::string txn_id) {
  return ledger_.AuthorizeRedemption(MakeRedeem(p, card, points, IdOrNext(std::move(txn_id))));
}

absl::StatusOr<Posting> LedgerFixture::Capture(PartnerId p, const std::string& auth, Points points,
                                               std::string txn_id) {
  return ledger_.CaptureRedemption(MakeCapture(p, auth, points, IdOrNext(std::move(txn_id))));
}

absl::StatusOr<Posting> LedgerFixture::Void(PartnerId p, const std::string& auth,
                                            std::string txn_id) {
  return ledger_.VoidRedemption(MakeCapture(p, auth, 0, IdOrNext(std::move(txn_id))));
}

absl::StatusOr<Posting> LedgerFixture::Adjust(const std::string& card, Points points,
                                              std::string adjustment_id, std::string reason) {
  return ledger_.AdjustPoints(
      MakeAdjust(card, points, IdOrNext(std::move(adjustment_id)), std::move(reason)));
}

BalanceView LedgerFixture::Balance(const std::string& card) {
  auto b = ledger_.GetBalance(card);
  EXPECT_TRUE(b.ok()) << b.status();
  return b.ok() ? *b : BalanceView{};
}

void LedgerFixture::ExpectInvariants() {
  auto v = ledger_.CheckInvariants();
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->empty()) << absl::StrJoin(*v, "\n");
}

int64_t LedgerFixture::Rows(const std::string& table) {
  return Query(absl::StrCat("SELECT COUNT(*) FROM ", table));
}

LotId LedgerFixture::LotOf(const Posting& earn) {
  return Query(absl::StrCat("SELECT id FROM lots WHERE earn_txn_id = ", earn.txn_id));
}

int64_t LedgerFixture::LotField(LotId lot, const std::string& column) {
  return Query(absl::StrCat("SELECT ", column, " FROM lots WHERE id = ", lot));
}

Points LedgerFixture::AccountNet(const std::string& account) {
  return Query(absl::StrCat("SELECT CAST(COALESCE(SUM(CASE WHEN credit_account = '", account,
                            "' THEN points ELSE 0 END) - SUM(CASE WHEN debit_account = '", account,
                            "' THEN points ELSE 0 END), 0) AS SIGNED) FROM transfers"));
}

MemberRowLock::MemberRowLock(const MysqlOptions& o, MemberId member) : conn_(Connect(o)) {
  conn_->setAutoCommit(false);
  std::unique_ptr<sql::Statement> st(conn_->createStatement());
  std::unique_ptr<sql::ResultSet> rs(
      st->executeQuery(absl::StrCat("SELECT id FROM members WHERE id = ", member, " FOR UPDATE")));
  locked_ = rs->next();
}

MemberRowLock::~MemberRowLock() { Release(); }

void MemberRowLock::Release() {
  if (conn_ != nullptr) {
    conn_->rollback();
    conn_.reset();
  }
}

bool AwaitLockWaiters(TestDb& db, int n) {
  // The query's own text matches the pattern too: leave its session out.
  const std::string sql = absl::StrCat(
      "SELECT COUNT(*) FROM information_schema.processlist WHERE db = '", db.options().database,
      "' AND id <> CONNECTION_ID() AND info LIKE '%FROM members WHERE id % FOR UPDATE%'");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (std::chrono::steady_clock::now() < deadline) {
    if (db.QueryInt(sql) >= n) return true;
  }
  return false;
}

}  // namespace loyalty::testing
