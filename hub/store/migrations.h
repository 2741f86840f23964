// The schema migrations in deploy/migrations, compiled into the binary so the hub
// applies them at start without reading the source tree.
#ifndef LOYALTY_HUB_STORE_MIGRATIONS_H_
#define LOYALTY_HUB_STORE_MIGRATIONS_H_

#include <vector>

namespace loyalty {

struct Migration {
  int version;
  const char* name;
  const char* sql;  // statements separated by ';' at the end of a line
};

// In ascending version order.
const std::vector<Migration>& AllMigrations();

}  // namespace loyalty

#endif  // LOYALTY_HUB_STORE_MIGRATIONS_H_
