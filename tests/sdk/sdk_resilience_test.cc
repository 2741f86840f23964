// Retries and store-and-forward against the real hub process: the hub is SIGKILLed and
// restarted on the same port while calls are in flight; earns queue on disk while it is
// down and post in order, exactly once, when it is back, also after the client (or its
// whole process) died in between.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sdk/sdk_fixture.h"

extern char** environ;

namespace loyalty::testing {
namespace {

using ::testing::ElementsAre;

sdk::EarnParams Sale(const std::string& card, int64_t amount_minor, std::string txn_id) {
  sdk::EarnParams p;
  p.partner_txn_id = std::move(txn_id);
  p.card_number = card;
  p.amount = {amount_minor, "EUR"};
  return p;
}

class SdkResilienceTest : public SdkHubTest {
 protected:
  void SetUp() override {
    SdkHubTest::SetUp();
    queue_file_ = ::testing::TempDir() + "sdk_queue_" + std::to_string(getpid()) + "_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    RemoveQueueFiles();
  }
  void TearDown() override { RemoveQueueFiles(); }

  void RemoveQueueFiles() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((queue_file_ + suffix).c_str());
  }

  // A client that gives up on an unreachable hub quickly and queues earns.
  sdk::Options OfflineOptions() {
    sdk::Options o = OptionsFor(partner_key_);
    o.offline_queue_path = queue_file_;
    o.retry.max_attempts = 2;
    o.retry.total_timeout = absl::Seconds(2);
    o.call_timeout = absl::Seconds(2);
    return o;
  }

  // This partner's transactions for `card`, oldest first, as partner_txn_id strings.
  std::vector<std::string> History(sdk::PartnerClient& client, const std::string& card) {
    auto page = client.ListTransactions({500, "", card});
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> ids;
    if (!page.ok()) return ids;
    for (auto it = page->transactions.rbegin(); it != page->transactions.rend(); ++it) {
      ids.push_back(it->partner_txn_id);
    }
    return ids;
  }

  int64_t BalanceOf(sdk::PartnerClient& client, const std::string& card) {
    auto b = client.GetBalance({card});
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? b->balance : -1;
  }

