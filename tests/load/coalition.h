// The coalition a load run works against: a program, a few partners in categories of
// their own, and members with starting points. Made once through the hub's API and
// cached in a setup file so several scenarios reuse it.
#ifndef LOYALTY_TESTS_LOAD_COALITION_H_
#define LOYALTY_TESTS_LOAD_COALITION_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace loyalty::load {

struct PartnerCredential {
  int64_t id = 0;
  std::string api_key;
};

struct Coalition {
  std::string currency;                     // the program's
  std::vector<PartnerCredential> partners;  // merchants, each in its own category
  std::vector<std::string> cards;           // one card per member
};

struct SetupOptions {
  std::string admin_key;   // needed only when something must be created
  std::string setup_file;  // cache; "" = always create
  int partners = 2;        // Default: 2
  int members = 1000;      // Default: 1000
  // Points each new member gets through one earn (stated points), so redeems succeed.
  int64_t start_points = 100'000;
  int inflight = 64;  // setup calls in flight at once
  std::chrono::milliseconds deadline{10'000};
  std::string id_prefix;  // makes this run's partner_txn_ids unique
};

// Loads `setup_file` when it exists; creates what is missing (the program if none, the
// partners, members up to `members`, each with `start_points`) and writes the file back
// (mode 600: it holds API keys). Fails with the first error the hub returned.
absl::StatusOr<Coalition> PrepareCoalition(const std::shared_ptr<grpc::Channel>& channel,
                                           const SetupOptions& options);

}  // namespace loyalty::load

#endif  // LOYALTY_TESTS_LOAD_COALITION_H_
