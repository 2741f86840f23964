// A MariaDB outage under load: the hub's database server (a private one, started with
// deploy/mariadb.sh in a temp folder, since killing the shared CTest server would break
// the suites running beside this one) is SIGKILLed and restarted several times while a
// concurrent earn/redeem load runs (3 times; LOYALTY_CRASH_LONG=1 for 15). Meanwhile the
// hub answers UNAVAILABLE (and only retryable codes); afterwards it serves again without
// a restart (the same process), and the journal, balances and invariants are exact.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/reliability/load.h"
#include "tests/reliability/private_mariadb.h"
#include "tests/reliability/run_mode.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"

namespace loyalty::testing {
namespace {

using ::testing::IsEmpty;

int64_t Unavailable(const LoadDriver& load) {
  const auto codes = load.RetryableCodes();
  auto it = codes.find(grpc::StatusCode::UNAVAILABLE);
  return it == codes.end() ? 0 : it->second;
}

TEST(MariadbOutageTest, HubAnswersUnavailableThenReconnectsByItself) {
  const RunMode mode = CurrentRunMode();
  const int outages = mode.long_form ? 15 : 3;
  std::mt19937_64 rng(mode.seed);
  PrivateMariadb mariadb;
  ASSERT_NO_FATAL_FAILURE(mariadb.Start());
  // TestDb and the hub use the server named by LOYALTY_TEST_MYSQL_SOCKET.
  ASSERT_EQ(setenv("LOYALTY_TEST_MYSQL_SOCKET", mariadb.socket().c_str(), 1), 0);
  TestDb db;
  HubProcess hub(db.options());
  ASSERT_NO_FATAL_FAILURE(hub.Start());
  const pid_t hub_pid = hub.pid();
  Coalition coalition;
  ASSERT_NO_FATAL_FAILURE(SetUpCoalition(hub.target(), kHubAdminKey, 6, &coalition));
  LoadOptions load_options;
  load_options.seed = mode.seed;
  LoadDriver load(hub.target(), coalition, load_options);
  load.Start();

  for (int k = 0; k < outages; ++k) {
    const int64_t progress = load.answered() + 10 + static_cast<int64_t>(rng() % 20);
    ASSERT_TRUE(PollUntil([&] { return load.answered() >= progress; }, std::chrono::seconds(60)))
        << "no answers after outage " << k
        << "; unexpected: " << ::testing::PrintToString(load.Unexpected());
    const int64_t unavailable_before = Unavailable(load);
    ASSERT_NO_FATAL_FAILURE(mariadb.Kill());
    // The clients are told UNAVAILABLE while the database is down.
    EXPECT_TRUE(
        PollUntil([&] { return Unavailable(load) > unavailable_before; }, std::chrono::seconds(30)))
        << "no UNAVAILABLE during outage " << k;
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 1000));
    ASSERT_NO_FATAL_FAILURE(mariadb.Start());
  }
  const int64_t progress = load.answered() + 20;
  EXPECT_TRUE(PollUntil([&] { return load.answered() >= progress; }, std::chrono::seconds(60)))
      << "the hub did not serve again after the last outage";
  load.StopAndDrain();

  EXPECT_THAT(load.Unexpected(), IsEmpty());
  std::printf("outages=%d answered=%lld unavailable=%lld\n", outages,
              static_cast<long long>(load.answered()), static_cast<long long>(Unavailable(load)));
  // The same hub process served throughout: it reconnected by itself.
  int status = 0;
  ASSERT_EQ(waitpid(hub_pid, &status, WNOHANG), 0) << "the hub exited, status " << status;
  EXPECT_EQ(hub.pid(), hub_pid);
  ASSERT_NO_FATAL_FAILURE(hub.StopAndExpectCleanExit());
  ExpectJournalMatchesAcks(db.options(), coalition, load.Acks());
  std::string output;
  EXPECT_EQ(RunHubOnce(db.options(), {"--check_invariants"}, &output), 0) << output;
}

}  // namespace
}  // namespace loyalty::testing
