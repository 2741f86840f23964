// EventService.Subscribe through the real hub binary (issue 15): subscribers that drop
// their stream at random points and resume from the last cursor they were sent, while
// postings go on and the hub is SIGKILLed and restarted, receive every event they may see
// exactly once, in commit order. LOYALTY_EVENTS_LONG=1 runs it for 90 s instead of 12 s.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "loyalty/v1/events.grpc.pb.h"
#include "tests/support/grpc_call.h"
#include "tests/support/hub_process.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace loyalty::testing {
namespace {

using Stub = v1::EventService::Stub;

PartnerId Register(LedgerFixture& f, const std::string& category, std::string* key) {
  PartnerRecord p;
  p.name = category;
  p.category = category;
  p.role = Role::kMerchant;
  p.earn_rate_bp = 500;
  RegisteredPartner r = Ok(f.ledger().RegisterPartner("test", p));
  *key = r.api_key;
  return r.partner.id;
}

// One subscriber: what it was sent, and the cursor it resumes from.
struct Subscriber {
  std::string key;
  int64_t cursor = 0;
  std::vector<int64_t> ids;       // event ids in the order received
  std::vector<int64_t> seqs;      // their cursors
  std::vector<PartnerId> partners;
  int64_t resumes = 0;
  std::string failure;  // the first broken promise seen, if any

  // One call from `cursor`: reads up to `max_batches` messages (0 = until the stream
  // ends), then hangs up. Returns the call's status.
  grpc::Status Call(Stub* stub, bool follow, int max_batches) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key));
    v1::SubscribeRequest req;
    req.set_since_cursor(cursor);
    req.set_follow(follow);
    std::unique_ptr<grpc::ClientReader<v1::EventBatch>> reader = stub->Subscribe(&ctx, req);
    v1::EventBatch batch;
    int n = 0;
    while (reader->Read(&batch)) {
      for (const v1::Event& e : batch.events()) {
        if (e.cursor() <= cursor && failure.empty()) {
          failure = absl::StrCat("event ", e.event_id(), " at cursor ", e.cursor(),
                                 " came after cursor ", cursor);
        }
        cursor = std::max(cursor, e.cursor());
        ids.push_back(e.event_id());
        seqs.push_back(e.cursor());
        partners.push_back(e.partner_id());
      }
      if (batch.cursor() < cursor && failure.empty()) {
        failure = absl::StrCat("batch cursor ", batch.cursor(), " below ", cursor);
      }
      cursor = batch.cursor();
      if (max_batches > 0 && ++n >= max_batches) {
        ctx.TryCancel();
        break;
      }
    }
    ++resumes;
    return reader->Finish();
  }
};

TEST(EventStream, ResumingSubscribersGetEveryEventOnceAcrossHubKills) {
  const bool long_run = std::getenv("LOYALTY_EVENTS_LONG") != nullptr;
  const auto run_for = std::chrono::seconds(long_run ? 90 : 12);
  LedgerFixture f;
  std::string grocer_key, gym_key;
  const PartnerId grocer = Register(f, "grocery", &grocer_key);
  const PartnerId gym = Register(f, "fitness", &gym_key);
  std::vector<std::string> cards;
  for (int i = 0; i < 16; ++i) cards.push_back(f.AddMember(i % 2 == 0 ? grocer : gym));

  HubOptions o;
  o.db = f.db().options();
  o.log_file = "/dev/null";
  o.extra_args = {"--event_jobs_interval_seconds=0"};
  HubProcess hub(o);
  ASSERT_NO_FATAL_FAILURE(hub.Start());
  auto channel = grpc::CreateChannel(hub.target(), grpc::InsecureChannelCredentials());
  std::unique_ptr<Stub> stub = v1::EventService::NewStub(channel);

  // Postings go on beside the hub (the fixture's own ledger on the same database), so
  // they keep coming while the hub is down; the hub numbers them when it is back.
  std::atomic<bool> stop_writing{false};
  std::atomic<int64_t> posted{0};
  std::thread writer([&] {
    for (int i = 0; !stop_writing.load(); ++i) {
      const PartnerId p = i % 3 == 0 ? gym : grocer;
      if (f.Earn(p, cards[i % cards.size()], 100 + i % 50, absl::StrCat("w-", i)).ok()) ++posted;
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });

  Subscriber op{kHubAdminKey};
  Subscriber partner{grocer_key};
  std::atomic<bool> stop_reading{false};
  auto follow = [&](Subscriber* s, uint32_t seed) {
    std::mt19937 rng(seed);
    while (!stop_reading.load()) {
      grpc::Status st = s->Call(stub.get(), /*follow=*/true, 1 + rng() % 6);
      if (!st.ok() && st.error_code() != grpc::StatusCode::CANCELLED) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the hub is down
      }
    }
  };
  std::thread op_thread(follow, &op, 1);
  std::thread partner_thread(follow, &partner, 2);

  std::mt19937 rng(3);
  int kills = 0;
  const auto end = std::chrono::steady_clock::now() + run_for;
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800 + rng() % 1500));
    hub.Kill();
    ++kills;
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 300));
    ASSERT_NO_FATAL_FAILURE(hub.Restart());
  }
  stop_writing = true;
  writer.join();
  stop_reading = true;
  op_thread.join();
  partner_thread.join();

  // Everything committed gets numbered; then each subscriber reads to the end.
  ASSERT_TRUE(PollUntil([&] { return f.Query("SELECT COUNT(*) FROM events WHERE seq IS NULL") == 0; }));
  for (Subscriber* s : {&op, &partner}) {
    grpc::Status st;
    for (int attempt = 0; attempt < 40; ++attempt) {
      st = s->Call(stub.get(), /*follow=*/false, 0);
      if (st.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));  // reconnect backoff
    }
    ASSERT_TRUE(st.ok()) << Describe(st);
    EXPECT_EQ(s->failure, "");
  }
  std::printf("posted=%lld events=%lld kills=%d resumes op=%lld grocer=%lld\n",
              static_cast<long long>(posted.load()), static_cast<long long>(op.ids.size()),
              kills, static_cast<long long>(op.resumes), static_cast<long long>(partner.resumes));
  EXPECT_GT(posted.load(), 100);
  EXPECT_GE(kills, 4);
  EXPECT_GT(op.resumes, 20);
  // The operator: every event, each once, in cursor order.
  EXPECT_EQ(static_cast<int64_t>(op.ids.size()), f.Rows("events"));
  EXPECT_EQ(std::set<int64_t>(op.ids.begin(), op.ids.end()).size(), op.ids.size());
  EXPECT_TRUE(std::is_sorted(op.seqs.begin(), op.seqs.end()));
  EXPECT_EQ(op.seqs.back(), f.Query("SELECT MAX(seq) FROM events"));
  // The grocer: its own events only (no tiers here), each once.
  EXPECT_EQ(static_cast<int64_t>(partner.ids.size()),
            f.Query(absl::StrCat("SELECT COUNT(*) FROM events WHERE partner_id = ", grocer)));
  EXPECT_EQ(std::set<int64_t>(partner.ids.begin(), partner.ids.end()).size(),
            partner.ids.size());
  for (PartnerId p : partner.partners) ASSERT_EQ(p, grocer);
  hub.StopAndExpectCleanExit();
}

