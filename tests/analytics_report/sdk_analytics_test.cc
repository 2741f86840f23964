// The SDK's AnalyticsClient without a hub: over the shipped mock (as a partner's own test
// would use it), and over the real connection against an in-process AnalyticsService on
// port 0 that fails once with UNAVAILABLE: every report is a read, so it is retried.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/analytics_client.h"
#include "loyalty/mocks/mock_analytics_connection.h"
#include "loyalty/v1/analytics.grpc.pb.h"
#include "tests/analytics_report/sample_reports.h"

namespace loyalty::sdk {
namespace {

using ::testing::Property;
using ::testing::Return;

// The reporting code a partner would test: one line about its best customers.
std::string BestCustomers(AnalyticsClient& analytics, int64_t partner_id) {
  v1::GetSegmentsRequest req;
  req.set_partner_id(partner_id);
  req.set_lookback_days(90);
  absl::StatusOr<v1::Segments> s = analytics.GetSegments(req);
  if (!s.ok()) return "no report: " + std::string(s.status().message());
  return absl::StrCat(s->members(), " members, top 20% bring ",
                      static_cast<int>(s->top20_spend_share() * 100), "% of spend");
}

TEST(SdkAnalyticsMockTest, ReportingCodeIsTestableWithoutAHub) {
  auto mock = std::make_shared<mocks::MockAnalyticsConnection>();
  EXPECT_CALL(*mock, GetSegments(AllOf(Property(&v1::GetSegmentsRequest::partner_id, 3),
                                       Property(&v1::GetSegmentsRequest::lookback_days, 90))))
      .WillOnce(Return(loyalty::testing::SampleSegments()))
      .WillOnce(Return(absl::PermissionDeniedError(
          "partner_id: a partner key may only ask about its own partner id")));
  AnalyticsClient analytics(mock);
  EXPECT_EQ(BestCustomers(analytics, 3), "250 members, top 20% bring 63% of spend");
  EXPECT_EQ(BestCustomers(analytics, 3),
            "no report: partner_id: a partner key may only ask about its own partner id");
}

TEST(SdkAnalyticsMockTest, EveryCallForwardsItsRequestAndAnswer) {
  auto mock = std::make_shared<mocks::MockAnalyticsConnection>();
  EXPECT_CALL(*mock, GetPromotionEffect(Property(&v1::GetPromotionEffectRequest::promotion_id, 7)))
      .WillOnce(Return(loyalty::testing::SamplePromotion()));
  EXPECT_CALL(*mock, GetJoiningEffect(Property(&v1::GetJoiningEffectRequest::weeks, 4)))
      .WillOnce(Return(loyalty::testing::SampleJoining()));
  EXPECT_CALL(*mock, GetFlows(Property(&v1::GetFlowsRequest::expiry_months, 12)))
      .WillOnce(Return(absl::NotFoundError("nothing")));
  AnalyticsClient analytics(mock);
  v1::GetPromotionEffectRequest promotion;
  promotion.set_promotion_id(7);
  EXPECT_EQ(analytics.GetPromotionEffect(promotion)->incremental_spend_minor(), 12'345);
  v1::GetJoiningEffectRequest joining;
  joining.set_weeks(4);
  EXPECT_EQ(analytics.GetJoiningEffect(joining)->cohorts_size(), 3);
  v1::GetFlowsRequest flows;
  flows.set_expiry_months(12);
  EXPECT_EQ(analytics.GetFlows(flows).status().code(), absl::StatusCode::kNotFound);
}

// An AnalyticsService that refuses each method's first call with UNAVAILABLE, then
// answers GetFlows with the sample (its period set from the request) and records the
// caller's key.
class FlakyAnalyticsService final : public v1::AnalyticsService::CallbackService {
 public:
  grpc::ServerUnaryReactor* GetFlows(grpc::CallbackServerContext* ctx,
                                     const v1::GetFlowsRequest* req, v1::Flows* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    auto key = ctx->client_metadata().find("authorization");
    if (key != ctx->client_metadata().end()) {
      authorization_ = std::string(key->second.data(), key->second.size());
    }
    if (calls_.fetch_add(1) == 0) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "warming up"));
      return reactor;
    }
    *resp = loyalty::testing::SampleFlows();
    resp->set_period_start(req->period_start());
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerUnaryReactor* GetSegments(grpc::CallbackServerContext* ctx,
                                        const v1::GetSegmentsRequest* req,
                                        v1::Segments* resp) override {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "partner_id: not yours"));
    return reactor;
  }

  int calls() const { return calls_.load(); }
  const std::string& authorization() const { return authorization_; }

 private:
  std::atomic<int> calls_{0};
  std::string authorization_;  // written by the one call at a time of these tests
};

class SdkAnalyticsConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override { server_->Shutdown(); }

  Options OptionsForTest() {
    Options o;
    o.target = absl::StrCat("127.0.0.1:", port_);
    o.api_key = "lk_partner_test";
    o.retry.max_attempts = 3;
    o.retry.initial_backoff = absl::Milliseconds(5);
    o.retry.max_backoff = absl::Milliseconds(10);
    o.on_retry = [this](const RetryEvent& e) { retries_.push_back(e.method); };
    return o;
  }

  FlakyAnalyticsService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::vector<std::string> retries_;
};

TEST_F(SdkAnalyticsConnectionTest, ReportsAreReadsAndRetried) {
  auto conn = MakeAnalyticsConnection(OptionsForTest());
  ASSERT_TRUE(conn.ok()) << conn.status();
  AnalyticsClient analytics(*conn);
  v1::GetFlowsRequest req;
  req.set_period_start(loyalty::testing::kMarch);
  absl::StatusOr<v1::Flows> flows = analytics.GetFlows(req);
  ASSERT_TRUE(flows.ok()) << flows.status();
  EXPECT_EQ(flows->period_start(), loyalty::testing::kMarch);
  EXPECT_EQ(flows->outstanding_points(), 9000);
  EXPECT_EQ(flows->cells_size(), 4);
  EXPECT_EQ(service_.calls(), 2);
  EXPECT_EQ(retries_, std::vector<std::string>{"GetFlows"});
  EXPECT_EQ(service_.authorization(), "Bearer lk_partner_test");
}

TEST_F(SdkAnalyticsConnectionTest, TheHubsRefusalComesBackUnchangedAndIsNotRetried) {
  auto conn = MakeAnalyticsConnection(OptionsForTest());
  ASSERT_TRUE(conn.ok()) << conn.status();
  AnalyticsClient analytics(*conn);
  absl::StatusOr<v1::Segments> s = analytics.GetSegments(v1::GetSegmentsRequest());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.status().message(), "partner_id: not yours");
  EXPECT_TRUE(retries_.empty());
}

TEST(SdkAnalyticsOptionsTest, BadOptionsAreRefusedNamingTheOption) {
  Options o;
  o.target = "";
  auto conn = MakeAnalyticsConnection(o);
  EXPECT_EQ(conn.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(conn.status().message()), ::testing::HasSubstr("target"));
}

}  // namespace
}  // namespace loyalty::sdk
