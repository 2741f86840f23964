// The Store on MySQL 8 / MariaDB 10.11 through MySQL Connector/C++ 1.1.
#ifndef LOYALTY_HUB_STORE_MYSQL_STORE_H_
#define LOYALTY_HUB_STORE_MYSQL_STORE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "hub/store/batch_rows.h"
#include "hub/store/store.h"

namespace loyalty {

struct MysqlOptions {
  // Unix socket of the server; when empty, TCP to host:port.
  std::string socket;
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user = "root";
  std::string password;  // from a file or the environment, never a flag
  std::string database = "loyalty";
  // Connections kept open for reuse. Default: 32.
  int max_idle_connections = 32;
  // Attempts of one transaction after deadlocks / lock wait timeouts. Default: 10.
  int max_attempts = 10;
  // innodb_lock_wait_timeout for the hub's sessions, seconds. Default: 10.
  int lock_wait_timeout_seconds = 10;
  // Tests only: wraps each transaction's rows, the way LevelDB's tests wrap its Env
  // (tests/support/faulty_rows.h fails chosen statements through it). Default: none.
  std::function<std::unique_ptr<BatchRows>(BatchRows* rows)> TEST_wrap_rows;
};

// Connects once to check the server and returns the store. Thread-safe; a thread
// that uses it gets its driver thread state set up on first use and torn down at exit.
absl::StatusOr<std::unique_ptr<Store>> OpenMysqlStore(const MysqlOptions& options);

// Creates `options.database` if missing (used by tests and the dev runner).
absl::Status CreateDatabaseIfMissing(const MysqlOptions& options);
absl::Status DropDatabase(const MysqlOptions& options);

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_MYSQL_STORE_H_
