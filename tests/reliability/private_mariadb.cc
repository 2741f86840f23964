#include "tests/reliability/private_mariadb.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/hub_process.h"

namespace loyalty::testing {

PrivateMariadb::PrivateMariadb() {
  std::string dir_template = ::testing::TempDir() + "rel_mdb_XXXXXX";
  if (mkdtemp(dir_template.data()) != nullptr) dir_ = dir_template;
}

PrivateMariadb::~PrivateMariadb() {
  Script("stop");
  if (!dir_.empty()) std::system(absl::StrCat("rm -rf '", dir_, "'").c_str());
}

void PrivateMariadb::Start() { ASSERT_EQ(Script("start"), 0) << "mariadb.sh start " << dir_; }

void PrivateMariadb::Kill() {
  std::ifstream in(dir_ + "/mysqld.pid");
  std::string text;
  int pid = 0;
  ASSERT_TRUE(in && std::getline(in, text) &&
              absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &pid) && pid > 0)
      << "no pid file in " << dir_;
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_TRUE(PollUntil([&] { return kill(pid, 0) != 0; }, std::chrono::seconds(20)))
      << "mariadbd " << pid << " survived SIGKILL";
}

int PrivateMariadb::Script(const std::string& action) {
  if (dir_.empty()) return -1;
  const int rc = std::system(
      absl::StrCat("'", LOYALTY_MARIADB_SH, "' ", action, " '", dir_, "' >/dev/null").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace loyalty::testing