TEST(EventStream, BadRequestsAreRefusedByField) {
  LedgerFixture f;
  std::string grocer_key, gym_key;
  Register(f, "grocery", &grocer_key);
  const PartnerId gym = Register(f, "fitness", &gym_key);
  HubOptions o;
  o.db = f.db().options();
  HubProcess hub(o);
  ASSERT_NO_FATAL_FAILURE(hub.Start());
  std::unique_ptr<Stub> stub = v1::EventService::NewStub(
      grpc::CreateChannel(hub.target(), grpc::InsecureChannelCredentials()));
  auto call = [&](const std::string& key, const v1::SubscribeRequest& req) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kGrpcCallTimeout);
    if (!key.empty()) ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key));
    auto reader = stub->Subscribe(&ctx, req);
    v1::EventBatch batch;
    while (reader->Read(&batch)) {
    }
    return reader->Finish();
  };
  v1::SubscribeRequest req;
  grpc::Status s = call("", req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  req.add_types("points.earnt");
  s = call(grocer_key, req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_NE(s.error_message().find("types"), std::string::npos) << Describe(s);
  EXPECT_FALSE(s.error_details().empty());
  req.clear_types();
  req.set_partner_id(gym);
  s = call(grocer_key, req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_NE(s.error_message().find("partner_id"), std::string::npos) << Describe(s);
  req.set_partner_id(0);
  req.set_since_cursor(-1);
  s = call(grocer_key, req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  // A partner may name itself; without follow the stream ends once caught up.
  req.set_since_cursor(0);
  req.set_partner_id(gym);
  s = call(gym_key, req);
  EXPECT_TRUE(s.ok()) << Describe(s);
  hub.StopAndExpectCleanExit();
}

// Reads a hub's log file ("" when there is none yet).
std::string LogOf(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(EventStream, BackgroundJobsRunOnOneHubAndMoveWhenItDies) {
  LedgerFixture f;
  HubOptions o;
  o.db = f.db().options();
  o.log_file = ::testing::TempDir() + "/hub-a.log";
  HubProcess a(o);
  ASSERT_NO_FATAL_FAILURE(a.Start());
  ASSERT_TRUE(PollUntil([&] { return LogOf(o.log_file).find("event=lease_acquired") !=
                                     std::string::npos; }));
  HubOptions ob = o;
  ob.log_file = ::testing::TempDir() + "/hub-b.log";
  HubProcess b(ob);
  ASSERT_NO_FATAL_FAILURE(b.Start());
  // Several of B's rounds go by: A holds the lease, B waits.
  std::this_thread::sleep_for(std::chrono::seconds(5));
  EXPECT_EQ(LogOf(ob.log_file).find("event=lease_acquired"), std::string::npos);
  EXPECT_EQ(LogOf(ob.log_file).find("event=timed_events"), std::string::npos);
  a.Kill();
  // B takes over once A's lease lapses (10 s) and runs the jobs.
  ASSERT_TRUE(PollUntil([&] { return LogOf(ob.log_file).find("event=timed_events") !=
                                     std::string::npos; },
                        std::chrono::seconds(30)));
  EXPECT_NE(LogOf(ob.log_file).find("event=lease_acquired"), std::string::npos);
  b.StopAndExpectCleanExit();
  // A clean stop gives the lease up.
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM leases"), 0);
  std::remove(o.log_file.c_str());
  std::remove(ob.log_file.c_str());
}

TEST(EventStream, StreamsPerPartnerAreCapped) {
  LedgerFixture f;
  std::string grocer_key, gym_key;
  const PartnerId grocer = Register(f, "grocery", &grocer_key);
  Register(f, "fitness", &gym_key);
  f.AddMember(grocer);  // an event of the grocer's, so its streams get a first message
  HubOptions o;
  o.db = f.db().options();
  o.extra_args = {"--max_event_streams_per_partner=2"};
  HubProcess hub(o);
  ASSERT_NO_FATAL_FAILURE(hub.Start());
  std::unique_ptr<Stub> stub = v1::EventService::NewStub(
      grpc::CreateChannel(hub.target(), grpc::InsecureChannelCredentials()));
  struct Open {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<v1::EventBatch>> reader;
  };
  auto open = [&](const std::string& key) {
    auto s = std::make_unique<Open>();
    s->ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key));
    s->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::SubscribeRequest req;
    req.set_follow(true);
    s->reader = stub->Subscribe(&s->ctx, req);
    return s;
  };
  v1::EventBatch batch;
  std::unique_ptr<Open> first = open(grocer_key);
  ASSERT_TRUE(first->reader->Read(&batch));  // admitted
  std::unique_ptr<Open> second = open(grocer_key);
  ASSERT_TRUE(second->reader->Read(&batch));
  std::unique_ptr<Open> third = open(grocer_key);
  EXPECT_FALSE(third->reader->Read(&batch));
  grpc::Status s = third->reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << Describe(s);
  // Another partner has its own allowance.
  std::unique_ptr<Open> gym = open(gym_key);
  gym->ctx.TryCancel();
  EXPECT_NE(gym->reader->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Closing one frees its slot.
  first->ctx.TryCancel();
  first->reader->Finish();
  EXPECT_TRUE(PollUntil([&] {
    std::unique_ptr<Open> again = open(grocer_key);
    const bool admitted = again->reader->Read(&batch);
    again->ctx.TryCancel();
    again->reader->Finish();
    return admitted;
  }));
  second->ctx.TryCancel();
  second->reader->Finish();
  hub.StopAndExpectCleanExit();
}

TEST(EventStream, WebhooksAreManagedByTheirOwnerThroughTheHub) {
  LedgerFixture f;
  std::string grocer_key, gym_key;
  const PartnerId grocer = Register(f, "grocery", &grocer_key);
  Register(f, "fitness", &gym_key);
  HubOptions o;
  o.db = f.db().options();
  HubProcess hub(o);
  ASSERT_NO_FATAL_FAILURE(hub.Start());
  std::unique_ptr<Stub> stub = v1::EventService::NewStub(
      grpc::CreateChannel(hub.target(), grpc::InsecureChannelCredentials()));
  v1::CreateWebhookRequest create;
  create.set_url("http://partner.example/hook");
  v1::Webhook hook;
  grpc::Status s = Invoke(stub.get(), &Stub::CreateWebhook, grocer_key, create, &hook);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(s);
  EXPECT_NE(s.error_message().find("url"), std::string::npos) << Describe(s);
  create.set_url("https://partner.example/hook");
  s = Invoke(stub.get(), &Stub::CreateWebhook, grocer_key, create, &hook);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(hook.partner_id(), grocer);
  EXPECT_EQ(hook.secret().substr(0, 6), "whsec_");  // made by the hub, shown once
  v1::ListWebhooksResponse list;
  ASSERT_TRUE(Invoke(stub.get(), &Stub::ListWebhooks, grocer_key, v1::ListWebhooksRequest(), &list)
                  .ok());
  ASSERT_EQ(list.webhooks_size(), 1);
  EXPECT_EQ(list.webhooks(0).secret(), "");
  ASSERT_TRUE(Invoke(stub.get(), &Stub::ListWebhooks, gym_key, v1::ListWebhooksRequest(), &list)
                  .ok());
  EXPECT_EQ(list.webhooks_size(), 0);
  v1::DeleteWebhookRequest del;
  del.set_webhook_id(hook.webhook_id());
  v1::DeleteWebhookResponse deleted;
  s = Invoke(stub.get(), &Stub::DeleteWebhook, gym_key, del, &deleted);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  s = Invoke(stub.get(), &Stub::DeleteWebhook, grocer_key, del, &deleted);
  EXPECT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(f.Query("SELECT active FROM webhooks"), 0);
  EXPECT_EQ(f.Query("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'webhook.%'"), 2);
  hub.StopAndExpectCleanExit();
}

}  // namespace
}  // namespace loyalty::testing
