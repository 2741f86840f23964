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

namespace sql {
class Connection;
}  // namespace sql

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

  // The store tests post through: with LOYALTY_TEST_GROUP_COMMIT=1 in the environment,
  // a GroupCommitStore over the database (so whole suites run in both modes).
  Store* store() { return batched_ != nullptr ? batched_.get() : store_.get(); }
  bool group_commit() const { return batched_ != nullptr; }
  const MysqlOptions& options() const { return options_; }
  // Runs one SQL query and returns the first column of the first row as int64 (0 when
  // no row): for assertions on what was (not) written.
  int64_t QueryInt(const std::string& sql);
  // Runs one SQL statement (autocommit), for tests that tamper with rows on purpose.
  void Execute(const std::string& sql);

 private:
  MysqlOptions options_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Store> batched_;
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
  // Changes only the program's expiry, so later lots get a different lifetime.
  void SetExpiryMonths(int months);

  // Convenience wrappers; each uses a fresh partner_txn_id (adjustment_id) unless one is
  // given. Request is the bare partner request, for calls without a wrapper.
  PartnerRequest Request(PartnerId p, std::string txn_id = "");
  absl::StatusOr<Posting> Earn(PartnerId p, const std::string& card, int64_t amount_minor,
                               std::string txn_id = "");
  absl::StatusOr<Posting> EarnPoints(PartnerId p, const std::string& card, Points points,
                                     std::string txn_id = "");
  absl::StatusOr<Posting> Redeem(PartnerId p, const std::string& card, Points points,
                                 std::string txn_id = "");
  absl::StatusOr<Posting> Reverse(PartnerId p, const std::string& original, Points points,
                                  std::string txn_id = "");
  // Reserves `points` of the card's for a later capture or void.
  absl::StatusOr<Posting> Authorize(PartnerId p, const std::string& card, Points points,
                                    std::string txn_id = "");
  // Captures `points` (0 = all held) of the partner's authorization `auth`.
  absl::StatusOr<Posting> Capture(PartnerId p, const std::string& auth, Points points,
                                  std::string txn_id = "");
  // Releases what the partner's authorization `auth` holds.
  absl::StatusOr<Posting> Void(PartnerId p, const std::string& auth, std::string txn_id = "");
  // An operator credit (points > 0) or debit (points < 0).
  absl::StatusOr<Posting> Adjust(const std::string& card, Points points,
                                 std::string adjustment_id = "", std::string reason = "goodwill");
  BalanceView Balance(const std::string& card);
  // Fails the current test with the violations if any invariant is broken.
  void ExpectInvariants();

  // SQL read-backs for assertions on what was (not) written.
  // The first column of the first row of `sql` as int64 (0 when none).
  int64_t Query(const std::string& sql) { return db_.QueryInt(sql); }
  // The number of rows in `table`.
  int64_t Rows(const std::string& table);
  // The lot an earn (or operator credit) created.
  LotId LotOf(const Posting& earn);
  // One column of a lot.
  int64_t LotField(LotId lot, const std::string& column);
  // The points left in a lot.
  Points Remaining(LotId lot) { return LotField(lot, "remaining"); }
  // The journal net of one account: what entered it minus what left it.
  Points AccountNet(const std::string& account);

  // A fresh partner_txn_id: t-1, t-2, ...
  std::string NextTxnId();

 private:
  // `txn_id`, or a fresh one when it is empty.
  std::string IdOrNext(std::string txn_id);

  TestDb db_;
  FakeClock clock_{kStart};
  Ledger ledger_;
  int next_txn_ = 0;
};

// Holds the row lock of one member from a connection of its own, the way a long
// transaction of another hub instance would, so requests queue on it.
class MemberRowLock {
 public:
  MemberRowLock(const MysqlOptions& o, MemberId member);
  ~MemberRowLock();
  MemberRowLock(const MemberRowLock&) = delete;
  MemberRowLock& operator=(const MemberRowLock&) = delete;
  bool locked() const { return locked_; }
  // Ends the locking transaction; the queued requests go on.
  void Release();

 private:
  std::unique_ptr<sql::Connection> conn_;
  bool locked_ = false;
};

// Waits (bounded) until `n` sessions of this test's database are inside the member-row
// lock statement, i.e. queued behind MemberRowLock: each has looked its idempotency
// key up already. (The process list shows every waiting statement; innodb_trx on
// MariaDB does not reliably list all of them.)
bool AwaitLockWaiters(TestDb& db, int n);

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_TEST_DB_H_
