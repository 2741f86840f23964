// Webhooks against a local HTTPS receiver the test starts (tests/events/https_receiver.py,
// a certificate from deploy/tls/make-certs.sh): every delivery's signature verifies with
// the SDK's helper; a receiver that fails then recovers gets every event; deliveries
// that keep failing for the retry window become dead letters that are listed and
// replayed; a partner's webhook carries its own events only. The deliverer runs in
// process on a fake clock (retry times without waiting).
#include "hub/webhooks/webhooks.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "hub/common/status_macros.h"
#include "loyalty/webhook.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

namespace fs = std::filesystem;
constexpr char kSecret[] = "whsec_test_0123456789abcdef0123456789abcdef";

class Receiver {
 public:
  Receiver() : dir_(fs::temp_directory_path() / absl::StrCat("loyalty-webhook-", getpid())) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const std::string make =
        absl::StrCat("bash ", LOYALTY_MAKE_CERTS, " ", dir_.string(), " >/dev/null 2>&1");
    EXPECT_EQ(std::system(make.c_str()), 0);
  }
  ~Receiver() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }
  void Start() {
    const std::string port_file = (dir_ / "port").string();
    pid_ = fork();
    if (pid_ == 0) {
      execl("/usr/bin/python3", "python3", LOYALTY_HTTPS_RECEIVER, port_file.c_str(),
            (dir_ / "server.pem").c_str(), (dir_ / "server.key").c_str(),
            (dir_ / "log.jsonl").c_str(), (dir_ / "fail").c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    ASSERT_TRUE(PollUntil([&] { return fs::exists(port_file); }));
    std::ifstream in(port_file);
    in >> port_;
  }
  void Fail(bool failing) {
    if (failing) {
      std::ofstream(dir_ / "fail") << "1";
    } else {
      fs::remove(dir_ / "fail");
    }
  }
  std::string url() const { return absl::StrCat("https://localhost:", port_, "/loyalty/events"); }
  std::string ca() const { return (dir_ / "ca.pem").string(); }
  std::vector<nlohmann::json> Requests() const {
    std::vector<nlohmann::json> out;
    std::ifstream in(dir_ / "log.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(receiver_.Start());
    grocer_ = f.AddPartner("grocery", 500);
    gym_ = f.AddPartner("fitness", 300);
    card_ = f.AddMember(grocer_);
    options_.ca_file = receiver_.ca();
    options_.allow_internal_addresses = true;  // the receiver is on 127.0.0.1
    options_.initial_backoff = absl::Seconds(10);
    options_.retry_for = absl::Hours(24);
  }

  void SequenceAll() {
    int64_t n = 0;
    do {
      ASSERT_TRUE(f.db().store()->RunEventTransaction([&](MemberRows& rows) -> absl::Status {
                    ASSIGN_OR_RETURN(n, rows.SequenceEvents(5000));
                    return absl::OkStatus();
                  }).ok());
    } while (n > 0);
  }

  DelivererRun Run(Deliverer& d) {
    SequenceAll();
    DelivererRun q = Ok(d.Queue());
    DelivererRun s = Ok(d.DeliverDue());
    s.queued = q.queued;
    return s;
  }

  // The event ids the receiver answered 200 for, each with how often.
  std::map<int64_t, int> Accepted() {
    std::map<int64_t, int> out;
    for (const nlohmann::json& r : receiver_.Requests()) {
      if (r["status"] == 200) ++out[std::stoll(r["event_id"].get<std::string>())];
    }
    return out;
  }

  LedgerFixture f;
  Receiver receiver_;
  Webhooks webhooks_{f.db().store(), &f.clock()};
  DelivererOptions options_;
  PartnerId grocer_ = 0, gym_ = 0;
  std::string card_;
  WebhookOwner Grocer() { return {false, grocer_, "partner:grocer"}; }
};

TEST_F(WebhookTest, SignedDeliveriesOfThePartnersOwnEvents) {
  const WebhookRow hook = Ok(webhooks_.Create(Grocer(), receiver_.url(), kSecret, {}, 0));
  EXPECT_EQ(hook.secret, kSecret);
  const std::string gym_card = f.AddMember(gym_);
  for (int i = 0; i < 5; ++i) {
    Ok(f.Earn(grocer_, card_, 1000 + i));
    Ok(f.Earn(gym_, gym_card, 1000 + i));
  }
  Deliverer deliverer(f.db().store(), &f.clock(), options_);
  const DelivererRun run = Run(deliverer);
  const int64_t mine = f.Query(absl::StrCat("SELECT COUNT(*) FROM events WHERE partner_id = ",
                                            grocer_));
  EXPECT_EQ(run.queued, mine);
  EXPECT_EQ(run.delivered, mine);
  const std::vector<nlohmann::json> requests = receiver_.Requests();
  ASSERT_EQ(static_cast<int64_t>(requests.size()), mine);
  for (const nlohmann::json& r : requests) {
    const std::string body = r["body"];
    const std::string signature = r["signature"];
    EXPECT_TRUE(
        sdk::VerifyWebhookSignature(signature, body, kSecret, absl::FromUnixMicros(f.clock().NowMicros()))
            .ok())
        << signature;
    EXPECT_FALSE(sdk::VerifyWebhookSignature(signature, body + " ", kSecret,
                                             absl::FromUnixMicros(f.clock().NowMicros()))
                     .ok());
    const nlohmann::json event = nlohmann::json::parse(body);
    EXPECT_EQ(event["partner_id"], grocer_);
    EXPECT_EQ(std::to_string(event["id"].get<int64_t>()), r["event_id"].get<std::string>());
  }
  // Nothing new: nothing sent again.
  EXPECT_EQ(Run(deliverer).delivered, 0);
  // Without the allowance an endpoint on an internal address is never posted to.
  DelivererOptions strict = options_;
  strict.allow_internal_addresses = false;
  Deliverer careful(f.db().store(), &f.clock(), strict);
  Ok(f.Earn(grocer_, card_, 999));
  const DelivererRun refused = Run(careful);
  EXPECT_EQ(refused.delivered, 0);
  EXPECT_EQ(refused.retried, 1);
  EXPECT_EQ(static_cast<int64_t>(receiver_.Requests().size()), mine);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM webhook_deliveries WHERE last_error LIKE "
                    "'%internal addresses%'"),
            1);
  // A bad registration is refused by field.
  EXPECT_EQ(webhooks_.Create(Grocer(), "http://plain.example/x", "", {}, std::nullopt)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(webhooks_.Create(Grocer(), receiver_.url(), "short", {}, std::nullopt).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(webhooks_.Create(Grocer(), receiver_.url(), "", {"points.earnt"}, std::nullopt)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // The gym neither sees nor deletes the grocer's webhook.
  EXPECT_TRUE(Ok(webhooks_.List({false, gym_, "partner:gym"})).empty());
  EXPECT_EQ(webhooks_.Delete({false, gym_, "partner:gym"}, hook.id).code(),
            absl::StatusCode::kNotFound);
}

TEST_F(WebhookTest, AReceiverThatFailsThenRecoversGetsEveryEvent) {
  Ok(webhooks_.Create(Grocer(), receiver_.url(), kSecret, {"points.earned"}, 0));
  Deliverer deliverer(f.db().store(), &f.clock(), options_);
  receiver_.Fail(true);
  for (int i = 0; i < 6; ++i) Ok(f.Earn(grocer_, card_, 1000 + i));
  DelivererRun run = Run(deliverer);
  EXPECT_EQ(run.queued, 6);
  EXPECT_EQ(run.retried, 6);
  EXPECT_EQ(Run(deliverer).retried, 0) << "retried before the backoff";
  f.clock().Advance(10'000'000);
  EXPECT_EQ(Run(deliverer).retried, 6);  // second attempts, still failing
  receiver_.Fail(false);
  for (int i = 0; i < 3; ++i) Ok(f.Earn(grocer_, card_, 2000 + i));
  run = Run(deliverer);
  EXPECT_EQ(run.delivered, 3);  // the new ones; the old wait 20 s
  f.clock().Advance(20'000'000);
  EXPECT_EQ(Run(deliverer).delivered, 6);
  const std::map<int64_t, int> accepted = Accepted();
  EXPECT_EQ(accepted.size(), 9u);
  for (const auto& [event, times] : accepted) EXPECT_EQ(times, 1) << event;
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM webhook_deliveries WHERE status <> 'delivered'"), 0);
}

TEST_F(WebhookTest, DeadLettersAreListedAndReplayed) {
  const WebhookRow hook = Ok(webhooks_.Create(Grocer(), receiver_.url(), kSecret, {}, 0));
  Deliverer deliverer(f.db().store(), &f.clock(), options_);
  receiver_.Fail(true);
  Ok(f.Earn(grocer_, card_, 1000));
  Ok(f.Earn(grocer_, card_, 1100));
  int64_t dead = 0;
  for (int hour = 0; hour <= 26 && dead == 0; ++hour) {
    dead += Run(deliverer).dead;
    f.clock().Advance(3600'000'000);
  }
  const int64_t expected = f.Query(absl::StrCat("SELECT COUNT(*) FROM events WHERE partner_id = ",
                                                grocer_));
  EXPECT_EQ(dead, expected);
  EXPECT_GE(f.Query("SELECT MIN(attempts) FROM webhook_deliveries"), 10);  // backoff capped at 1 h
  const std::vector<DeliveryRow> letters = Ok(webhooks_.DeadLetters(Grocer(), hook.id, 0, 100));
  ASSERT_EQ(static_cast<int64_t>(letters.size()), expected);
  EXPECT_EQ(letters[0].last_status_code, 500);
  EXPECT_EQ(webhooks_.DeadLetters({false, gym_, "partner:gym"}, hook.id, 0, 100).status().code(),
            absl::StatusCode::kNotFound);
  receiver_.Fail(false);
  EXPECT_EQ(Ok(webhooks_.Replay(Grocer(), hook.id, {letters[0].id})), 1);
  EXPECT_EQ(Run(deliverer).delivered, 1);
  EXPECT_EQ(Ok(webhooks_.Replay(Grocer(), hook.id, {})), expected - 1);
  EXPECT_EQ(Run(deliverer).delivered, expected - 1);
  EXPECT_TRUE(Ok(webhooks_.DeadLetters(Grocer(), hook.id, 0, 100)).empty());
  EXPECT_EQ(static_cast<int64_t>(Accepted().size()), expected);
  // A deleted webhook gets nothing more.
  ASSERT_TRUE(webhooks_.Delete(Grocer(), hook.id).ok());
  Ok(f.Earn(grocer_, card_, 1200));
  EXPECT_EQ(Run(deliverer).queued, 0);
}

}  // namespace
}  // namespace loyalty::testing
