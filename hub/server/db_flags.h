// The database flags every hub binary that opens MySQL/MariaDB itself shares (loyalty_hub,
// loyalty_demo_history): --mysql_socket, --mysql_host, --mysql_port, --mysql_user,
// --mysql_password_file (or LOYALTY_MYSQL_PASSWORD), --mysql_database; and how secrets
// are read from a file flag or the environment.
#ifndef LOYALTY_HUB_SERVER_DB_FLAGS_H_
#define LOYALTY_HUB_SERVER_DB_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "hub/store/mysql_store.h"

namespace loyalty {

// The contents of `path` with whitespace around them stripped (keys, certificates);
// NOT_FOUND when it cannot be read.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

// A secret from `file` (whitespace around it stripped) when it is set, else from the
// environment variable `env`, else "". NOT_FOUND when the file cannot be read.
absl::StatusOr<std::string> Secret(const std::string& file, const char* env);

// MysqlOptions from the flags above (connection pool and the rest at their defaults).
absl::StatusOr<MysqlOptions> MysqlOptionsFromFlags();

}  // namespace loyalty

#endif  // LOYALTY_HUB_SERVER_DB_FLAGS_H_
