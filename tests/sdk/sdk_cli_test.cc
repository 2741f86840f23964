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
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/common/secure_random.h"
#include "tests/sdk/sdk_fixture.h"

extern char** environ;

namespace loyalty::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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
// `stdin_data`, when set, is the child's whole stdin.
CliRun Spawn(const std::string& binary, std::vector<std::string> args,
             const std::vector<std::string>& extra_env, const std::string& stdin_data = "") {
  CliRun run;
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return run;
  int in_fds[2] = {-1, -1};
  if (!stdin_data.empty() && pipe(in_fds) != 0) return run;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  if (in_fds[0] >= 0) {
    posix_spawn_file_actions_adddup2(&actions, in_fds[0], STDIN_FILENO);
    posix_spawn_file_actions_addclose(&actions, in_fds[1]);
  }
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
  if (in_fds[0] >= 0) {
    close(in_fds[0]);
    // Small enough for the pipe's buffer: never blocks.
    if (rc == 0 && write(in_fds[1], stdin_data.data(), stdin_data.size()) < 0) {
      ADD_FAILURE() << "write stdin";
    }
    close(in_fds[1]);
  }
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
  CliRun Partner(std::vector<std::string> args, const std::string& key = "",
                 const std::string& stdin_data = "") {
    args.insert(args.begin(), {"--json", "--hub=" + hub_.target(), "--attempts=2"});
    return Spawn(LOYALTY_CLI_BINARY, args,
                 {"LOYALTY_API_KEY=" + (key.empty() ? partner_key_ : key)}, stdin_data);
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
  EXPECT_EXIT_CODE(Partner({"transactions", "--page_size=-1"}), 3);
}

// Tiers, promotions, expiring points, the PIN and the new program/partner/balance/earn
// fields (docs/program-rules.md) through the CLI.
TEST_F(SdkCliTest, EarnRuleSubcommands) {
  CliRun r = Admin({"set-tiers", "--tiers", "Silver:10000:12500,Gold:50000:15000"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("{\"name\":\"Silver\",\"threshold_minor\":10000,"
                               "\"multiplier_bp\":12500}"));
  EXPECT_EXIT_CODE(Admin({"set-tiers", "--tiers=Silver:10000:12500,Silver:20000:13000"}), 3);
  EXPECT_EXIT_CODE(Admin({"set-tiers", "--tiers=Silver"}), 3);
  r = Admin({"list-tiers"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("\"name\":\"Gold\""));
  EXPECT_EXIT_CODE(Partner({"list-tiers"}), 6);

  const std::string ends = std::to_string(absl::ToUnixMicros(absl::Now()) + 86'400'000'000);
  const std::string grocer_id = std::to_string(partner_id_);
  r = Admin({"create-promotion", "--name=Double at the grocer", "--kind=multiplier",
             "--multiplier_bp=20000", "--scope=partner", "--scope_value=" + grocer_id,
             "--funder_partner_id=" + grocer_id, "--starts=2020-01-01T00:00:00Z",
             "--ends=" + ends});
  EXPECT_EXIT_CODE(r, 0);
  const std::string promo_id = r.Get("promotion_id");
  ASSERT_FALSE(promo_id.empty()) << r.out;
  EXPECT_EQ(r.Get("kind"), "multiplier");
  EXPECT_EQ(r.Get("scope"), "partner");
  EXPECT_EQ(r.Get("starts_at_micros"), "1577836800000000");
  EXPECT_EQ(r.Get("ends_at_micros"), ends);
  EXPECT_EXIT_CODE(
      Admin({"create-promotion", "--name=x", "--kind=bogus", "--starts=0", "--ends=" + ends}), 3);
  EXPECT_EXIT_CODE(Admin({"create-promotion", "--name=x", "--kind=fixed", "--bonus_points=5",
                          "--starts=2030-01-02", "--ends=2030-01-01"}),
                   3);
  r = Admin({"list-promotions"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("\"promotion_id\":" + promo_id + ","));
  EXPECT_EXIT_CODE(Partner({"list-promotions"}), 6);

  // 100.00 EUR at 5%: base 500; Silver (the earn reaches 100.00) +125; double points +500.
  const std::string card = Partner({"enroll"}).Get("card_number");
  ASSERT_FALSE(card.empty());
  r = Partner({"earn", "--card=" + card, "--amount_minor=10000", "--currency=EUR"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("points"), "625");
  EXPECT_EQ(r.Get("balance_after"), "1125");
  EXPECT_EQ(r.Get("tier"), "Silver");
  EXPECT_EQ(r.Get("tier_bonus_points"), "125");
  EXPECT_THAT(r.out, HasSubstr("\"promotions\":[{\"promotion_id\":" + promo_id +
                               ",\"name\":\"Double at the grocer\",\"points\":500,"
                               "\"funder_partner_id\":" +
                               grocer_id + "}]"));
  EXPECT_EQ(r.Get("pending_until_micros"), "0");
  r = Partner({"quote-earn", "--card=" + card, "--amount_minor=10000", "--currency=EUR"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("tier"), "Silver");
  EXPECT_THAT(r.out, HasSubstr("\"points\":500,"));
  r = Partner({"balance", "--card=" + card});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("tier"), "Silver");
  EXPECT_EQ(r.Get("spend_12m_minor"), "10000");
  EXPECT_EQ(r.Get("next_tier"), "Gold");
  EXPECT_EQ(r.Get("next_tier_threshold_minor"), "50000");
  EXPECT_EQ(r.Get("pending"), "0");

  r = Admin({"run-tier-review"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("members_changed"), "0");
  EXPECT_EXIT_CODE(Partner({"run-tier-review"}), 6);

  r = Admin({"end-promotion", "--id=" + promo_id});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("ended"), "true");
  EXPECT_EXIT_CODE(Admin({"end-promotion", "--id=999999"}), 4);
  r = Admin({"list-promotions", "--all"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("\"promotion_id\":" + promo_id + ","));
  EXPECT_EQ(Admin({"list-promotions"}).out, "{\"promotions\":[],\"next_page_token\":\"\"}\n");

  r = Admin({"list-expiring", "--within_days", "366"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("\"points\":1125,"));
  EXPECT_EXIT_CODE(Admin({"list-expiring", "--within_days=0"}), 3);

  r = Admin({"set-program", "--point_value_micros=10000", "--currency=EUR",
             "--hold_timeout_seconds=600", "--expiry_policy=end_of_year", "--expiry_years=2",
             "--time_zone=Europe/Berlin", "--min_redemption_points=10",
             "--pin_threshold_points=100", "--pause_expiry_for_cobranded"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("expiry_policy"), "end_of_year");
  EXPECT_EQ(r.Get("pause_expiry_for_cobranded"), "true");
  r = Admin({"get-program"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("expiry_years"), "2");
  EXPECT_EQ(r.Get("time_zone"), "Europe/Berlin");
  EXPECT_EQ(r.Get("min_redemption_points"), "10");
  EXPECT_EQ(r.Get("pin_threshold_points"), "100");
  EXPECT_EXIT_CODE(Admin({"set-program", "--point_value_micros=10000", "--currency=EUR",
                          "--hold_timeout_seconds=600", "--expiry_policy=never"}),
                   3);

  r = Partner({"set-pin", "--card=" + card, "--pin=1234"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("pin_set"), "true");
  // The PIN is never echoed (the random card number itself may contain "1234").
  std::string echoed = r.out;
  for (size_t at = echoed.find(card); at != std::string::npos; at = echoed.find(card)) {
    echoed.erase(at, card.size());
  }
  EXPECT_THAT(echoed, ::testing::Not(HasSubstr("1234")));
  EXPECT_EXIT_CODE(Partner({"set-pin", "--card=" + card, "--pin=12"}), 3);
  EXPECT_EXIT_CODE(Partner({"set-pin", "--card=" + card, "--pin=-"}, "", "4321\n"), 0);
  EXPECT_EXIT_CODE(Partner({"redeem", "--card=" + card, "--points=200"}), 3);  // PIN required
  EXPECT_EXIT_CODE(Partner({"redeem", "--card=" + card, "--points=5"}), 5);    // below minimum
  r = Partner({"redeem", "--card=" + card, "--points=200", "--pin=4321"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("balance_after"), "925");
  EXPECT_EXIT_CODE(Partner({"redeem", "--card=" + card, "--points=200", "--pin=0000"}), 6);
  r = Partner({"authorize", "--card=" + card, "--points=150", "--pin=-"}, "", "4321\n");
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("available_after"), "775");
  EXPECT_EXIT_CODE(Partner({"authorize", "--card=" + card, "--points=150", "--pin=0000"}), 6);
  EXPECT_EXIT_CODE(Partner({"authorize", "--card=" + card, "--points=150", "--pin=0000"}), 6);
  EXPECT_EXIT_CODE(Partner({"authorize", "--card=" + card, "--points=150", "--pin=0000"}), 6);
  EXPECT_EXIT_CODE(Partner({"authorize", "--card=" + card, "--points=150", "--pin=4321"}), 5);
  r = Admin({"unlock-pin", "--card=" + card});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("unlocked"), "true");
  EXPECT_EXIT_CODE(Admin({"unlock-pin", "--card=4000000000000002"}), 4);
  EXPECT_EXIT_CODE(Partner({"authorize", "--card=" + card, "--points=150", "--pin=4321"}), 0);

  r = Admin({"register-partner", "--name=Fashion", "--category=fashion", "--earn_rate_bp=100",
             "--return_window_days=14"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("return_window_days"), "14");
  EXPECT_EXIT_CODE(Admin({"register-partner", "--name=Shoes", "--category=shoes",
                          "--earn_rate_bp=100", "--return_window_days=400"}),
                   3);
  const std::string fashion_key = r.Get("api_key");
  r = Partner({"earn", "--card=" + card, "--amount_minor=10000", "--currency=EUR"}, fashion_key);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_NE(r.Get("pending_until_micros"), "0");
  r = Partner({"balance", "--card=" + card});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("pending"), "125");  // 100 base + 25 Silver, pending for 14 days
}

// An admin action read back from the audit log through the SDK and through `loyalty audit`.
TEST_F(SdkCliTest, AuditLogThroughSdkAndCli) {
  sdk::RegisterPartnerParams cinema;
  cinema.name = "Cinema";
  cinema.category = "cinema";
  cinema.earn_rate_bp = 200;
  auto reg = admin_->RegisterPartner(cinema);
  ASSERT_TRUE(reg.ok()) << reg.status();
  const std::string id = std::to_string(reg->partner.partner_id);
  EXPECT_EXIT_CODE(Admin({"suspend-partner", "--partner_id=" + id, "--reason=audit check"}), 0);
  const std::string actor = "admin:" + Sha256Hex(kHubAdminKey).substr(0, 12);

  sdk::ListAuditLogParams only_suspensions;
  only_suspensions.action = "suspend_partner";
  auto page = admin_->ListAuditLog(only_suspensions);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->entries.size(), 1u);
  const sdk::AuditEntry& e = page->entries[0];
  EXPECT_EQ(e.actor, actor);
  EXPECT_EQ(e.detail, "partner=" + id + " reason=audit check");
  EXPECT_THAT(e.before_json, HasSubstr("\"suspended\":false"));
  EXPECT_THAT(e.after_json, HasSubstr("\"suspended\":true"));
  EXPECT_EQ(page->next_page_token, "");
  // Newest first, one per page: set_program, two registrations, then the suspension.
  sdk::ListAuditLogParams one;
  one.page_size = 1;
  auto first = admin_->ListAuditLog(one);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->entries.size(), 1u);
  EXPECT_EQ(first->entries[0].id, e.id);
  ASSERT_FALSE(first->next_page_token.empty());
  one.page_token = first->next_page_token;
  auto second = admin_->ListAuditLog(one);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->entries.size(), 1u);
  EXPECT_EQ(second->entries[0].action, "register_partner");
  EXPECT_LT(second->entries[0].id, e.id);
  auto as_partner = sdk::MakeAdminConnection(OptionsFor(partner_key_));
  ASSERT_TRUE(as_partner.ok());
  EXPECT_EQ((*as_partner)->ListAuditLog({}).status().code(), absl::StatusCode::kPermissionDenied);

  CliRun r = Admin({"audit", "--action=suspend_partner"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("id"), std::to_string(e.id));
  EXPECT_EQ(r.Get("at_micros"), std::to_string(e.at_micros));
  EXPECT_EQ(r.Get("actor"), actor);
  EXPECT_EQ(r.Get("detail"), e.detail);
  EXPECT_EQ(r.Get("more"), "false");
  EXPECT_THAT(r.Get("time"), ::testing::MatchesRegex("20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T.*Z"));
  r = Admin({"audit", "--limit=2"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("more"), "true");
  EXPECT_EQ(r.Get("action"), "suspend_partner");  // the newest entry comes first
  EXPECT_THAT(r.out, HasSubstr("\"register_partner\""));
  r = Admin({"audit", "--actor=" + actor, "--since=2000-01-01T00:00:00Z", "--limit=500"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("more"), "false");
  EXPECT_THAT(r.out, HasSubstr("\"set_program\""));
  EXPECT_EXIT_CODE(Admin({"audit", "--actor=admin:000000000000"}), 0);
  EXPECT_THAT(Admin({"audit", "--actor=admin:000000000000"}).out, HasSubstr("\"entries\":[]"));
  EXPECT_THAT(Admin({"audit", "--until=2000-01-01T00:00:00Z"}).out, HasSubstr("\"entries\":[]"));
  EXPECT_THAT(Admin({"audit", "--since=2099-01-01T00:00:00Z"}).out, HasSubstr("\"entries\":[]"));
  EXPECT_EXIT_CODE(Admin({"audit", "--since=yesterday"}), 3);
  EXPECT_EXIT_CODE(Admin({"audit", "--limit=0"}), 3);
  EXPECT_EXIT_CODE(Partner({"audit"}), 6);

  // Text: a header row, then one aligned row per entry.
  r = Spawn(LOYALTY_CLI_BINARY,
            {"--hub=" + hub_.target(), "--key_file=" + admin_key_file_, "audit", "--limit=1"}, {});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, ::testing::ContainsRegex("TIME +ACTOR +ACTION +DETAIL +BEFORE +AFTER\n"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("Z +" + actor + " +suspend_partner +partner=" + id +
                                              " reason=audit check +\\{"));
  EXPECT_THAT(r.out, HasSubstr("more: true"));
}

// All values of a JSON string field, in order.
std::vector<std::string> AllOf(const std::string& out, const std::string& field) {
  std::vector<std::string> values;
  const std::regex re("\"" + field + "\":\"?([^\",}]*)");
  for (auto it = std::sregex_iterator(out.begin(), out.end(), re); it != std::sregex_iterator();
       ++it) {
    values.push_back((*it)[1].str());
  }
  return values;
}

// `loyalty transactions --since/--until` (ISO 8601 UTC or micros) filters by posted time;
// list commands print one page with --page_size/--page_token, and next_page_token.
TEST_F(SdkCliTest, TransactionsWindowAndPagingFlags) {
  const std::string card = Partner({"enroll", "--txn_id=win-enroll"}).Get("card_number");
  ASSERT_FALSE(card.empty());
  for (const char* id : {"win-earn-1", "win-earn-2"}) {
    ASSERT_EQ(Partner({"earn", "--card=" + card, "--amount_minor=1000", "--currency=EUR",
                       std::string("--txn_id=") + id})
                  .exit_code,
              0);
  }
  CliRun all = Partner({"transactions", "--card=" + card});
  EXPECT_EXIT_CODE(all, 0);
  ASSERT_EQ(AllOf(all.out, "partner_txn_id"),
            (std::vector<std::string>{"win-earn-2", "win-earn-1", "win-enroll"}));
  const std::vector<std::string> posted = AllOf(all.out, "posted_at_micros");
  ASSERT_EQ(posted.size(), 3u);
  ASSERT_LT(std::stoll(posted[1]), std::stoll(posted[0]));
  // [win-earn-1's time, win-earn-2's time) in micros holds win-earn-1 alone.
  CliRun r =
      Partner({"transactions", "--card=" + card, "--since=" + posted[1], "--until=" + posted[0]});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(AllOf(r.out, "partner_txn_id"), std::vector<std::string>{"win-earn-1"});
  // ISO 8601 UTC: nothing before 2020; everything since an hour ago.
  r = Partner({"transactions", "--card=" + card, "--until=2020-01-01T00:00:00Z"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("\"transactions\":[]"));
  const std::string hour_ago =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now() - absl::Hours(1), absl::UTCTimeZone());
  r = Partner({"transactions", "--card=" + card, "--since=" + hour_ago});
  EXPECT_EQ(AllOf(r.out, "partner_txn_id").size(), 3u) << r.out;
  EXPECT_EXIT_CODE(
      Partner({"transactions", "--since=2026-11-03T14:05:00Z", "--until=2026-11-03T14:05:00Z"}), 3);
  EXPECT_EXIT_CODE(Partner({"transactions", "--until=yesterday"}), 3);
  // Two pages of the window; the token is refused with another window.
  r = Partner({"transactions", "--card=" + card, "--since=" + hour_ago, "--page_size=2"});
  EXPECT_EQ(AllOf(r.out, "partner_txn_id"), (std::vector<std::string>{"win-earn-2", "win-earn-1"}));
  const std::string token = r.Get("next_page_token");
  ASSERT_FALSE(token.empty()) << r.out;
  r = Partner({"transactions", "--card=" + card, "--since=" + hour_ago, "--page_token=" + token});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(AllOf(r.out, "partner_txn_id"), std::vector<std::string>{"win-enroll"});
  EXPECT_EQ(r.Get("next_page_token"), "");
  EXPECT_EXIT_CODE(Partner({"transactions", "--card=" + card, "--page_token=" + token}), 3);

  // list-partners one at a time adds up to the whole list.
  sdk::RegisterPartnerParams cinema;
  cinema.name = "Cinema";
  cinema.category = "cinema";
  cinema.earn_rate_bp = 200;
  ASSERT_TRUE(admin_->RegisterPartner(cinema).ok());
  CliRun whole = Admin({"list-partners"});
  EXPECT_EXIT_CODE(whole, 0);
  EXPECT_EQ(whole.Get("next_page_token"), "");
  const std::vector<std::string> ids = AllOf(whole.out, "partner_id");
  ASSERT_GE(ids.size(), 2u);
  std::vector<std::string> paged;
  std::string next;
  for (int pages = 0; pages <= static_cast<int>(ids.size()); ++pages) {
    std::vector<std::string> args = {"list-partners", "--page_size=1"};
    if (!next.empty()) args.push_back("--page_token=" + next);
    CliRun page = Admin(args);
    EXPECT_EXIT_CODE(page, 0);
    for (const std::string& id : AllOf(page.out, "partner_id")) paged.push_back(id);
    next = page.Get("next_page_token");
    if (next.empty()) break;
  }
  EXPECT_EQ(paged, ids);
  EXPECT_EXIT_CODE(Admin({"list-partners", "--page_size=-1"}), 3);
  // The human output prints the token; --help names the flags.
  r = Spawn(
      LOYALTY_CLI_BINARY,
      {"--hub=" + hub_.target(), "--key_file=" + admin_key_file_, "list-partners", "--page_size=1"},
      {});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, ::testing::ContainsRegex("next_page_token: [A-Za-z0-9_-]+"));
  r = Spawn(LOYALTY_CLI_BINARY, {"transactions", "--help"}, {});
  EXPECT_THAT(r.out, HasSubstr("--since"));
  EXPECT_THAT(r.out, HasSubstr("--until"));
  EXPECT_THAT(r.out, HasSubstr("--page_token"));
  r = Spawn(LOYALTY_CLI_BINARY, {"list-promotions", "--help"}, {});
  EXPECT_THAT(r.out, HasSubstr("--page_size"));
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

// The same earn command sent twice is the same request: it replays (occurred_at is left
// to the hub, not stamped by the CLI). A real mismatch names the field, before and now.
TEST_F(SdkCliTest, EarnSentTwiceReplaysAndAMismatchNamesTheField) {
  const std::string card = Partner({"enroll"}).Get("card_number");
  ASSERT_FALSE(card.empty());
  const std::vector<std::string> earn = {"earn", "--card=" + card, "--amount_minor=5000",
                                         "--currency=EUR", "--txn_id=till-1.r-9"};
  CliRun first = Partner(earn);
  EXPECT_EXIT_CODE(first, 0);
  EXPECT_EQ(first.Get("replayed"), "false");
  CliRun again = Partner(earn);
  EXPECT_EXIT_CODE(again, 0);
  EXPECT_EQ(again.Get("replayed"), "true");
  EXPECT_EQ(again.Get("hub_txn_id"), first.Get("hub_txn_id"));
  CliRun changed = Partner(
      {"earn", "--card=" + card, "--amount_minor=6000", "--currency=EUR", "--txn_id=till-1.r-9"});
  EXPECT_EXIT_CODE(changed, 5);
  EXPECT_THAT(changed.out, HasSubstr("amount.amount_minor: 5000 sent before, 6000 now"));
}

// --json errors carry the hub's google.rpc details: the stable reason with its metadata,
// and the field violations of an INVALID_ARGUMENT.
TEST_F(SdkCliTest, JsonErrorsCarryReasonAndFieldViolations) {
  const std::string card = Partner({"enroll"}).Get("card_number");
  ASSERT_FALSE(card.empty());
  CliRun usd = Partner({"earn", "--card=" + card, "--amount_minor=100", "--currency=USD"});
  EXPECT_EXIT_CODE(usd, 3);
  EXPECT_EQ(usd.Get("error"), "INVALID_ARGUMENT");
  EXPECT_EQ(usd.Get("reason"), "INVALID_ARGUMENT");
  EXPECT_THAT(usd.out, HasSubstr("\"field_violations\":[{\"field\":\"amount.currency\","
                                 "\"description\":\"the program's currency is EUR\"}]"));
  CliRun redeem = Partner({"redeem", "--card=" + card, "--points=10"});
  EXPECT_EQ(redeem.Get("error"), "FAILED_PRECONDITION");
  EXPECT_EQ(redeem.Get("reason"), "INSUFFICIENT_POINTS");
  EXPECT_THAT(redeem.out, HasSubstr("\"metadata\":[{\"field\":\"points\"}]"));
  EXPECT_THAT(redeem.out, Not(HasSubstr("field_violations")));
}

// Without --json, points in time print as ISO 8601 UTC (the micros stay in --json).
TEST_F(SdkCliTest, HumanOutputPrintsTimesAsIso8601) {
  const std::string card = Partner({"enroll"}).Get("card_number");
  ASSERT_FALSE(card.empty());
  CliRun r = Spawn(LOYALTY_CLI_BINARY,
                   {"--hub=" + hub_.target(), "--attempts=2", "earn", "--card=" + card,
                    "--amount_minor=5000", "--currency=EUR"},
                   {"LOYALTY_API_KEY=" + partner_key_});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(\nexpires_at: 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\n)")))
      << r.out;
  EXPECT_THAT(r.out, HasSubstr("pending_until: -\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("_at_micros")));
  CliRun json = Partner({"balance", "--card=" + card});
  EXPECT_THAT(json.out, HasSubstr("_micros\":"));  // --json keeps the micros
}

// A partner's key reads the program (PERMISSION_DENIED before: only operators could).
TEST_F(SdkCliTest, PartnerReadsTheProgram) {
  CliRun r = Partner({"program"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("point_value_micros"), "10000");
  EXPECT_EQ(r.Get("currency"), "EUR");
  EXPECT_THAT(r.out, HasSubstr("\"tiers\":[]"));
  EXPECT_THAT(r.out, HasSubstr("\"promotions\":[]"));
}

// The partner guide's first example (built from the guide's text): without a key it
// says so and exits 2; with one it enrolls, earns and prints the posting; run again,
// its fixed receipt id on a new card is refused as the guide says.
TEST_F(SdkCliTest, GuideExampleRunsAsTheGuideSays) {
  CliRun r = Spawn(GUIDE_MY_TILL_BINARY, {}, {"LOYALTY_HUB=" + hub_.target()});
  EXPECT_EXIT_CODE(r, 2);
  r = Spawn(GUIDE_MY_TILL_BINARY, {}, {"LOYALTY_HUB=" + hub_.target(), "LOYALTY_API_KEY="});
  EXPECT_EXIT_CODE(r, 2);
  const std::vector<std::string> env = {"LOYALTY_HUB=" + hub_.target(),
                                        "LOYALTY_API_KEY=" + partner_key_};
  r = Spawn(GUIDE_MY_TILL_BINARY, {}, env);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(std::regex_search(
      r.out, std::regex(R"(card \d+: \+617 points, balance 617 \(txn till-7\.receipt-000123\))")))
      << r.out;
  r = Spawn(GUIDE_MY_TILL_BINARY, {}, env);
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.out, HasSubstr("ALREADY_EXISTS"));
}

// The bank's subcommands, with the bank (issuer) registered and its rules set.
class SdkCliBankTest : public SdkCliTest {
 protected:
  void SetUp() override {
    SdkCliTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(AddBank());
  }
  CliRun BankCli(std::vector<std::string> args) { return Partner(std::move(args), bank_key_); }
};

constexpr char kCliPan[] = "4111111111111111";

TEST_F(SdkCliBankTest, BankSubcommands) {
  const std::string bank = absl::StrCat(bank_id_);
  CliRun r = Admin({"set-bank-rules", "--bank_partner_id=" + bank, "--default_rate_bp=150",
                    "--partner_merchant_rate_bp=400", "--monthly_cap_points=9000",
                    "--mcc_rules=5411:300,5541:200,6011:x"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("default_rate_bp"), "150");
  EXPECT_EQ(r.Get("partner_merchant_rate_bp"), "400");
  EXPECT_THAT(r.out, HasSubstr("{\"mcc\":6011,\"rate_bp\":0,\"excluded\":true}"));
  EXPECT_THAT(r.out, HasSubstr("{\"mcc\":5541,\"rate_bp\":200,\"excluded\":false}"));
  EXPECT_EXIT_CODE(Admin({"set-bank-rules", "--bank_partner_id=" + bank, "--default_rate_bp=1",
                          "--mcc_rules=5411"}),
                   3);
  EXPECT_EXIT_CODE(
      Admin({"set-bank-rules", "--bank_partner_id=" + bank, "--default_rate_bp=20000"}), 3);
  r = Admin({"get-bank-rules", "--bank_partner_id=" + bank});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("monthly_cap_points"), "9000");
  EXPECT_EXIT_CODE(Admin({"get-bank-rules", "--bank_partner_id=" + absl::StrCat(partner_id_)}), 5);
  EXPECT_EXIT_CODE(Admin({"get-bank-rules", "--bank_partner_id=999999"}), 4);

  r = Partner({"register-merchant-id", "--merchant_id=GROCER-001"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("replayed"), "false");
  EXPECT_EXIT_CODE(BankCli({"register-merchant-id", "--merchant_id=GROCER-001"}), 5);

  const std::string card = Partner({"enroll"}).Get("card_number");
  ASSERT_FALSE(card.empty());
  r = BankCli({"link-card", "--card=" + card, "--token=tok-cli"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("card_ref"), "tok-cli");
  EXPECT_FALSE(r.Get("member_id").empty());
  r = BankCli({"link-card", "--card=" + card, std::string("--pan=") + kCliPan});
  EXPECT_EXIT_CODE(r, 0);
  const std::string pan_ref = r.Get("card_ref");
  EXPECT_THAT(pan_ref, ::testing::MatchesRegex("h:[0-9a-f]{64}"));
  EXPECT_EXIT_CODE(Partner({"link-card", "--card=" + card, "--token=tok-2"}), 6);
  EXPECT_EXIT_CODE(
      BankCli({"link-card", "--card=" + card, "--token=tok-2", "--new_card=6000000000001237"}), 3);

  r = BankCli({"list-cards", "--card=" + card});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_THAT(r.out, HasSubstr("\"tok-cli\""));
  EXPECT_THAT(r.out, HasSubstr("\"" + pan_ref + "\""));
  EXPECT_EXIT_CODE(BankCli({"list-cards", "--card=4000000000000002"}), 4);

  r = BankCli({"card-statement", "--token=tok-cli", "--month=2026-11"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("card_ref"), "tok-cli");
  EXPECT_EQ(r.Get("points_earned"), "0");
  EXPECT_EQ(r.Get("monthly_cap_points"), "9000");
  EXPECT_EXIT_CODE(BankCli({"card-statement", "--token=tok-cli", "--month=11/2026"}), 3);

  r = BankCli({"unlink-card", "--token=tok-cli"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("unlinked"), "true");
  EXPECT_EXIT_CODE(BankCli({"unlink-card", "--token=tok-cli"}), 4);
  EXPECT_EXIT_CODE(BankCli({"unlink-card"}), 3);  // neither --token nor --pan
}

// What the model of the generated file expects the summary to say.
struct IngestExpectation {
  int64_t records = 0, sent = 0, earned = 0, earned_points = 0, reversed = 0, reversed_points = 0,
          no_earn = 0, unmatched = 0, rejected = 0, malformed = 0, replayed = 0;
  std::map<std::string, int64_t> no_earn_by_reason;
  std::vector<int64_t> error_lines;
};

// Writes a clearing file of `rows` data rows (every kind of outcome, malformed lines
// included) for the member with tok-0..tok-3 and the PAN linked, under BankRules()
// with GROCER-001 a partner's merchant id; returns what bank-ingest must report.
IngestExpectation WriteClearingFile(const std::string& path, int rows) {
  IngestExpectation x;
  std::ofstream out(path);
  out << "clearing_id,card_token,pan,amount_minor,currency,mcc,merchant_id,type,"
         "original_clearing_id,occurred_at\r\n";
  struct Outcome {
    std::string status;
    int64_t points = 0;
    std::string reason;
  };
  struct Purchase {
    std::string text;                 // the line
    std::vector<std::string> fields;  // its CSV fields, as written (quotes kept)
    Outcome outcome;
  };
  std::map<int, Purchase> purchases;  // by row
  auto count = [&](const Outcome& o) {
    if (o.status == "EARNED") {
      ++x.earned;
      x.earned_points += o.points;
    } else if (o.status == "REVERSED") {
      ++x.reversed;
      x.reversed_points += o.points;
    } else if (o.status == "NO_EARN") {
      ++x.no_earn;
      ++x.no_earn_by_reason[o.reason];
    }
  };
  for (int i = 0; i < rows; ++i) {
    const int64_t line = i + 2;
    const int kind = i % 20;
    const std::string when = i % 3 == 0 ? "" : "2026-11-03T10:00:00Z";
    ++x.records;
    if (kind <= 13) {
      const int64_t amount = 1000 + (i % 9) * 137;
      const int mcc = i % 7 == 0 ? 6011 : i % 7 == 1 ? 5411 : 5999;
      // Some merchant names hold a comma, quoted as RFC 4180 says.
      const std::string merchant = i % 11 == 0   ? "GROCER-001"
                                   : i % 13 == 5 ? "\"ACME, INC\""
                                                 : absl::StrCat("M-", i % 13);
      Outcome o{"EARNED", 0, ""};
      if (mcc == 6011) {
        o = {"NO_EARN", 0, "mcc 6011 is excluded"};
      } else {
        const int64_t bp = merchant == "GROCER-001" ? 300 : mcc == 5411 ? 200 : 100;
        o.points = amount * bp / 10000;
      }
      const std::string text = kind == 13
                                   ? absl::StrCat("p-", i, ",,", kCliPan, ",", amount, ",EUR,", mcc,
                                                  ",", merchant, ",purchase,,", when)
                                   : absl::StrCat("p-", i, ",tok-", i % 4, ",,", amount, ",EUR,",
                                                  mcc, ",", merchant, ",purchase,,", when);
      out << text << "\n";
      std::vector<std::string> fields =
          kind == 13
              ? std::vector<std::string>{absl::StrCat("p-", i), "", kCliPan}
              : std::vector<std::string>{absl::StrCat("p-", i), absl::StrCat("tok-", i % 4), ""};
      for (const std::string& f : {absl::StrCat(amount), std::string("EUR"), absl::StrCat(mcc),
                                   merchant, std::string("purchase"), std::string(), when}) {
        fields.push_back(f);
      }
      purchases[i] = {text, fields, o};
      ++x.sent;
      count(o);
    } else if (kind == 14) {  // refunds the purchase of row i-14 in full
      const Purchase& p = purchases[i - 14];
      const Outcome& orig = p.outcome;
      const std::vector<std::string>& f = p.fields;
      out << "r-" << i << "," << f[1] << "," << f[2] << "," << f[3] << ",EUR," << f[5] << ","
          << f[6] << ",refund," << f[0] << "," << f[9] << "\n";
      ++x.sent;
      count(orig.status == "EARNED" ? Outcome{"REVERSED", orig.points, ""}
                                    : Outcome{"NO_EARN", 0, "the purchase earned no points"});
    } else if (kind == 15) {
      out << "u-" << i << ",tok-1,,500,EUR,5999,,refund,nope-" << i << "," << when << "\n";
      ++x.sent;
      ++x.unmatched;
    } else if (kind == 16) {
      out << "g-" << i << ",ghost-" << i << ",,500,EUR,5999,M-1,purchase,," << when << "\n";
      ++x.sent;
      count({"NO_EARN", 0, "card is not linked to a member"});
    } else if (kind == 17) {
      const char* bad[] = {"m-%d,tok-1,,500,EUR,5999,,purchase,",
                           "m-%d,tok-1,,12x,EUR,5999,,purchase,,",
                           "m-%d,tok-1,,500,EUR,5999,,sale,,",
                           "m-%d,tok-1,4111111111111111,500,EUR,5999,,purchase,,"};
      char buf[100];
      std::snprintf(buf, sizeof(buf), bad[(i / 20) % 4], i);
      out << buf << "\n";
      ++x.malformed;
      x.error_lines.push_back(line);
    } else if (kind == 18) {
      out << "z-" << i << ",tok-2,,0,EUR,5999,,purchase,," << when << "\n";
      ++x.sent;
      ++x.rejected;
      x.error_lines.push_back(line);
    } else {  // 19: the line of row i-19 again
      const Purchase& p = purchases[i - 19];
      out << p.text << "\n";
      ++x.sent;
      ++x.replayed;
      count(p.outcome);
    }
  }
  return x;
}

TEST_F(SdkCliBankTest, BankIngestSummarizesAFile) {
  int rows = 3000;
  if (const char* env = std::getenv("SDK_INGEST_ROWS")) {
    ASSERT_TRUE(absl::SimpleAtoi(env, &rows));
  }
  sdk::PartnerClient grocer = SdkHubTest::Partner();
  const std::string member = NewCard(grocer);
  ASSERT_TRUE(grocer.RegisterMerchantId({"GROCER-001"}).ok());
  sdk::BankClient bank = SdkHubTest::Bank();
  for (int c = 0; c < 4; ++c) {
    ASSERT_TRUE(
        bank.LinkCoBrandedCard({member, sdk::CardRef::Token(absl::StrCat("tok-", c))}).ok());
  }
  ASSERT_TRUE(bank.LinkCoBrandedCard({member, sdk::CardRef::Pan(kCliPan)}).ok());
  const std::string file = ::testing::TempDir() + "sdk_cli_clearing_" + std::to_string(getpid());
  const IngestExpectation x = WriteClearingFile(file, rows);

  CliRun r = BankCli({"bank-ingest", file});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("records"), absl::StrCat(x.records));
  EXPECT_EQ(r.Get("sent"), absl::StrCat(x.sent));
  EXPECT_EQ(r.Get("earned"), absl::StrCat(x.earned));
  EXPECT_EQ(r.Get("earned_points"), absl::StrCat(x.earned_points));
  EXPECT_EQ(r.Get("reversed"), absl::StrCat(x.reversed));
  EXPECT_EQ(r.Get("reversed_points"), absl::StrCat(x.reversed_points));
  EXPECT_EQ(r.Get("no_earn"), absl::StrCat(x.no_earn));
  EXPECT_EQ(r.Get("unmatched_refunds"), absl::StrCat(x.unmatched));
  EXPECT_EQ(r.Get("rejected"), absl::StrCat(x.rejected));
  EXPECT_EQ(r.Get("malformed"), absl::StrCat(x.malformed));
  EXPECT_EQ(r.Get("replayed"), absl::StrCat(x.replayed));
  for (const auto& [reason, n] : x.no_earn_by_reason) {
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat("{\"reason\":\"", reason, "\",\"count\":", n, "}")));
  }
  // The errors list: every malformed and rejected line, in line order.
  std::vector<int64_t> lines;
  const size_t from = r.out.find("\"errors\":[");
  ASSERT_NE(from, std::string::npos) << r.out;
  const std::string errors = r.out.substr(from, r.out.find("],\"elapsed_seconds\"") - from);
  const std::regex line_re("\"line\":([0-9]+)");
  for (auto it = std::sregex_iterator(errors.begin(), errors.end(), line_re);
       it != std::sregex_iterator(); ++it) {
    lines.push_back(std::stoll((*it)[1].str()));
  }
  EXPECT_EQ(lines, x.error_lines);
  EXPECT_THAT(errors, HasSubstr("\"error\":\"MALFORMED\",\"reason\":\"type: \\\"sale\\\" is not "
                                "purchase or refund\""));
  EXPECT_THAT(errors, HasSubstr("\"error\":\"INVALID_ARGUMENT\",\"reason\":\"amount.amount_minor"));
  std::cout << "bank-ingest: " << x.records << " rows in " << r.Get("elapsed_seconds") << " s, "
            << r.Get("records_per_second") << " records/s\n";

  // Again: every row answered as before (replayed), nothing new posted.
  r = BankCli({"bank-ingest", "--no_progress", file});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.Get("earned_points"), absl::StrCat(x.earned_points));
  EXPECT_EQ(r.Get("replayed"), absl::StrCat(x.sent - x.rejected));

  // Errors: no file, a wrong header, a merchant's key, no hub.
  EXPECT_EXIT_CODE(BankCli({"bank-ingest", file + ".missing"}), 1);
  const std::string bad = file + ".bad";
  std::ofstream(bad) << "id,card,amount\n1,2,3\n";
  r = BankCli({"bank-ingest", bad});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_THAT(r.Get("message"), HasSubstr("line 1 must be the header"));
  EXPECT_EXIT_CODE(Partner({"bank-ingest", file}), 6);
  EXPECT_EXIT_CODE(BankCli({"bank-ingest"}), 2);
  ASSERT_NO_FATAL_FAILURE(hub_.Kill());
  EXPECT_EXIT_CODE(BankCli({"bank-ingest", "--no_progress", file}), 7);
  std::remove(file.c_str());
  std::remove(bad.c_str());
}

}  // namespace
}  // namespace loyalty::testing
