#include "tests/support/hub_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

extern char** environ;

namespace loyalty::testing {
namespace {

constexpr auto kStartTimeout = std::chrono::seconds(30);
constexpr auto kRunOnceTimeout = std::chrono::seconds(120);

// The environment of this process minus secrets, plus `add`.
std::vector<std::string> HubEnvironment(const std::vector<std::string>& add) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (absl::StartsWith(*e, "LOYALTY_ADMIN_KEY=") ||
        absl::StartsWith(*e, "LOYALTY_MYSQL_PASSWORD=") ||
        absl::StartsWith(*e, "LOYALTY_PAN_HMAC_KEY=")) {
      continue;
    }
    env.emplace_back(*e);
  }
  env.insert(env.end(), add.begin(), add.end());
  return env;
}

// The flags that point the hub at `db`.
std::vector<std::string> DatabaseArgs(const MysqlOptions& db) {
  return {
      "--mysql_socket=" + db.socket,
      "--mysql_user=" + db.user,
      "--mysql_database=" + db.database,
  };
}

// Spawns `args` with `env`; stdout and stderr into `log_file` unless it is empty.
// Returns the pid, or -1 (with a test failure) if it could not be spawned.
pid_t Spawn(std::vector<std::string> args, std::vector<std::string> env,
            const std::string& log_file) {
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!log_file.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    ADD_FAILURE() << "posix_spawn " << args[0] << ": " << rc;
    return -1;
  }
  return pid;
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

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string MakeTempDir(const std::string& prefix) {
  std::string dir_template = ::testing::TempDir() + prefix + "_XXXXXX";
  if (mkdtemp(dir_template.data()) == nullptr) return "";
  return dir_template;
}

// Waits up to `timeout` for `pid` to exit; true with its status if it did.
bool AwaitExit(pid_t pid, std::chrono::milliseconds timeout, int* wait_status) {
  return PollUntil([&] { return waitpid(pid, wait_status, WNOHANG) == pid; }, timeout);
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

namespace {
HubOptions WithDatabase(MysqlOptions db) {
  HubOptions o;
  o.db = std::move(db);
  return o;
}
}  // namespace

HubProcess::HubProcess(MysqlOptions db) : HubProcess(WithDatabase(std::move(db))) {}

HubProcess::HubProcess(HubOptions options) : options_(std::move(options)) {
  dir_ = MakeTempDir("hub");
  port_file_ = dir_ + "/port";
  pan_key_file_ = dir_ + "/pan.key";
}

HubProcess::~HubProcess() {
  if (pid_ > 0) Kill();
  std::remove(port_file_.c_str());
  std::remove(pan_key_file_.c_str());
  rmdir(dir_.c_str());
}

std::string HubProcess::target() const { return absl::StrCat("127.0.0.1:", port_); }

std::vector<std::string> HubProcess::CommandLine(int port) const {
  std::vector<std::string> args = {
      LOYALTY_HUB_BINARY,
      absl::StrCat("--listen=127.0.0.1:", port),
      "--insecure_plaintext_loopback",  // ignored when extra_args turn TLS on
      "--port_file=" + port_file_,
      "--expiry_interval_seconds=0",
      absl::StrCat("--workers=", options_.workers),
  };
  for (std::string& a : DatabaseArgs(options_.db)) args.push_back(std::move(a));
  if (options_.pan_key_from == HubOptions::PanKeyFrom::kFile) {
    args.push_back("--pan_hmac_key_file=" + pan_key_file_);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  return args;
}

void HubProcess::Start(int port) {
  ASSERT_FALSE(dir_.empty()) << "no temp dir";
  ASSERT_LE(pid_, 0) << "the hub runs already";
  std::remove(port_file_.c_str());
  std::vector<std::string> add_env = {absl::StrCat("LOYALTY_ADMIN_KEY=", options_.admin_key)};
  if (options_.pan_key_from == HubOptions::PanKeyFrom::kEnv) {
    add_env.push_back(absl::StrCat("LOYALTY_PAN_HMAC_KEY=", options_.pan_key));
  } else if (options_.pan_key_from == HubOptions::PanKeyFrom::kFile) {
    std::ofstream(pan_key_file_) << options_.pan_key << "\n";
    ASSERT_EQ(chmod(pan_key_file_.c_str(), 0600), 0);
  }
  const pid_t pid = Spawn(CommandLine(port), HubEnvironment(add_env), options_.log_file);
  ASSERT_GT(pid, 0);
  pid_ = pid;
  int status = 0;
  bool exited = false;
  PollUntil(
      [&] {
        if (ReadPort(port_file_) > 0) return true;
        exited = waitpid(pid, &status, WNOHANG) == pid;
        return exited;
      },
      kStartTimeout);
  const std::string log =
      options_.log_file.empty() ? "" : "; log:\n" + ReadWholeFile(options_.log_file);
  if (exited) {
    pid_ = -1;
    FAIL() << "the hub exited before serving, status " << status << log;
  }
  const int got = ReadPort(port_file_);
  if (got <= 0) {
    Kill();
    FAIL() << "the hub did not serve within " << kStartTimeout.count() << " s" << log;
  }
  port_ = got;
}

void HubProcess::Kill() {
  const pid_t pid = pid_;
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);  // SIGKILL cannot be ignored: this returns promptly
  pid_ = -1;
}

void HubProcess::Terminate() {
  ASSERT_GT(pid_, 0) << "the hub does not run";
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
}

bool HubProcess::WaitForExit(std::chrono::milliseconds timeout, int* wait_status) {
  if (pid_ <= 0) return false;
  if (!AwaitExit(pid_, timeout, wait_status)) return false;
  pid_ = -1;
  return true;
}

void HubProcess::StopAndExpectCleanExit(std::chrono::milliseconds timeout) {
  ASSERT_NO_FATAL_FAILURE(Terminate());
  int status = 0;
  ASSERT_TRUE(WaitForExit(timeout, &status))
      << "the hub did not exit within " << timeout.count() << " ms of SIGTERM";
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal "
                                 << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

int RunHubOnce(const MysqlOptions& db, const std::vector<std::string>& args, std::string* output) {
  const std::string dir = MakeTempDir("hub_once");
  if (dir.empty()) {
    ADD_FAILURE() << "mkdtemp";
    return -1;
  }
  const std::string log = dir + "/out.log";
  std::vector<std::string> command = {LOYALTY_HUB_BINARY};
  for (std::string& a : DatabaseArgs(db)) command.push_back(std::move(a));
  command.insert(command.end(), args.begin(), args.end());
  const pid_t pid = Spawn(command, HubEnvironment({}), log);
  int status = 0;
  int code = -1;
  if (pid > 0) {
    if (AwaitExit(pid, kRunOnceTimeout, &status)) {
      if (WIFEXITED(status)) code = WEXITSTATUS(status);
    } else {
      ADD_FAILURE() << "the hub did not exit within " << kRunOnceTimeout.count() << " s";
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
  }
  if (output != nullptr) *output = ReadWholeFile(log);
  std::remove(log.c_str());
  rmdir(dir.c_str());
  return code;
}

}  // namespace loyalty::testing
