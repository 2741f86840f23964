// Per-participant rate limits. The token bucket alone on a FakeClock; then the real
// services on an in-process gRPC server (127.0.0.1, any free port, a fresh MariaDB
// database) whose limiter reads the same FakeClock, so every figure is exact: a burst
// over the limit gets RESOURCE_EXHAUSTED with google.rpc.RetryInfo and the
// retry-after-ms trailer, other partners are unaffected, the partner SDK surfaces the
// hint and its retry loop waits for it, and the bank's clearing stream is limited per
// record.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "hub/api/bank_service.h"
#include "hub/api/partner_service.h"
#include "hub/api/rate_limiter.h"
#include "hub/api/worker_pool.h"
#include "hub/auth/authenticator.h"
#include "loyalty/partner_client.h"
#include "loyalty/v1/bank.grpc.pb.h"
#include "loyalty/v1/partner.grpc.pb.h"
#include "tests/support/test_db.h"

namespace loyalty {
namespace {

using ::testing::HasSubstr;

constexpr Micros kT0 = 1'000'000'000'000;
constexpr auto kRpcTimeout = std::chrono::seconds(10);

// --- The bucket alone -------------------------------------------------------------

TEST(RateLimiterTest, BurstThenRetryDelayUntilTheNextToken) {
  FakeClock clock(kT0);
  RateLimiter limiter({RateLimit{10, 20}, {}}, &clock);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(limiter.Admit(7).ok()) << "request " << i;
  absl::Status denied = limiter.Admit(7);
  EXPECT_EQ(denied.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(denied.message(), HasSubstr("partner:7"));
  EXPECT_EQ(RetryDelayOf(denied), absl::Milliseconds(100));  // 10/s: one token per 100 ms

  clock.Advance(99'999);
  EXPECT_EQ(RetryDelayOf(limiter.Admit(7)), absl::Microseconds(1));
  clock.Advance(1);
  EXPECT_TRUE(limiter.Admit(7).ok());
  EXPECT_FALSE(limiter.Admit(7).ok());
}

TEST(RateLimiterTest, IdleTimeRefillsUpToTheBurstOnly) {
  FakeClock clock(kT0);
  RateLimiter limiter({RateLimit{10, 20}, {}}, &clock);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(limiter.Admit(1).ok());
  clock.Advance(int64_t{86400} * 365 * 1'000'000);  // a year idle: no overflow, 20 tokens
  int admitted = 0;
  while (limiter.Admit(1).ok()) ++admitted;
  EXPECT_EQ(admitted, 20);
}

TEST(RateLimiterTest, ParticipantsHaveTheirOwnBucketsAndOverrides) {
  FakeClock clock(kT0);
  RateLimiterOptions options{RateLimit{5, 5}, {}};
  options.overrides[3] = RateLimit{1, 1};
  options.overrides[kOperatorId] = RateLimit{0, 0};  // unlimited
  RateLimiter limiter(std::move(options), &clock);
  EXPECT_TRUE(limiter.Admit(3).ok());
  absl::Status denied = limiter.Admit(3);
  EXPECT_EQ(denied.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryDelayOf(denied), absl::Seconds(1));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Admit(4).ok()) << "partner 4, request " << i;
  EXPECT_FALSE(limiter.Admit(4).ok());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Admit(kOperatorId).ok());
}

TEST(RateLimiterTest, ClockGoingBackwardsAddsNothing) {
  FakeClock clock(kT0);
  RateLimiter limiter({RateLimit{1, 1}, {}}, &clock);
  EXPECT_TRUE(limiter.Admit(1).ok());
  clock.Set(kT0 - 10'000'000);
  EXPECT_FALSE(limiter.Admit(1).ok());
  clock.Set(kT0 + 1'000'000);
  EXPECT_TRUE(limiter.Admit(1).ok());
}

TEST(RateLimiterTest, ParsesOverridesAndNamesTheBadEntry) {
  auto parsed = ParseRateLimitOverrides("3:500/1000, 7:0/0,0:50/50");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 3u);
  EXPECT_EQ(parsed->at(3).per_second, 500);
  EXPECT_EQ(parsed->at(3).burst, 1000);
  EXPECT_EQ(parsed->at(7).per_second, 0);
  EXPECT_EQ(parsed->at(0).burst, 50);
  EXPECT_TRUE(ParseRateLimitOverrides("")->empty());
  for (const char* bad :
       {"3:500", "x:1/1", "3:10/5", "3:1/1,3:2/2", "-1:1/1", "3:2000000/3000000"}) {
    absl::StatusOr<absl::flat_hash_map<PartnerId, RateLimit>> r = ParseRateLimitOverrides(bad);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("--rate_limit_overrides")) << bad;
  }
  EXPECT_THAT(ParseRateLimitOverrides("1:1/1,3:10/5").status().message(), HasSubstr("'3:10/5'"));
}

