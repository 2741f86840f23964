// The real loyalty_hub binary (LOYALTY_HUB_BINARY) as a child process on a test's own
// database, which a test can start, SIGKILL and restart on the same port. Every wait is
// bounded; failures are reported through GoogleTest (wrap calls in
// ASSERT_NO_FATAL_FAILURE).
#ifndef LOYALTY_TESTS_SDK_HUB_PROCESS_H_
#define LOYALTY_TESTS_SDK_HUB_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

#include "hub/store/mysql_store.h"

namespace loyalty::testing {

// The admin key the hub is started with (LOYALTY_ADMIN_KEY).
inline constexpr char kHubAdminKey[] = "sdk-admin-key-0123456789abcdefghijklmnopqrstuvwxyz";
// The key the hub hashes card PANs with (LOYALTY_PAN_HMAC_KEY), so it accepts PANs.
inline constexpr char kHubPanKey[] = "sdk-pan-hmac-key-0123456789abcdefghijklmnop";

class HubProcess {
 public:
  explicit HubProcess(MysqlOptions db);
  ~HubProcess();  // kills the hub if it still runs
  HubProcess(const HubProcess&) = delete;
  HubProcess& operator=(const HubProcess&) = delete;

  // Starts the hub on 127.0.0.1:`port` (0 = a free port) and waits until it serves.
  void Start(int port = 0);
  // Starts it again on the port it had.
  void Restart() { Start(port_); }
  // SIGKILL, as a crash or a pulled cable would: no graceful shutdown.
  void Kill();
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string target() const;

 private:
  MysqlOptions db_;
  std::string dir_;
  std::string port_file_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// Polls `done` every 20 ms until it is true or `timeout` passes; returns its last value.
bool PollUntil(const std::function<bool()>& done,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SDK_HUB_PROCESS_H_
