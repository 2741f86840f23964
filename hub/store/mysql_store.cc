#include "hub/store/mysql_store.h"

#include <cppconn/driver.h>
#include <cppconn/statement.h>
#include <mysql_driver.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "hub/common/status_macros.h"
#include "hub/store/migrations.h"
#include "hub/store/mysql_txn.h"

namespace loyalty {
namespace {

// Connector/C++ 1.1 wants the driver taken once before threads start, and
// threadInit()/threadEnd() around each thread's use of it.
sql::mysql::MySQL_Driver* Driver() {
  static sql::mysql::MySQL_Driver* driver = sql::mysql::get_mysql_driver_instance();
  return driver;
}

struct DriverThreadGuard {
  DriverThreadGuard() { Driver()->threadInit(); }
  ~DriverThreadGuard() { Driver()->threadEnd(); }
};

void EnsureThreadInit() { thread_local DriverThreadGuard guard; }

bool ValidDatabaseName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

// Connects without selecting a database when `with_schema` is false.
absl::StatusOr<std::unique_ptr<sql::Connection>> Connect(const MysqlOptions& o, bool with_schema) {
  EnsureThreadInit();
  sql::ConnectOptionsMap props;
  if (!o.socket.empty()) {
    props["hostName"] = sql::SQLString("localhost");
    props["socket"] = sql::SQLString(o.socket);
  } else {
    props["hostName"] = sql::SQLString(absl::StrCat("tcp://", o.host, ":", o.port));
  }
  props["userName"] = sql::SQLString(o.user);
  props["password"] = sql::SQLString(o.password);
  if (with_schema) props["schema"] = sql::SQLString(o.database);
  props["OPT_RECONNECT"] = false;
  try {
    std::unique_ptr<sql::Connection> conn(Driver()->connect(props));
    std::unique_ptr<sql::Statement> st(conn->createStatement());
    st->execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    st->execute(
        absl::StrCat("SET SESSION innodb_lock_wait_timeout = ", o.lock_wait_timeout_seconds));
    st->execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'");
    return conn;
  } catch (const sql::SQLException& e) {
    bool retry = false, broken = false;
    return absl::UnavailableError(StatusFromSqlException(e, &retry, &broken).message());
  }
}

absl::Status ExecuteAdmin(const MysqlOptions& o, const std::string& sql) {
  ASSIGN_OR_RETURN(std::unique_ptr<sql::Connection> conn, Connect(o, false));
  try {
    std::unique_ptr<sql::Statement> st(conn->createStatement());
    st->execute(sql);
  } catch (const sql::SQLException& e) {
    bool retry = false, broken = false;
    return StatusFromSqlException(e, &retry, &broken);
  }
  return absl::OkStatus();
}

class MysqlStore;

// Ids from blocks reserved in id_blocks (migration 0008), each in a short transaction
// on a connection of its own, so a batch holding member locks never holds the counter
// row. A block never starts below the table's largest id (rows written by other tools).
class IdBlocks final : public IdSource {
 public:
  explicit IdBlocks(MysqlStore* store) : store_(store) {}
  absl::StatusOr<int64_t> Next(IdKind kind) override;

 private:
  // Ids per reservation. A hub that stops leaves the rest of its blocks unused (gaps).
  static constexpr int64_t kBlock = 4096;
  struct Range {
    int64_t next = 0;
    int64_t end = 0;
  };
  MysqlStore* const store_;
  absl::Mutex mu_;
  Range ranges_[5] ABSL_GUARDED_BY(mu_);
};

class MysqlStore final : public Store {
 public:
  explicit MysqlStore(MysqlOptions options) : options_(std::move(options)), ids_(this) {}

  using Store::RunInTransaction;

  absl::Status RunInTransaction(const std::function<absl::Status(StoreTxn&)>& fn) override;
  absl::Status RunBatchTransaction(const std::function<absl::Status(BatchRows&)>& fn) override;
  absl::Status RunAnalytics(const std::function<absl::Status(AnalyticsRows&)>& fn) override;
  absl::Status RunEventTransaction(const std::function<absl::Status(MemberRows&)>& fn) override;
  absl::Status Migrate() override;
  absl::Status Ping() override;

  // Reserves ids [first, first + n) of `table` in a transaction of its own.
  absl::StatusOr<int64_t> ReserveIds(const char* table, int64_t n);

 private:
  absl::StatusOr<std::unique_ptr<MysqlConnection>> Borrow();
  void Return(std::unique_ptr<MysqlConnection> c);
  // What a transaction does before COMMIT: returns its status and sets *retryable when
  // a failure may pass in a new attempt.
  using Body = std::function<absl::Status(MysqlTxn& txn, bool* retryable)>;
  // One attempt: `body`, then COMMIT if it returned OK, ROLLBACK otherwise; sets *retry
  // when another attempt may succeed.
  absl::Status Attempt(MysqlConnection* c, const Body& body, bool* retry);
  // Attempts `body` until it commits, fails for good, or the attempts run out.
  absl::Status RunAttempts(const Body& body);

