// The `loyalty` CLI binary (and the POS example) run as child processes against the real
// hub: each subcommand's success output and its error exit code.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sdk/sdk_fixture.h"

extern char** environ;

namespace loyalty::testing {
namespace {

using ::testing::HasSubstr;

constexpr auto kChildTimeout = std::chrono::seconds(60);

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout

  // A JSON field's raw value ("..." stripped for strings), "" if absent.
  std::string Get(const std::string& field) const {
    std::smatch m;
    const std::regex re("\"" + field + "\":(\"([^\"]*)\"|[^,}\\]]*)");
    if (!std::regex_search(out, m, re)) return "";
    return m[2].matched ? m[2].str() : m[1].str();
  }
};

// Runs `binary args...` with `extra_env`, stdout captured; bounded by kChildTimeout.
CliRun Spawn(const std::string& binary, std::vector<std::string> args,
             const std::vector<std::string>& extra_env) {
  CliRun run;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return run;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  args.insert(args.begin(), binary);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("LOYALTY_", 0) != 0) env.emplace_back(*e);
  }
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    ADD_FAILURE() << "posix_spawn " << binary;
    return run;
  }
  const auto give_up = std::chrono::steady_clock::now() + kChildTimeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < give_up) {
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = read(pipe_fds[0], buf, sizeof(buf));
    if (n <= 0) break;
    run.out.append(buf, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  if (!PollUntil([&] { return waitpid(pid, &status, WNOHANG) == pid; }, std::chrono::seconds(5))) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ADD_FAILURE() << binary << " did not finish";
    return run;
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

class SdkCliTest : public SdkHubTest {
 protected:
  void SetUp() override {
    SdkHubTest::SetUp();
    admin_key_file_ = ::testing::TempDir() + "sdk_cli_admin_" + std::to_string(getpid());
    std::ofstream(admin_key_file_) << kHubAdminKey << "\n";
  }
  void TearDown() override { std::remove(admin_key_file_.c_str()); }

  // `loyalty --json --hub=<hub> <args>` with the partner's key in LOYALTY_API_KEY.
  CliRun Partner(std::vector<std::string> args, const std::string& key = "") {
    args.insert(args.begin(), {"--json", "--hub=" + hub_.target(), "--attempts=2"});
    return Spawn(LOYALTY_CLI_BINARY, args,
                 {"LOYALTY_API_KEY=" + (key.empty() ? partner_key_ : key)});
  }
  // The same with the admin key from --key_file.
  CliRun Admin(std::vector<std::string> args) {
    args.insert(args.begin(),
                {"--json", "--hub=" + hub_.target(), "--key_file=" + admin_key_file_});
    return Spawn(LOYALTY_CLI_BINARY, args, {});
  }

  std::string admin_key_file_;
};

#define EXPECT_EXIT_CODE(run, code) EXPECT_EQ((run).exit_code, code) << (run).out

TEST_F(SdkCliTest, AdminSubcommands) {
  CliRun r = Admin({"get-program"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("point_value_micros"), "10000");
  EXPECT_EQ(r.Get("currency"), "EUR");
  r = Admin({"set-program", "--point_value_micros=10000", "--currency=EUR", "--expiry_months=24",
             "--hold_timeout_seconds=900"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("expiry_months"), "24");
  EXPECT_EXIT_CODE(Admin({"set-program", "--point_value_micros=0", "--currency=EUR",
                          "--expiry_months=24", "--hold_timeout_seconds=900"}),
                   3);

  r = Admin({"register-partner", "--name=FuelUp", "--category=fuel", "--earn_rate_bp=50"});
  EXPECT_EXIT_CODE(r, 0);
  const std::string fuel_id = r.Get("partner_id");
  const std::string fuel_key = r.Get("api_key");
  EXPECT_EQ(r.Get("earn_rate_bp"), "50");
  EXPECT_EQ(r.Get("role"), "merchant");
  EXPECT_FALSE(fuel_key.empty());
  r = Admin({"register-partner", "--name=Rival", "--category=fuel", "--earn_rate_bp=50"});
  EXPECT_EXIT_CODE(r, 5);
  EXPECT_EQ(r.Get("error"), "FAILED_PRECONDITION");
  EXPECT_THAT(r.Get("message"), HasSubstr("category"));

  r = Admin({"list-partners"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("\"category\":\"fuel\""));
  EXPECT_EXIT_CODE(Partner({"list-partners"}), 6);

  r = Admin({"rotate-key", "--partner_id=" + fuel_id});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.Get("api_key"), fuel_key);
  EXPECT_EXIT_CODE(Admin({"rotate-key", "--partner_id=999999"}), 4);
  r = Admin({"suspend-partner", "--partner_id=" + fuel_id, "--reason=contract ended"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("suspended"), "true");
  EXPECT_EXIT_CODE(Admin({"suspend-partner", "--partner_id=999999", "--reason=x"}), 4);

  r = Admin({"issue-bearer-cards", "--count=2"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, ::testing::MatchesRegex(".*\"card_numbers\":\\[\"[0-9]+\",\"[0-9]+\"\\].*"));
  EXPECT_EXIT_CODE(Admin({"issue-bearer-cards", "--count=0"}), 3);

  sdk::PartnerClient grocer = SdkHubTest::Partner();
  const std::string card = NewCard(grocer);
  r = Admin({"adjust-points", "--card=" + card, "--points=300", "--reason=goodwill",
             "--adjustment_id=adj-1"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("adjustment_id"), "adj-1");
  EXPECT_EQ(r.Get("balance_after"), "300");
  EXPECT_EXIT_CODE(Admin({"adjust-points", "--card=" + card, "--points=-301", "--reason=x"}), 5);

  r = Admin({"run-expiry"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("points_expired"), "0");
  EXPECT_EXIT_CODE(Partner({"run-expiry"}), 6);

  r = Admin({"create-operator-key", "--role=finance"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("role"), "finance");
  EXPECT_FALSE(r.Get("api_key").empty());
  EXPECT_EXIT_CODE(Admin({"create-operator-key", "--role=merchant"}), 3);
}

TEST_F(SdkCliTest, PartnerSubcommands) {
  CliRun r = Partner({"enroll", "--txn_id=cli-enroll-1"});
  EXPECT_EXIT_CODE(r, 0);
  const std::string card = r.Get("card_number");
  ASSERT_FALSE(card.empty()) << r.out;
  EXPECT_EXIT_CODE(Partner({"enroll", "--txn_id=bad id!"}), 3);

  r = Partner({"quote-earn", "--card=" + card, "--amount_minor=12345", "--currency=EUR"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("points"), "617");
  EXPECT_EXIT_CODE(Partner({"quote-earn", "--card=" + card, "--amount_minor=1", "--currency=USD"}),
                   3);
  r = Partner({"earn", "--card", card, "--amount_minor", "12345", "--currency", "EUR", "--txn_id",
               "cli-earn-1"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("points"), "617");
  EXPECT_EQ(r.Get("balance_after"), "617");
  EXPECT_EQ(r.Get("queued"), "false");
  EXPECT_EXIT_CODE(Partner({"earn", "--card=" + card, "--amount_minor=1", "--currency=USD"}), 3);

  r = Partner({"redeem", "--card=" + card, "--points=100", "--txn_id=cli-redeem-1"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("balance_after"), "517");
  EXPECT_EXIT_CODE(Partner({"redeem", "--card=" + card, "--points=100000"}), 5);
  r = Partner({"authorize", "--card=" + card, "--points=200", "--txn_id=cli-auth-1"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("available_after"), "317");
  EXPECT_EXIT_CODE(Partner({"authorize", "--card=" + card, "--points=100000"}), 5);
  r = Partner({"capture", "--authorization=cli-auth-1", "--points=150"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("balance_after"), "367");
  EXPECT_EXIT_CODE(Partner({"capture", "--authorization=no-such-auth"}), 4);
  ASSERT_EQ(
      Partner({"authorize", "--card=" + card, "--points=50", "--txn_id=cli-auth-2"}).exit_code, 0);
  r = Partner({"void", "--authorization=cli-auth-2"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("available_after"), "367");
  EXPECT_EXIT_CODE(Partner({"void", "--authorization=no-such-auth"}), 4);
  r = Partner({"reverse", "--original=cli-redeem-1"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("balance_after"), "467");
  EXPECT_EQ(r.Get("debt_created"), "0");
  EXPECT_EXIT_CODE(Partner({"reverse", "--original=no-such-txn"}), 4);

  r = Partner({"balance", "--card=" + card});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("balance"), "467");
  EXPECT_EQ(r.Get("held"), "0");
  EXPECT_EXIT_CODE(Partner({"balance", "--card=4000000000000002"}), 4);

  EXPECT_EXIT_CODE(Partner({"link-card", "--card=" + card, "--new_card=6000000000001237"}), 0);
  EXPECT_EXIT_CODE(Partner({"link-card", "--card=" + card, "--new_card=1234"}), 3);
  r = Admin({"issue-bearer-cards", "--count=1"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("\\[\"([0-9]+)\"\\]"))) << r.out;
  EXPECT_EXIT_CODE(
      Partner({"register-bearer-card", "--card=" + card, "--bearer_card=" + m[1].str()}), 0);
  EXPECT_EXIT_CODE(Partner({"register-bearer-card", "--card=" + card, "--bearer_card=" + card}), 5);

  r = Partner({"transactions", "--card=" + card, "--page_size=2"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_FALSE(r.Get("next_page_token").empty());
  EXPECT_EXIT_CODE(Partner({"transactions", "--page_size=501"}), 3);
}

TEST_F(SdkCliTest, UsageCredentialsAndReachability) {
  CliRun r = Spawn(LOYALTY_CLI_BINARY, {"earn", "--help"}, {});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("--amount_minor (required)"));
  EXPECT_EXIT_CODE(Spawn(LOYALTY_CLI_BINARY, {"--help"}, {}), 0);
  EXPECT_EXIT_CODE(Partner({"earn", "--card=1"}), 2);  // required flags missing
  EXPECT_EXIT_CODE(Partner({"no-such-command"}), 2);
  EXPECT_EXIT_CODE(Partner({"balance", "--card=1", "--bogus=1"}), 2);
  EXPECT_EXIT_CODE(Partner({"redeem", "--card=1", "--points=ten"}), 3);
  EXPECT_EXIT_CODE(Spawn(LOYALTY_CLI_BINARY, {"--hub=" + hub_.target(), "get-program"}, {}),
                   2);  // no key at all
  EXPECT_EXIT_CODE(Partner({"balance", "--card=4000000000000002"}, "wrong-key-0123456789"), 6);
  // LOYALTY_HUB names the hub when --hub is absent.
  r = Spawn(LOYALTY_CLI_BINARY, {"--json", "enroll"},
            {"LOYALTY_API_KEY=" + partner_key_, "LOYALTY_HUB=" + hub_.target()});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_FALSE(r.Get("card_number").empty());
}

TEST_F(SdkCliTest, OfflineQueueSubcommands) {
  const std::string queue = ::testing::TempDir() + "sdk_cli_queue_" + std::to_string(getpid());
  for (const char* s : {"", "-wal", "-shm"}) std::remove((queue + s).c_str());
  sdk::PartnerClient grocer = SdkHubTest::Partner();
  const std::string card = NewCard(grocer);
  ASSERT_NO_FATAL_FAILURE(hub_.Kill());
  EXPECT_EXIT_CODE(Partner({"balance", "--card=" + card}), 7);
  CliRun r = Partner({"--queue_file=" + queue, "earn", "--card=" + card, "--amount_minor=2000",
                      "--currency=EUR", "--txn_id=cli-off-1"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("queued"), "true");
  r = Partner({"--queue_file=" + queue, "queue-status"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("queued"), "1");
  EXPECT_EXIT_CODE(Partner({"--queue_file=" + queue, "queue-drain"}), 7);

  ASSERT_NO_FATAL_FAILURE(hub_.Restart());
  r = Partner({"--queue_file=" + queue, "queue-drain"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("posted"), "1");
  EXPECT_EQ(r.Get("remaining"), "0");
  r = Partner({"balance", "--card=" + card});
  EXPECT_EQ(r.Get("balance"), "100");
  EXPECT_EXIT_CODE(Partner({"queue-drain"}), 5);  // no --queue_file: failed precondition
  for (const char* s : {"", "-wal", "-shm"}) std::remove((queue + s).c_str());
}

TEST_F(SdkCliTest, PosSimulatorRunsATill) {
  const std::string queue = ::testing::TempDir() + "sdk_pos_queue_" + std::to_string(getpid());
  CliRun r = Spawn(
      POS_SIMULATOR_BINARY,
      {"--hub=" + hub_.target(), "--queue_file=" + queue, "--sales=2", "--sale_interval_ms=0"},
      {"LOYALTY_API_KEY=" + partner_key_});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("enrolled member"));
  EXPECT_THAT(r.out, HasSubstr("sale 250.00 EUR: +1250 points, balance 1250"));
  EXPECT_THAT(r.out, HasSubstr("captured 30 points, balance 1220"));
  EXPECT_THAT(r.out, HasSubstr("item returned: -299 points, balance 1220"));
  EXPECT_THAT(r.out, HasSubstr("0 still waiting"));
  for (const char* s : {"", "-wal", "-shm"}) std::remove((queue + s).c_str());
}

}  // namespace
}  // namespace loyalty::testing