TEST(RateLimiterTest, RetryInfoTravelsAsGrpcStatusDetails) {
  absl::Status s = ResourceExhaustedRetryAfter("slow down", absl::Microseconds(1'500'250));
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(GrpcErrorDetails(s)));
  EXPECT_EQ(details.code(), static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(details.message(), "slow down");
  ASSERT_EQ(details.details_size(), 2);  // ErrorInfo, then the RetryInfo
  google::rpc::ErrorInfo reason;
  ASSERT_TRUE(details.details(0).UnpackTo(&reason));
  EXPECT_EQ(reason.reason(), "RATE_LIMITED");
  google::rpc::RetryInfo info;
  ASSERT_TRUE(details.details(1).UnpackTo(&info));
  EXPECT_EQ(info.retry_delay().seconds(), 1);
  EXPECT_EQ(info.retry_delay().nanos(), 500'250'000);
  EXPECT_EQ(GrpcErrorDetails(absl::OkStatus()), "");
}

// --- Through the hub's services ---------------------------------------------------

// Partner A is limited to 10/s with a burst of 10; everyone else to 1000/1000.
class RateLimitServiceTest : public ::testing::Test {
 protected:
  static constexpr int64_t kLimitA = 10;

  void SetUp() override {
    partner_a_ = f_.AddPartner("grocery");
    partner_b_ = f_.AddPartner("fuel");
    bank_id_ = f_.AddPartner("bank", 100, Role::kIssuer);
    card_a_ = f_.AddMember(partner_a_);
    card_b_ = f_.AddMember(partner_b_);
    key_a_ = Key(partner_a_);
    key_b_ = Key(partner_b_);
    key_bank_ = Key(bank_id_);

    RateLimiterOptions limits{RateLimit{1000, 1000}, {}};
    limits.overrides[partner_a_] = RateLimit{kLimitA, kLimitA};
    limits.overrides[bank_id_] = RateLimit{kLimitA, kLimitA};
    limiter_ = std::make_unique<RateLimiter>(std::move(limits), &f_.clock());
    auth_ = std::make_unique<Authenticator>(f_.db().store());
    pool_ = std::make_unique<WorkerPool>(2, 64);
    bank_ledger_ = std::make_unique<BankLedger>(f_.db().store(), &f_.clock());
    const ServiceEnv env{&f_.ledger(),       auth_.get(), pool_.get(),
                         bank_ledger_.get(), "",          limiter_.get()};
    partner_service_ = std::make_unique<PartnerServiceImpl>(env);
    bank_service_ = std::make_unique<BankServiceImpl>(env);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(partner_service_.get());
    builder.RegisterService(bank_service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    target_ = absl::StrCat("127.0.0.1:", port);
    auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
    partner_ = v1::PartnerService::NewStub(channel);
    bank_ = v1::BankService::NewStub(channel);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::system_clock::now() + kRpcTimeout);
  }

  std::string Key(PartnerId id) {
    absl::StatusOr<std::string> key = f_.ledger().RotateApiKey("admin", id);
    EXPECT_TRUE(key.ok()) << key.status();
    return key.value_or("");
  }

  // GetBalance with `key`; the trailers land in `trailers` when given.
  grpc::Status Balance(const std::string& key, const std::string& card,
                       std::multimap<std::string, std::string>* trailers = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key));
    v1::GetBalanceRequest req;
    req.set_card_number(card);
    v1::Balance resp;
    grpc::Status s = partner_->GetBalance(&ctx, req, &resp);
    if (trailers != nullptr) {
      for (const auto& [k, v] : ctx.GetServerTrailingMetadata()) {
        trailers->emplace(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
      }
    }
    return s;
  }

  sdk::Options SdkOptions(const std::string& key) {
    sdk::Options o;
    o.target = target_;
    o.api_key = key;
    o.retry.initial_backoff = absl::Milliseconds(1);
    o.retry.max_backoff = absl::Milliseconds(1);
    return o;
  }

  testing::LedgerFixture f_;
  PartnerId partner_a_ = 0, partner_b_ = 0, bank_id_ = 0;
  std::string card_a_, card_b_, key_a_, key_b_, key_bank_, target_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<BankLedger> bank_ledger_;
  std::unique_ptr<PartnerServiceImpl> partner_service_;
  std::unique_ptr<BankServiceImpl> bank_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::PartnerService::Stub> partner_;
  std::unique_ptr<v1::BankService::Stub> bank_;
};