  const MysqlOptions options_;
  IdBlocks ids_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<MysqlConnection>> idle_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<int64_t> IdBlocks::Next(IdKind kind) {
  static constexpr const char* kTables[] = {"txns", "lots", "consumptions", "holds", "debts"};
  const int k = static_cast<int>(kind);
  absl::MutexLock lock(&mu_);
  Range& r = ranges_[k];
  if (r.next == r.end) {
    // Once per kBlock ids; other kinds wait meanwhile, which is fine at that rate.
    ASSIGN_OR_RETURN(int64_t first, store_->ReserveIds(kTables[k], kBlock));
    r = {first, first + kBlock};
  }
  return r.next++;
}

absl::StatusOr<int64_t> MysqlStore::ReserveIds(const char* table, int64_t n) {
  ASSIGN_OR_RETURN(std::unique_ptr<MysqlConnection> c, Borrow());
  absl::StatusOr<int64_t> first;
  try {
    std::unique_ptr<sql::Statement> st(c->conn->createStatement());
    st->execute(
        absl::StrCat("UPDATE id_blocks SET next_id = LAST_INSERT_ID(GREATEST(next_id, (SELECT "
                     "COALESCE(MAX(id), 0) + 1 FROM ",
                     table, "))) + ", n, " WHERE name = '", table, "'"));
    std::unique_ptr<sql::ResultSet> rs(st->executeQuery("SELECT LAST_INSERT_ID()"));
    LOYALTY_CHECK(rs->next());
    first = rs->getInt64(1);
    st->execute("COMMIT");
    LOYALTY_CHECK(*first > 0);
  } catch (const sql::SQLException& e) {
    bool retry = false;
    first = absl::UnavailableError(absl::StrCat(
        "reserving ", table, " ids: ", StatusFromSqlException(e, &retry, &c->broken).message()));
  }
  Return(std::move(c));
  return first;
}

absl::StatusOr<std::unique_ptr<MysqlConnection>> MysqlStore::Borrow() {
  EnsureThreadInit();
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<MysqlConnection> c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<sql::Connection> conn, Connect(options_, true));
  auto c = std::make_unique<MysqlConnection>();
  c->conn = std::move(conn);
  c->conn->setAutoCommit(false);
  return c;
}

void MysqlStore::Return(std::unique_ptr<MysqlConnection> c) {
  if (c->broken) return;
  absl::MutexLock lock(&mu_);
  if (static_cast<int>(idle_.size()) < options_.max_idle_connections) {
    idle_.push_back(std::move(c));
  }
}

absl::Status MysqlStore::Attempt(MysqlConnection* c, const Body& body, bool* retry) {
  MysqlTxn txn(c, &ids_);
  bool retryable = false;
  absl::Status status = body(txn, &retryable);
  try {
    // COMMIT and ROLLBACK as statements: Connector/C++ 1.1's commit() over libmariadb
    // returned normally on a connection whose server had just been killed (the MariaDB
    // outage harness caught postings answered as done that never committed); a
    // statement that cannot reach the server always throws.
    std::unique_ptr<sql::Statement> st(c->conn->createStatement());
    st->execute(status.ok() ? "COMMIT" : "ROLLBACK");
  } catch (const sql::SQLException& e) {
    bool commit_retry = false;
    absl::Status s = StatusFromSqlException(e, &commit_retry, &c->broken);
    *retry = commit_retry;
    return s;
  }
  *retry = !status.ok() && retryable;
  return status;
}

absl::Status MysqlStore::RunAttempts(const Body& body) {
  absl::Status last;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) {
      // Back off a little, more each time, so the competing transaction finishes.
      std::this_thread::sleep_for(std::chrono::microseconds(200 * attempt * attempt));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<MysqlConnection> c, Borrow());
    bool retry = false;
    last = Attempt(c.get(), body, &retry);
    Return(std::move(c));
    if (!retry) return last;
  }
  return absl::AbortedError(absl::StrCat("transaction gave up after ", options_.max_attempts,
                                         " attempts: ", last.message()));
}

absl::Status MysqlStore::RunInTransaction(const std::function<absl::Status(StoreTxn&)>& fn) {
  return RunBatchTransaction([&fn](BatchRows& rows) { return fn(rows); });
}

absl::Status MysqlStore::RunBatchTransaction(const std::function<absl::Status(BatchRows&)>& fn) {
  return RunAttempts([&](MysqlTxn& txn, bool* retryable) {
    std::unique_ptr<BatchRows> wrapped;
    if (options_.TEST_wrap_rows) wrapped = options_.TEST_wrap_rows(&txn);
    BatchRows& rows = wrapped != nullptr ? *wrapped : txn;
    absl::Status status = fn(rows);
    *retryable = !status.ok() && rows.Retryable();
    if (status.ok()) {
      // The events of what was written, in the same transaction (mysql_events.cc).
      status = txn.WriteEvents();
      *retryable = !status.ok() && txn.Retryable();
    }
    if (status.ok()) {
      status = rows.BeforeCommit();
      *retryable = !status.ok() && rows.Retryable();
    }
    return status;
  });
}

