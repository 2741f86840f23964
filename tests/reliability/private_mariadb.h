// A MariaDB server of a test's own, in a temp folder, through deploy/mariadb.sh: for
// suites that kill their database server or need a fresh one (the shared CTest server
// must stay up for the suites running beside them). Stopped and removed when destroyed.
#ifndef LOYALTY_TESTS_RELIABILITY_PRIVATE_MARIADB_H_
#define LOYALTY_TESTS_RELIABILITY_PRIVATE_MARIADB_H_

#include <string>

namespace loyalty::testing {

class PrivateMariadb {
 public:
  PrivateMariadb();
  ~PrivateMariadb();
  PrivateMariadb(const PrivateMariadb&) = delete;
  PrivateMariadb& operator=(const PrivateMariadb&) = delete;

  // Starts (or restarts after Kill) the server; fails the test if it does not come up.
  void Start();
  // SIGKILL to mariadbd, as a crash would; waits (bounded) until it is gone.
  void Kill();
  std::string socket() const { return dir_ + "/mysqld.sock"; }

 private:
  int Script(const std::string& action);

  std::string dir_;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_RELIABILITY_PRIVATE_MARIADB_H_