  std::string queue_file_;
};

TEST_F(SdkResilienceTest, CallInFlightAcrossHubKillAndRestartPostsOnce) {
  std::atomic<int> failed_attempts{0};
  sdk::Options o = OptionsFor(partner_key_);
  o.retry.max_attempts = 100;
  o.retry.initial_backoff = absl::Milliseconds(20);
  o.retry.max_backoff = absl::Milliseconds(200);
  o.retry.total_timeout = absl::Seconds(60);
  o.on_retry = [&](const sdk::RetryEvent& e) {
    EXPECT_EQ(e.method, "Earn");
    EXPECT_EQ(e.partner_txn_id, "during-outage");
    EXPECT_EQ(e.status.code(), absl::StatusCode::kUnavailable) << e.status;
    ++failed_attempts;
  };
  sdk::PartnerClient client = Partner(o);
  const std::string card = NewCard(client);

  ASSERT_NO_FATAL_FAILURE(hub_.Kill());
  absl::StatusOr<sdk::EarnResult> result;
  std::thread till([&] { result = client.Earn(Sale(card, 100'00, "during-outage")); });
  // The call is retrying against the dead hub before the hub comes back.
  EXPECT_TRUE(PollUntil([&] { return failed_attempts.load() >= 2; }));
  ASSERT_NO_FATAL_FAILURE(hub_.Restart());
  till.join();  // bounded by the call's 60 s budget

  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->queued);
  EXPECT_EQ(result->posting.points, 500);
  EXPECT_EQ(result->posting.balance_after, 500);
  EXPECT_GE(failed_attempts.load(), 2);
  EXPECT_THAT(History(client, card), ElementsAre(::testing::_, "during-outage"));
  EXPECT_EQ(BalanceOf(client, card), 500);
}

TEST_F(SdkResilienceTest, RetryAfterALostAnswerPostsOnce) {
  sdk::PartnerClient setup = Partner();
  auto member = setup.EnrollMember();
  ASSERT_TRUE(member.ok()) << member.status();
  // A long transaction elsewhere holds the member's row: the first attempt reaches the
  // hub and waits there until the client's deadline gives up on it.
  auto lock = std::make_unique<MemberRowLock>(db_.options(), member->member_id);
  ASSERT_TRUE(lock->locked());
  sdk::Options o = OptionsFor(partner_key_);
  o.call_timeout = absl::Milliseconds(700);
  o.retry.max_attempts = 10;
  o.retry.total_timeout = absl::Seconds(30);
  std::vector<absl::StatusCode> failures;
  o.on_retry = [&](const sdk::RetryEvent& e) {
    failures.push_back(e.status.code());
    if (lock != nullptr) {
      EXPECT_TRUE(AwaitLockWaiters(db_, 1));
      lock.reset();  // the first attempt now posts on the hub, its answer is gone
    }
  };
  sdk::PartnerClient client = Partner(o);
  auto r = client.Earn(Sale(member->card_number, 40'00, "lost-answer"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_FALSE(failures.empty());
  EXPECT_EQ(failures[0], absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r->posting.points, 200);
  EXPECT_EQ(r->posting.balance_after, 200);
  EXPECT_THAT(History(setup, member->card_number), ElementsAre(::testing::_, "lost-answer"));
  EXPECT_EQ(BalanceOf(setup, member->card_number), 200);
}

TEST_F(SdkResilienceTest, EarnsQueueWhileHubIsDownAndDrainInOrder) {
  sdk::PartnerClient client = Partner(OfflineOptions());
  const std::string card = NewCard(client);
  ASSERT_TRUE(client.Earn(Sale(card, 10'00, "before")).ok());  // 50 points

  ASSERT_NO_FATAL_FAILURE(hub_.Kill());
  const int64_t amounts[] = {20'00, 30'00, 40'00};
  for (int i = 0; i < 3; ++i) {
    auto r = client.Earn(Sale(card, amounts[i], absl::StrCat("off-", i + 1)));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(r->queued);
    EXPECT_EQ(r->posting.partner_txn_id, absl::StrCat("off-", i + 1));
    EXPECT_EQ(r->posting.points, 0);
  }
  EXPECT_EQ(client.QueuedEarns().value_or(-1), 3);
  // Redemptions need the hub's answer: never queued.
  auto redeem = client.Redeem({"redeem-offline", card, 10});
  EXPECT_EQ(redeem.status().code(), absl::StatusCode::kUnavailable) << redeem.status();
  EXPECT_EQ(client.QueuedEarns().value_or(-1), 3);
  auto early = client.Drain();  // still down: nothing leaves the queue
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_EQ(early->posted, 0);
  EXPECT_EQ(early->remaining, 3);
  EXPECT_EQ(early->stopped_by.code(), absl::StatusCode::kUnavailable);

  ASSERT_NO_FATAL_FAILURE(hub_.Restart());
  auto drained = client.Drain();
  ASSERT_TRUE(drained.ok()) << drained.status();
  EXPECT_EQ(drained->posted, 3);
  EXPECT_EQ(drained->rejected, 0);
  EXPECT_EQ(drained->remaining, 0);
  EXPECT_TRUE(drained->stopped_by.ok()) << drained->stopped_by;
  EXPECT_EQ(client.QueuedEarns().value_or(-1), 0);
  auto again = client.Drain();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->posted, 0);

  EXPECT_THAT(History(client, card),
              ElementsAre(::testing::_, "before", "off-1", "off-2", "off-3"));
  EXPECT_EQ(BalanceOf(client, card), 50 + 100 + 150 + 200);
  // Each queued earn kept the time of its sale, stamped before it was queued.
  auto page = client.ListTransactions({3, "", card});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->transactions.size(), 3u);
  EXPECT_LT(page->transactions[2].occurred_at_micros, page->transactions[1].occurred_at_micros);
  EXPECT_LT(page->transactions[1].occurred_at_micros, page->transactions[0].occurred_at_micros);
  EXPECT_LT(page->transactions[0].occurred_at_micros, page->transactions[0].posted_at_micros);
}

TEST_F(SdkResilienceTest, QueueSurvivesTheClientAndDrainsOnTheNextSuccessfulCall) {
  std::string card;
  {
    sdk::PartnerClient client = Partner(OfflineOptions());
    card = NewCard(client);
    ASSERT_NO_FATAL_FAILURE(hub_.Kill());
    ASSERT_TRUE(client.Earn(Sale(card, 20'00, "off-a")).value_or(sdk::EarnResult{}).queued);
    ASSERT_TRUE(client.Earn(Sale(card, 60'00, "off-b")).value_or(sdk::EarnResult{}).queued);
  }  // the client and its connection are gone; the file stays

  sdk::PartnerClient reopened = Partner(OfflineOptions());
  EXPECT_EQ(reopened.QueuedEarns().value_or(-1), 2);
  ASSERT_NO_FATAL_FAILURE(hub_.Restart());
  // Any successful call replays the backlog after it.
  auto balance = reopened.GetBalance({card});
  ASSERT_TRUE(balance.ok()) << balance.status();
  EXPECT_EQ(reopened.QueuedEarns().value_or(-1), 0);
  EXPECT_THAT(History(reopened, card), ElementsAre(::testing::_, "off-a", "off-b"));
  EXPECT_EQ(BalanceOf(reopened, card), 100 + 300);
}

TEST_F(SdkResilienceTest, QueueSurvivesAKilledProcess) {
  sdk::PartnerClient client = Partner();
  const std::string card = NewCard(client);
  const std::string dead_target = hub_.target();
  ASSERT_NO_FATAL_FAILURE(hub_.Kill());

  std::vector<std::string> args = {SDK_QUEUE_CHILD, dead_target,   queue_file_,  card,
                                   "kill-1:1000",   "kill-2:2000", "kill-3:3000"};
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  env.push_back("LOYALTY_API_KEY=" + partner_key_);
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), envp.data()), 0);
  int status = 0;
  ASSERT_TRUE(
      PollUntil([&] { return waitpid(pid, &status, WNOHANG) == pid; }, std::chrono::seconds(60)))
      << "the child did not finish";
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  ASSERT_NO_FATAL_FAILURE(hub_.Restart());
  sdk::PartnerClient survivor = Partner(OfflineOptions());
  EXPECT_EQ(survivor.QueuedEarns().value_or(-1), 3);
  auto drained = survivor.Drain();
  ASSERT_TRUE(drained.ok()) << drained.status();
  EXPECT_EQ(drained->posted, 3);
  EXPECT_EQ(drained->remaining, 0);
  EXPECT_THAT(History(survivor, card), ElementsAre(::testing::_, "kill-1", "kill-2", "kill-3"));
  EXPECT_EQ(BalanceOf(survivor, card), 50 + 100 + 150);
}

TEST_F(SdkResilienceTest, AnEarnMadeWhileOthersWaitPostsAfterThem) {
  sdk::PartnerClient client = Partner(OfflineOptions());
  const std::string card = NewCard(client);
  ASSERT_NO_FATAL_FAILURE(hub_.Kill());
  ASSERT_TRUE(client.Earn(Sale(card, 20'00, "queued-first")).value_or(sdk::EarnResult{}).queued);
  ASSERT_NO_FATAL_FAILURE(hub_.Restart());
  auto live = client.Earn(Sale(card, 40'00, "live-second"));
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_FALSE(live->queued);
  EXPECT_EQ(live->posting.balance_after, 100 + 200);
  EXPECT_THAT(History(client, card), ElementsAre(::testing::_, "queued-first", "live-second"));
}

TEST_F(SdkResilienceTest, AnEarnTheHubRefusesOnReplayIsSetAsideNotRetried) {
  sdk::PartnerClient client = Partner(OfflineOptions());
  const std::string card = NewCard(client);
  ASSERT_NO_FATAL_FAILURE(hub_.Kill());
  sdk::EarnParams bad = Sale(card, 10'00, "bad-currency");
  bad.amount.currency = "USD";  // only the hub knows the program's currency
  ASSERT_TRUE(client.Earn(Sale(card, 10'00, "good-1")).value_or(sdk::EarnResult{}).queued);
  ASSERT_TRUE(client.Earn(bad).value_or(sdk::EarnResult{}).queued);
  ASSERT_TRUE(client.Earn(Sale(card, 20'00, "good-2")).value_or(sdk::EarnResult{}).queued);
  ASSERT_NO_FATAL_FAILURE(hub_.Restart());

  auto drained = client.Drain();
  ASSERT_TRUE(drained.ok()) << drained.status();
  EXPECT_EQ(drained->posted, 2);
  EXPECT_EQ(drained->rejected, 1);
  EXPECT_EQ(drained->remaining, 0);
  auto failed = client.FailedEarns();
  ASSERT_TRUE(failed.ok()) << failed.status();
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].earn.partner_txn_id, "bad-currency");
  EXPECT_EQ((*failed)[0].earn.amount.amount_minor, 10'00);
  EXPECT_EQ((*failed)[0].status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string((*failed)[0].status.message()), ::testing::HasSubstr("amount.currency"));
  EXPECT_THAT(History(client, card), ElementsAre(::testing::_, "good-1", "good-2"));
  EXPECT_EQ(BalanceOf(client, card), 50 + 100);
}

// Issue 16 groundwork: a client given two hubs (an IPv4 list) uses both and goes on when
// one of them dies: the calls that were on it are retried on the other.
TEST_F(SdkResilienceTest, SeveralHubsInOneTargetSurviveOneDying) {
  HubProcess second(hub_.options());
  ASSERT_NO_FATAL_FAILURE(second.Start());
  sdk::Options o = OptionsFor(partner_key_);
  o.target = absl::StrCat(hub_.target(), ",", second.target());
  sdk::PartnerClient client = Partner(o);
  const std::string card = NewCard(client);
  int ok = 0;
  for (int i = 0; i < 40; ++i) {
    if (i == 20) second.Kill();  // mid-run
    auto r = client.Earn(Sale(card, 1000, absl::StrCat("multi-", i)));
    EXPECT_TRUE(r.ok()) << i << ": " << r.status();
    if (r.ok()) ++ok;
  }
  EXPECT_EQ(ok, 40);
  EXPECT_EQ(BalanceOf(client, card), 40 * 50);
  EXPECT_EQ(History(client, card).size(), 41u);  // the enrolment and 40 earns, once each
  // A list of names is refused by field.
  o.target = "hub-a.example:50051,hub-b.example:50051";
  auto bad = sdk::MakePartnerConnection(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("target"), std::string::npos);
}

}  // namespace
}  // namespace loyalty::testing
