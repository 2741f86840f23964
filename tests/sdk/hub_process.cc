#include "tests/sdk/hub_process.h"

#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

extern char** environ;

namespace loyalty::testing {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(30);

// The environment of this process minus secrets, plus the admin and PAN keys.
std::vector<std::string> HubEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (absl::StartsWith(*e, "LOYALTY_ADMIN_KEY=") ||
        absl::StartsWith(*e, "LOYALTY_MYSQL_PASSWORD=") ||
        absl::StartsWith(*e, "LOYALTY_PAN_HMAC_KEY=")) {
      continue;
    }
    env.emplace_back(*e);
  }
  env.push_back(absl::StrCat("LOYALTY_ADMIN_KEY=", kHubAdminKey));
  env.push_back(absl::StrCat("LOYALTY_PAN_HMAC_KEY=", kHubPanKey));
  return env;
}

int ReadPort(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  int port = 0;
  if (in && std::getline(in, text) && absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &port)) {
    return port;
  }
  return 0;
}

}  // namespace

bool PollUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= give_up) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

HubProcess::HubProcess(MysqlOptions db) : db_(std::move(db)) {
  std::string dir_template = ::testing::TempDir() + "sdk_hub_XXXXXX";
  if (mkdtemp(dir_template.data()) != nullptr) dir_ = dir_template;
  port_file_ = dir_ + "/port";
}

HubProcess::~HubProcess() {
  if (pid_ > 0) Kill();
  std::remove(port_file_.c_str());
  rmdir(dir_.c_str());
}

std::string HubProcess::target() const { return absl::StrCat("127.0.0.1:", port_); }

void HubProcess::Start(int port) {
  ASSERT_FALSE(dir_.empty()) << "no temp dir";
  ASSERT_LE(pid_, 0) << "the hub runs already";
  std::remove(port_file_.c_str());
  std::vector<std::string> args = {
      LOYALTY_HUB_BINARY,
      absl::StrCat("--listen=127.0.0.1:", port),
      "--port_file=" + port_file_,
      "--mysql_socket=" + db_.socket,
      "--mysql_user=" + db_.user,
      "--mysql_database=" + db_.database,
      "--expiry_interval_seconds=0",
      "--workers=4",
  };
  std::vector<std::string> env = HubEnvironment();
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0].c_str(), nullptr, nullptr, argv.data(), envp.data());
  ASSERT_EQ(rc, 0) << "posix_spawn " << args[0];
  pid_ = pid;
  int status = 0;
  bool exited = false;
  PollUntil(
      [&] {
        if (ReadPort(port_file_) > 0) return true;
        exited = waitpid(pid_, &status, WNOHANG) == pid_;
        return exited;
      },
      std::chrono::duration_cast<std::chrono::milliseconds>(kStartTimeout));
  if (exited) {
    pid_ = -1;
    FAIL() << "the hub exited before serving, status " << status;
  }
  const int got = ReadPort(port_file_);
  if (got <= 0) {
    Kill();
    FAIL() << "the hub did not serve within " << kStartTimeout.count() << " s";
  }
  port_ = got;
}

void HubProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);  // SIGKILL cannot be ignored: this returns promptly
  pid_ = -1;
}

}  // namespace loyalty::testing
