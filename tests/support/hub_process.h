// The real loyalty_hub binary (LOYALTY_HUB_BINARY) as a child process on a test's own
// database: started, SIGKILLed, SIGTERMed and restarted on the same port. This is the one
// place that knows the hub's command line in tests. Every wait is bounded; failures are
// reported through GoogleTest (wrap calls in ASSERT_NO_FATAL_FAILURE).
//
// Not thread-safe: one thread drives a HubProcess (other threads may read pid()).
#ifndef LOYALTY_TESTS_SUPPORT_HUB_PROCESS_H_
#define LOYALTY_TESTS_SUPPORT_HUB_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "hub/store/mysql_store.h"

namespace loyalty::testing {

// The admin key the hub is started with (LOYALTY_ADMIN_KEY) unless a test picks another.
inline constexpr char kHubAdminKey[] = "sdk-admin-key-0123456789abcdefghijklmnopqrstuvwxyz";
// The key the hub hashes card PANs with (LOYALTY_PAN_HMAC_KEY), so it accepts PANs.
inline constexpr char kHubPanKey[] = "sdk-pan-hmac-key-0123456789abcdefghijklmnop";

struct HubOptions {
  MysqlOptions db;
  // Default: kHubAdminKey.
  std::string admin_key = kHubAdminKey;
  // Where the hub takes its PAN key from: the environment, a 0600 file the helper writes
  // (--pan_hmac_key_file), or nowhere (BankService then takes card tokens only).
  enum class PanKeyFrom { kEnv, kFile, kNone };
  PanKeyFrom pan_key_from = PanKeyFrom::kEnv;
  // Default: kHubPanKey.
  std::string pan_key = kHubPanKey;
  // The hub's stdout and stderr go (truncated at each start) to this file; "" = inherited.
  std::string log_file;
  // Default: 4.
  int workers = 4;
  // Appended to the command line, e.g. {"--shutdown_grace_seconds=3"}.
  std::vector<std::string> extra_args;
};

class HubProcess {
 public:
  explicit HubProcess(MysqlOptions db);
  explicit HubProcess(HubOptions options);
  ~HubProcess();  // kills the hub if it still runs
  HubProcess(const HubProcess&) = delete;
  HubProcess& operator=(const HubProcess&) = delete;

  // Starts the hub on 127.0.0.1:`port` (0 = a free port) and waits until it serves.
  void Start(int port = 0);
  // Starts it again on the port it had.
  void Restart() { Start(port_); }
  // SIGKILL, as a crash or a pulled cable would: no graceful shutdown.
  void Kill();
  // Sends SIGTERM and returns at once (see WaitForExit).
  void Terminate();
  // Waits up to `timeout` for the hub to exit; true with its waitpid status if it did.
  bool WaitForExit(std::chrono::milliseconds timeout, int* wait_status);
  // SIGTERM, then expects an exit with code 0 within `timeout`.
  void StopAndExpectCleanExit(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  std::string target() const;
  // May be changed between runs (e.g. another PAN key source or log file).
  HubOptions& options() { return options_; }
  // The temp folder of this hub (removed with it; files a test puts there must be
  // removed by the test).
  const std::string& dir() const { return dir_; }

 private:
  std::vector<std::string> CommandLine(int port) const;

  HubOptions options_;
  std::string dir_;
  std::string port_file_;
  std::string pan_key_file_;
  std::atomic<pid_t> pid_{-1};
  int port_ = 0;
};

// Runs the hub binary once on `db` with `args` (e.g. {"--check_invariants"}) and waits
// (bounded) for it; returns its exit code (-1 if it did not exit normally) and its output.
int RunHubOnce(const MysqlOptions& db, const std::vector<std::string>& args, std::string* output);

// Polls `done` every 20 ms until it is true or `timeout` passes; returns its last value.
bool PollUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_HUB_PROCESS_H_
