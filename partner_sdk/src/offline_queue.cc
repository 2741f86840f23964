#include "offline_queue.h"

#include <sqlite3.h>

#include <cassert>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hub/common/status_macros.h"

namespace loyalty::sdk::internal {
namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr char kEarnColumns[] =
    "partner_txn_id, card_number, amount_minor, currency, points, occurred_at_micros";

constexpr char kSchema[] = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
CREATE TABLE IF NOT EXISTS queued_earns (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  partner_txn_id TEXT NOT NULL UNIQUE,
  card_number TEXT NOT NULL,
  amount_minor INTEGER NOT NULL,
  currency TEXT NOT NULL,
  points INTEGER NOT NULL,
  occurred_at_micros INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS failed_earns (
  seq INTEGER PRIMARY KEY,
  partner_txn_id TEXT NOT NULL,
  card_number TEXT NOT NULL,
  amount_minor INTEGER NOT NULL,
  currency TEXT NOT NULL,
  points INTEGER NOT NULL,
  occurred_at_micros INTEGER NOT NULL,
  code INTEGER NOT NULL,
  message TEXT NOT NULL,
  failed_at_micros INTEGER NOT NULL);
)sql";

absl::Status SqliteError(sqlite3* db, const char* what) {
  return absl::UnavailableError(absl::StrCat("offline queue: ", what, ": ", sqlite3_errmsg(db)));
}

// A prepared statement, finalized when it goes out of scope.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) stmt_ = nullptr;
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() { return stmt_; }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col) {
    const unsigned char* t = sqlite3_column_text(stmt_, col);
    return t == nullptr ? std::string() : reinterpret_cast<const char*>(t);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Runs a statement that returns no rows.
absl::Status Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    absl::Status s = absl::UnavailableError(absl::StrCat("offline queue: ", err ? err : "?"));
    sqlite3_free(err);
    return s;
  }
  return absl::OkStatus();
}

// Columns 0..5 of a row in kEarnColumns order.
EarnParams EarnFromRow(Stmt& s, int first) {
  EarnParams e;
  e.partner_txn_id = s.Text(first);
  e.card_number = s.Text(first + 1);
  e.amount.amount_minor = s.Int(first + 2);
  e.amount.currency = s.Text(first + 3);
  e.points = s.Int(first + 4);
  e.occurred_at_micros = s.Int(first + 5);
  return e;
}

bool SameEarn(const EarnParams& a, const EarnParams& b) {
  return a.partner_txn_id == b.partner_txn_id && a.card_number == b.card_number &&
         a.amount.amount_minor == b.amount.amount_minor && a.amount.currency == b.amount.currency &&
         a.points == b.points && a.occurred_at_micros == b.occurred_at_micros;
}

}  // namespace

absl::StatusOr<std::unique_ptr<OfflineQueue>> OfflineQueue::Open(const std::string& path,
                                                                 int64_t max_earns) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    absl::Status s = SqliteError(db, absl::StrCat("open ", path).c_str());
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  if (absl::Status s = Exec(db, kSchema); !s.ok()) {
    sqlite3_close(db);
    return s;
  }
  return std::unique_ptr<OfflineQueue>(new OfflineQueue(db, max_earns));
}

OfflineQueue::~OfflineQueue() {
  absl::MutexLock lock(&mu_);
  sqlite3_close(db_);
}

absl::StatusOr<int64_t> OfflineQueue::CountLocked() {
  Stmt s(db_, "SELECT COUNT(*) FROM queued_earns");
  if (!s.ok() || s.Step() != SQLITE_ROW) return SqliteError(db_, "count");
  return s.Int(0);
}

absl::StatusOr<int64_t> OfflineQueue::Count() {
  absl::MutexLock lock(&mu_);
  return CountLocked();
}

absl::Status OfflineQueue::SameAsQueued(const EarnParams& earn) {
  Stmt s(db_, absl::StrCat("SELECT ", kEarnColumns, " FROM queued_earns WHERE partner_txn_id = ?"));
  if (!s.ok()) return SqliteError(db_, "lookup");
  s.Bind(1, earn.partner_txn_id);
  if (s.Step() != SQLITE_ROW) return SqliteError(db_, "lookup");
  if (SameEarn(EarnFromRow(s, 0), earn)) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrCat("partner_txn_id: ", earn.partner_txn_id,
                                               " is queued offline for a different earn"));
}

