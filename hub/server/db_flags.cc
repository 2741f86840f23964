#include "hub/server/db_flags.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "hub/common/status_macros.h"

ABSL_FLAG(std::string, mysql_socket, "", "MySQL/MariaDB unix socket (empty = TCP)");
ABSL_FLAG(std::string, mysql_host, "127.0.0.1", "MySQL host for TCP");
ABSL_FLAG(int, mysql_port, 3306, "MySQL port for TCP");
ABSL_FLAG(std::string, mysql_user, "root", "MySQL user");
ABSL_FLAG(std::string, mysql_password_file, "",
          "file holding the MySQL password (or set LOYALTY_MYSQL_PASSWORD); default none");
ABSL_FLAG(std::string, mysql_database, "loyalty", "database name");

namespace loyalty {

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(ss.str()));
}

absl::StatusOr<std::string> Secret(const std::string& file, const char* env) {
  if (!file.empty()) return ReadSecretFile(file);
  const char* v = std::getenv(env);
  return std::string(v == nullptr ? "" : v);
}

absl::StatusOr<MysqlOptions> MysqlOptionsFromFlags() {
  MysqlOptions db;
  db.socket = absl::GetFlag(FLAGS_mysql_socket);
  db.host = absl::GetFlag(FLAGS_mysql_host);
  db.port = absl::GetFlag(FLAGS_mysql_port);
  db.user = absl::GetFlag(FLAGS_mysql_user);
  db.database = absl::GetFlag(FLAGS_mysql_database);
  ASSIGN_OR_RETURN(db.password,
                   Secret(absl::GetFlag(FLAGS_mysql_password_file), "LOYALTY_MYSQL_PASSWORD"));
  return db;
}

}  // namespace loyalty
