// A fresh database on the real MariaDB server the CTest fixture started (see
// tests/CMakeLists.txt: the `db_start` / `db_stop` fixture, socket in
// LOYALTY_TEST_MYSQL_SOCKET). Each TestDb creates its own uniquely named database,
// migrates it, and drops it when destroyed. No mocks: this is the server the hub runs on.
#ifndef LOYALTY_TESTS_SUPPORT_TEST_DB_H_
#define LOYALTY_TESTS_SUPPORT_TEST_DB_H_

#include <memory>
#include <string>

#include "hub/common/clock.h"
#include "hub/ledger/ledger.h"
#include "hub/store/mysql_store.h"

namespace loyalty::testing {

// The options of the fixture's server, with database `database`. Aborts the test
// binary with a clear message if LOYALTY_TEST_MYSQL_SOCKET is not set.
MysqlOptions FixtureOptions(const std::string& database);

class TestDb {
 public:
  TestDb();
  ~TestDb();
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;

  Store* store() { return store_.get(); }
  const MysqlOptions& options() const { return options_; }
  // Runs one SQL query and returns the first column of the first row as int64 (0 when
  // no row): for assertions on what was (not) written.
  int64_t QueryInt(const std::string& sql);

 private:
  MysqlOptions options_;
  std::unique_ptr<Store> store_;
};

// A TestDb with a FakeClock, a Ledger, a program (EUR, 1 point = 0.01 EUR, 12-month
// expiry, 600 s holds) and helpers to make partners and members.
class LedgerFixture {
 public:
  // 2026-01-15 10:00:00 UTC.
  static constexpr Micros kStart = 1768471200'000000;

  LedgerFixture();

  Ledger& ledger() { return ledger_; }
  FakeClock& clock() { return clock_; }
  TestDb& db() { return db_; }

  // Registers a merchant in `category` with `earn_rate_bp`; returns its id.
  PartnerId AddPartner(const std::string& category, int64_t earn_rate_bp = 500,
                       Role role = Role::kMerchant);
  // Enrolls a member through `partner`; returns its card number.
  std::string AddMember(PartnerId partner);

  // Convenience wrappers; each uses a fresh partner_txn_id unless one is given.
  absl::StatusOr<Posting> Earn(PartnerId p, const std::string& card, int64_t amount_minor,
                               std::string txn_id = "");
  absl::StatusOr<Posting> EarnPoints(PartnerId p, const std::string& card, Points points,
                                     std::string txn_id = "");
  absl::StatusOr<Posting> Redeem(PartnerId p, const std::string& card, Points points,
                                 std::string txn_id = "");
  absl::StatusOr<Posting> Reverse(PartnerId p, const std::string& original, Points points,
                                  std::string txn_id = "");
  BalanceView Balance(const std::string& card);
  // Fails the current test with the violations if any invariant is broken.
  void ExpectInvariants();

  std::string NextTxnId();

 private:
  TestDb db_;
  FakeClock clock_{kStart};
  Ledger ledger_;
  int next_txn_ = 0;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_TEST_DB_H_