absl::Status OfflineQueue::Push(const EarnParams& earn) {
  assert(!earn.partner_txn_id.empty() && earn.occurred_at_micros != 0);
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const int64_t count, CountLocked());
  if (count >= max_earns_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("offline queue: full (", count, " earns waiting)"));
  }
  Stmt s(db_, absl::StrCat("INSERT OR IGNORE INTO queued_earns (", kEarnColumns,
                           ") VALUES (?, ?, ?, ?, ?, ?)"));
  if (!s.ok()) return SqliteError(db_, "insert");
  s.Bind(1, earn.partner_txn_id);
  s.Bind(2, earn.card_number);
  s.Bind(3, earn.amount.amount_minor);
  s.Bind(4, earn.amount.currency);
  s.Bind(5, earn.points);
  s.Bind(6, earn.occurred_at_micros);
  if (s.Step() != SQLITE_DONE) return SqliteError(db_, "insert");
  // Nothing inserted: the id is queued already (a caller's retry while offline).
  if (sqlite3_changes(db_) == 0) return SameAsQueued(earn);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<QueuedEarn>> OfflineQueue::Front() {
  absl::MutexLock lock(&mu_);
  Stmt s(db_,
         absl::StrCat("SELECT seq, ", kEarnColumns, " FROM queued_earns ORDER BY seq LIMIT 1"));
  if (!s.ok()) return SqliteError(db_, "front");
  const int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<QueuedEarn>();
  if (rc != SQLITE_ROW) return SqliteError(db_, "front");
  return std::optional<QueuedEarn>(QueuedEarn{s.Int(0), EarnFromRow(s, 1)});
}

absl::Status OfflineQueue::Remove(int64_t seq) {
  absl::MutexLock lock(&mu_);
  Stmt s(db_, "DELETE FROM queued_earns WHERE seq = ?");
  if (!s.ok()) return SqliteError(db_, "remove");
  s.Bind(1, seq);
  if (s.Step() != SQLITE_DONE) return SqliteError(db_, "remove");
  return absl::OkStatus();
}

absl::Status OfflineQueue::MoveToFailed(int64_t seq, const absl::Status& why, int64_t now_micros) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
  Stmt copy(db_, absl::StrCat("INSERT INTO failed_earns (seq, ", kEarnColumns,
                              ", code, message, failed_at_micros) SELECT seq, ", kEarnColumns,
                              ", ?, ?, ? FROM queued_earns WHERE seq = ?"));
  Stmt remove(db_, "DELETE FROM queued_earns WHERE seq = ?");
  bool done = copy.ok() && remove.ok();
  if (done) {
    copy.Bind(1, static_cast<int64_t>(why.code()));
    copy.Bind(2, std::string(why.message()));
    copy.Bind(3, now_micros);
    copy.Bind(4, seq);
    remove.Bind(1, seq);
    done = copy.Step() == SQLITE_DONE && remove.Step() == SQLITE_DONE;
  }
  if (!done) {
    absl::Status s = SqliteError(db_, "move to failed");
    Exec(db_, "ROLLBACK").IgnoreError();
    return s;
  }
  return Exec(db_, "COMMIT");
}

absl::StatusOr<std::vector<FailedEarn>> OfflineQueue::Failed() {
  absl::MutexLock lock(&mu_);
  Stmt s(db_, absl::StrCat("SELECT ", kEarnColumns,
                           ", code, message, failed_at_micros FROM failed_earns ORDER BY seq"));
  if (!s.ok()) return SqliteError(db_, "failed");
  std::vector<FailedEarn> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    FailedEarn f;
    f.earn = EarnFromRow(s, 0);
    f.status = absl::Status(static_cast<absl::StatusCode>(s.Int(6)), s.Text(7));
    f.failed_at_micros = s.Int(8);
    out.push_back(std::move(f));
  }
  if (rc != SQLITE_DONE) return SqliteError(db_, "failed");
  return out;
}

}  // namespace loyalty::sdk::internal
