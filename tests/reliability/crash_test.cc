// Crash safety: the real hub is SIGKILLed at random moments under a concurrent
// earn/redeem load (at least 20 times; LOYALTY_CRASH_LONG=1 for 100) and restarted on the
// same port, while the clients resend every unanswered request with its same
// partner_txn_id and content until it is answered. Afterwards every acknowledged request
// is in the journal exactly once, nothing else is, balances equal the journal and the
// answers, and `loyalty_hub --check_invariants` exits 0.
//
// The seed of the random choices is printed; LOYALTY_CRASH_SEED=N repeats a run.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reliability/load.h"
#include "tests/reliability/run_mode.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"

namespace loyalty::testing {
namespace {

using ::testing::IsEmpty;

TEST(CrashTest, HubSigkillUnderLoadLosesNothingAndPostsNothingTwice) {
  const RunMode mode = CurrentRunMode();
  const int kills = mode.long_form ? 100 : 20;
  const auto bound = std::chrono::steady_clock::now() +
                     (mode.long_form ? std::chrono::minutes(15) : std::chrono::minutes(2));
  std::mt19937_64 rng(mode.seed);
  TestDb db;
  HubProcess hub(db.options());
  ASSERT_NO_FATAL_FAILURE(hub.Start());
  Coalition coalition;
  ASSERT_NO_FATAL_FAILURE(SetUpCoalition(hub.target(), kHubAdminKey, 6, &coalition));
  LoadOptions load_options;
  load_options.seed = mode.seed;
  LoadDriver load(hub.target(), coalition, load_options);
  load.Start();

  for (int k = 0; k < kills; ++k) {
    // Let this incarnation answer a few requests, then kill it at a random moment.
    const int64_t progress = load.answered() + 1 + static_cast<int64_t>(rng() % 8);
    ASSERT_TRUE(PollUntil([&] { return load.answered() >= progress; }, std::chrono::seconds(60)))
        << "no answers after restart " << k
        << "; unexpected: " << ::testing::PrintToString(load.Unexpected());
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 30));
    hub.Kill();
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 100));  // clients hit the gap
    ASSERT_NO_FATAL_FAILURE(hub.Restart());
    ASSERT_LT(std::chrono::steady_clock::now(), bound) << "the run is over its time bound";
  }
  const int64_t progress = load.answered() + 20;
  EXPECT_TRUE(PollUntil([&] { return load.answered() >= progress; }, std::chrono::seconds(60)));
  load.StopAndDrain();

  EXPECT_THAT(load.Unexpected(), IsEmpty());
  const std::map<grpc::StatusCode, int64_t> retried = load.RetryableCodes();
  EXPECT_GT(retried.count(grpc::StatusCode::UNAVAILABLE), 0u)
      << "no kill left a request unanswered: the test tested nothing";
  std::printf("kills=%d answered=%lld unavailable=%lld deadline_exceeded=%lld\n", kills,
              static_cast<long long>(load.answered()),
              static_cast<long long>(retried.count(grpc::StatusCode::UNAVAILABLE)
                                         ? retried.at(grpc::StatusCode::UNAVAILABLE)
                                         : 0),
              static_cast<long long>(retried.count(grpc::StatusCode::DEADLINE_EXCEEDED)
                                         ? retried.at(grpc::StatusCode::DEADLINE_EXCEEDED)
                                         : 0));
  const std::vector<Ack> acks = load.Acks();
  std::printf("replayed answers (committed before a kill, answered after it): %lld\n",
              static_cast<long long>(std::count_if(acks.begin(), acks.end(),
                                                   [](const Ack& a) { return a.replayed; })));
  ASSERT_NO_FATAL_FAILURE(hub.StopAndExpectCleanExit());
  ExpectJournalMatchesAcks(db.options(), coalition, acks);
  std::string output;
  EXPECT_EQ(RunHubOnce(db.options(), {"--check_invariants"}, &output), 0) << output;
}

}  // namespace
}  // namespace loyalty::testing
