#include "tests/support/test_db.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

namespace loyalty::testing {

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
}

TestDb::~TestDb() {
  store_.reset();
  (void)DropDatabase(options_);
}

int64_t TestDb::QueryInt(const std::string& sql) {
  sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
  sql::ConnectOptionsMap props;
  props["hostName"] = sql::SQLString("localhost");
  props["socket"] = sql::SQLString(options_.socket);
  props["userName"] = sql::SQLString(options_.user);
  props["password"] = sql::SQLString("");
  props["schema"] = sql::SQLString(options_.database);
  std::unique_ptr<sql::Connection> conn(driver->connect(props));
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

PartnerId LedgerFixture::AddPartner(const std::string& category, int64_t earn_rate_bp,
                                    Role role) {
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
  PartnerRequest req;
  req.partner_id = partner;
  req.partner_txn_id = NextTxnId();
  auto r = ledger_.EnrollMember(req);
  if (!r.ok()) {
    ADD_FAILURE() << "EnrollMember: " << r.status();
    return "";
  }
  return r->card_number;
}

std::string LedgerFixture::NextTxnId() { return absl::StrCat("t-", ++next_txn_); }

absl::StatusOr<Posting> LedgerFixture::Earn(PartnerId p, const std::string& card,
                                            int64_t amount_minor, std::string txn_id) {
  EarnParams e;
  e.req.partner_id = p;
  e.req.partner_txn_id = txn_id.empty() ? NextTxnId() : txn_id;
  e.card_number = card;
  e.amount_minor = amount_minor;
  e.currency = "EUR";
  return ledger_.Earn(e);
}

absl::StatusOr<Posting> LedgerFixture::EarnPoints(PartnerId p, const std::string& card,
                                                  Points points, std::string txn_id) {
  EarnParams e;
  e.req.partner_id = p;
  e.req.partner_txn_id = txn_id.empty() ? NextTxnId() : txn_id;
  e.card_number = card;
  e.currency = "EUR";
  e.stated_points = points;
  return ledger_.Earn(e);
}

absl::StatusOr<Posting> LedgerFixture::Redeem(PartnerId p, const std::string& card,
                                              Points points, std::string txn_id) {
  RedeemParams r;
  r.req.partner_id = p;
  r.req.partner_txn_id = txn_id.empty() ? NextTxnId() : txn_id;
  r.card_number = card;
  r.points = points;
  return ledger_.Redeem(r);
}

absl::StatusOr<Posting> LedgerFixture::Reverse(PartnerId p, const std::string& original,
                                               Points points, std::string txn_id) {
  ReverseParams r;
  r.req.partner_id = p;
  r.req.partner_txn_id = txn_id.empty() ? NextTxnId() : txn_id;
  r.original_partner_txn_id = original;
  r.points = points;
  return ledger_.Reverse(r);
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

}  // namespace loyalty::testing
