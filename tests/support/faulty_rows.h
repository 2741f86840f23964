// A fault-injecting wrapper around a store's transaction rows (LevelDB's
// fault_injection_test idea): installed through MysqlOptions::TEST_wrap_rows, it passes
// every call to the real MariaDB transaction and fails the chosen one the way the
// database would: a deadlock (MySQL error 1213: the transaction is over and may be
// retried), a lost connection (2013), or a lost connection at COMMIT.
//
// Thread-safe: the counters are shared by every transaction the store opens.
#ifndef LOYALTY_TESTS_SUPPORT_FAULTY_ROWS_H_
#define LOYALTY_TESTS_SUPPORT_FAULTY_ROWS_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "hub/store/batch_rows.h"

namespace loyalty::testing {

enum class Fault { kDeadlock, kLostConnection };

class Faults {
 public:
  // Fails the `nth` call (1 = the first) of `method` (a BatchRows or StoreTxn method
  // name, or "Commit") counted over every transaction from now on, once.
  void FailCall(const std::string& method, int nth, Fault fault);
  // How often `method` was called since the last FailCall.
  int64_t Calls(const std::string& method);
  // How many faults were injected.
  int64_t injected() const { return injected_.load(); }

  // For MysqlOptions::TEST_wrap_rows.
  std::function<std::unique_ptr<BatchRows>(BatchRows*)> Wrapper();

  // The fault for this call of `method`, if it is the chosen one.
  std::optional<Fault> Take(const std::string& method);

 private:
  absl::Mutex mu_;
  std::string method_ ABSL_GUARDED_BY(mu_);
  int nth_ ABSL_GUARDED_BY(mu_) = 0;
  Fault fault_ ABSL_GUARDED_BY(mu_) = Fault::kDeadlock;
  std::map<std::string, int64_t> calls_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> injected_{0};
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_FAULTY_ROWS_H_