absl::Status MysqlStore::RunEventTransaction(const std::function<absl::Status(MemberRows&)>& fn) {
  return RunAttempts([&](MysqlTxn& txn, bool* retryable) {
    absl::Status status = fn(txn);
    *retryable = txn.Retryable();
    return status;
  });
}

absl::Status MysqlStore::RunAnalytics(const std::function<absl::Status(AnalyticsRows&)>& fn) {
  ASSIGN_OR_RETURN(std::unique_ptr<MysqlConnection> c, Borrow());
  absl::Status status;
  bool open = false;
  try {
    std::unique_ptr<sql::Statement> st(c->conn->createStatement());
    // Every read of a report sees the same committed state, and nothing is locked. The
    // hub's sessions run READ COMMITTED, under which InnoDB ignores WITH CONSISTENT
    // SNAPSHOT: this one transaction (only) is REPEATABLE READ.
    st->execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
    st->execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    open = true;
    MysqlTxn txn(c.get(), &ids_);
    status = fn(txn);
  } catch (const sql::SQLException& e) {
    bool retry = false;
    status = StatusFromSqlException(e, &retry, &c->broken);
  }
  if (open && !c->broken) {
    // Ends the read-only transaction whatever happened, so the pooled connection takes
    // postings again; a failure here makes it one not to reuse.
    try {
      std::unique_ptr<sql::Statement> st(c->conn->createStatement());
      st->execute("ROLLBACK");
    } catch (const sql::SQLException& e) {
      bool retry = false;
      (void)StatusFromSqlException(e, &retry, &c->broken);
      c->broken = true;
    }
  }
  Return(std::move(c));
  return status;
}

absl::Status MysqlStore::Migrate() {
  ASSIGN_OR_RETURN(std::unique_ptr<sql::Connection> conn, Connect(options_, true));
  try {
    std::unique_ptr<sql::Statement> st(conn->createStatement());
    // A named lock keeps two hub instances from migrating at once.
    std::unique_ptr<sql::ResultSet> lock(
        st->executeQuery("SELECT GET_LOCK('loyalty_migrate', 60)"));
    if (!lock->next() || lock->getInt(1) != 1) {
      return absl::UnavailableError("could not take the migration lock");
    }
    st->execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INT NOT NULL PRIMARY KEY, "
        "name VARCHAR(100) NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT "
        "CURRENT_TIMESTAMP) ENGINE=InnoDB");
    int applied = 0;
    {
      std::unique_ptr<sql::ResultSet> rs(
          st->executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
      rs->next();
      applied = rs->getInt(1);
    }
    for (const Migration& m : AllMigrations()) {
      if (m.version <= applied) continue;
      std::string sql;
      // Drop comment lines, then split on ';' that ends a line.
      for (absl::string_view line : absl::StrSplit(m.sql, '\n')) {
        if (absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "--")) continue;
        absl::StrAppend(&sql, line, "\n");
      }
      for (absl::string_view stmt : absl::StrSplit(sql, ";\n")) {
        if (absl::StripAsciiWhitespace(stmt).empty()) continue;
        st->execute(std::string(stmt));
      }
      std::unique_ptr<sql::PreparedStatement> ins(
          conn->prepareStatement("INSERT INTO schema_migrations (version, name) VALUES (?, ?)"));
      ins->setInt(1, m.version);
      ins->setString(2, m.name);
      ins->executeUpdate();
      st->execute("COMMIT");
    }
    st->execute("DO RELEASE_LOCK('loyalty_migrate')");
  } catch (const sql::SQLException& e) {
    bool retry = false, broken = false;
    return StatusFromSqlException(e, &retry, &broken);
  }
  return absl::OkStatus();
}

absl::Status MysqlStore::Ping() {
  return RunInTransaction([](StoreTxn& txn) { return txn.GetProgram().status(); });
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenMysqlStore(const MysqlOptions& options) {
  if (!ValidDatabaseName(options.database)) {
    return absl::InvalidArgumentError("mysql database name must be [A-Za-z0-9_]{1,64}");
  }
  Driver();
  ASSIGN_OR_RETURN(std::unique_ptr<sql::Connection> probe, Connect(options, true));
  return std::unique_ptr<Store>(new MysqlStore(options));
}

absl::Status CreateDatabaseIfMissing(const MysqlOptions& options) {
  if (!ValidDatabaseName(options.database)) {
    return absl::InvalidArgumentError("mysql database name must be [A-Za-z0-9_]{1,64}");
  }
  return ExecuteAdmin(options, absl::StrCat("CREATE DATABASE IF NOT EXISTS `", options.database,
                                            "` CHARACTER SET utf8mb4"));
}

absl::Status DropDatabase(const MysqlOptions& options) {
  if (!ValidDatabaseName(options.database)) {
    return absl::InvalidArgumentError("mysql database name must be [A-Za-z0-9_]{1,64}");
  }
  return ExecuteAdmin(options, absl::StrCat("DROP DATABASE IF EXISTS `", options.database, "`"));
}

}  // namespace loyalty