TEST_F(RateLimitServiceTest, BurstOverTheLimitGetsRetryInfoAndOthersAreUnaffected) {
  for (int i = 0; i < kLimitA; ++i) {
    grpc::Status s = Balance(key_a_, card_a_);
    ASSERT_TRUE(s.ok()) << "request " << i << ": " << s.error_message();
  }
  std::multimap<std::string, std::string> trailers;
  grpc::Status denied = Balance(key_a_, card_a_, &trailers);
  ASSERT_EQ(denied.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(denied.error_message(), HasSubstr(absl::StrCat("partner:", partner_a_)));
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(denied.error_details()));
  EXPECT_EQ(details.code(), static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  ASSERT_EQ(details.details_size(), 2);  // ErrorInfo RATE_LIMITED, RetryInfo
  google::rpc::ErrorInfo reason;
  ASSERT_TRUE(details.details(0).UnpackTo(&reason));
  EXPECT_EQ(reason.reason(), "RATE_LIMITED");
  google::rpc::RetryInfo info;
  ASSERT_TRUE(details.details(1).UnpackTo(&info));
  EXPECT_EQ(info.retry_delay().seconds(), 0);
  EXPECT_EQ(info.retry_delay().nanos(), 100'000'000);  // 10/s, the clock stands still
  ASSERT_EQ(trailers.count(kRetryAfterMsKey), 1u);
  EXPECT_EQ(trailers.find(kRetryAfterMsKey)->second, "100");

  // Partner B is not slowed by A's burst.
  for (int i = 0; i < 3 * kLimitA; ++i) {
    grpc::Status s = Balance(key_b_, card_b_);
    ASSERT_TRUE(s.ok()) << "partner B, request " << i << ": " << s.error_message();
  }
  // A gets exactly one more request once one token's time has passed.
  f_.clock().Advance(100'000);
  EXPECT_TRUE(Balance(key_a_, card_a_).ok());
  EXPECT_EQ(Balance(key_a_, card_a_).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(RateLimitServiceTest, TheSdkSurfacesTheHintAndItsRetriesWaitForIt) {
  for (int i = 0; i < kLimitA; ++i) ASSERT_TRUE(Balance(key_a_, card_a_).ok());

  sdk::Options once = SdkOptions(key_a_);
  once.retry.max_attempts = 1;
  auto conn = sdk::MakePartnerConnection(once);
  ASSERT_TRUE(conn.ok()) << conn.status();
  absl::StatusOr<sdk::Balance> denied = sdk::PartnerClient(*conn).GetBalance({card_a_});
  ASSERT_EQ(denied.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(sdk::RetryAfter(denied.status()), absl::Milliseconds(100));

  // With retries, the wait before the second attempt is the hub's 100 ms, not the 1 ms
  // backoff; the observer moves the hub's clock so that attempt finds a token.
  sdk::Options retrying = SdkOptions(key_a_);
  std::vector<absl::Duration> waits;
  retrying.on_retry = [&](const sdk::RetryEvent& e) {
    waits.push_back(e.backoff);
    f_.clock().Advance(absl::ToInt64Microseconds(*sdk::RetryAfter(e.status)));
  };
  auto conn2 = sdk::MakePartnerConnection(retrying);
  ASSERT_TRUE(conn2.ok()) << conn2.status();
  absl::StatusOr<sdk::Balance> balance = sdk::PartnerClient(*conn2).GetBalance({card_a_});
  ASSERT_TRUE(balance.ok()) << balance.status();
  ASSERT_EQ(waits.size(), 1u);
  EXPECT_EQ(waits[0], absl::Milliseconds(100));
}

TEST_F(RateLimitServiceTest, TheClearingStreamTakesOneTokenPerRecord) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key_bank_));
  auto stream = bank_->SubmitCardTransactions(&ctx);
  // Records with a bad card are answered REJECTED, but each still takes a token.
  int answered = 0;
  for (int i = 0; i <= kLimitA; ++i) {
    v1::ClearingRecord r;
    r.set_clearing_id(absl::StrCat("c-", i));
    r.mutable_card()->set_token("h:not-allowed");
    if (!stream->Write(r)) break;
    v1::ClearingResult result;
    if (!stream->Read(&result)) break;
    EXPECT_EQ(result.clearing_id(), absl::StrCat("c-", i));
    EXPECT_EQ(result.status(), v1::CLEARING_STATUS_REJECTED);
    ++answered;
  }
  stream->WritesDone();
  grpc::Status s = stream->Finish();
  EXPECT_EQ(answered, kLimitA);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  google::rpc::RetryInfo info;
  ASSERT_EQ(details.details_size(), 2);
  ASSERT_TRUE(details.details(1).UnpackTo(&info));
  EXPECT_EQ(info.retry_delay().nanos(), 100'000'000);
  auto trailers = ctx.GetServerTrailingMetadata();
  ASSERT_EQ(trailers.count(kRetryAfterMsKey), 1u);
  EXPECT_EQ(trailers.find(kRetryAfterMsKey)->second, "100");
}

}  // namespace
}  // namespace loyalty
