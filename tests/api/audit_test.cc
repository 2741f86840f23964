// The audit log through AdminService.ListAuditLog, in process: the real AdminServiceImpl
// on a real gRPC server over a fresh MariaDB database. Admin and finance actions leave
// entries with who, what, when and the state before and after; the log pages newest
// first with a cursor and filters by time, actor and action; only admins read it.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/api/admin_service.h"
#include "hub/api/worker_pool.h"
#include "hub/auth/authenticator.h"
#include "hub/common/clock.h"
#include "hub/common/secure_random.h"
#include "hub/ledger/bank_ledger.h"
#include "hub/ledger/ledger.h"
#include "loyalty/v1/admin.grpc.pb.h"
#include "settlement/run.h"
#include "tests/support/test_db.h"

namespace loyalty {
namespace {

using ::testing::HasSubstr;
using Stub = v1::AdminService::Stub;

constexpr char kAdminKey[] = "audit-test-admin-key-0123456789abcdefghijklmnop";
constexpr Micros kStart = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

// The actor the hub writes for an admin key: the role and 12 hex digits of its SHA-256.
std::string AdminActor(const std::string& key) {
  return absl::StrCat("admin:", Sha256Hex(key).substr(0, 12));
}

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ledger_.BootstrapAdminKey(kAdminKey).ok());
    const ServiceEnv env{&ledger_, &auth_, &pool_, &bank_, ""};
    service_ = std::make_unique<AdminServiceImpl>(env);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::AdminService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (Stub::*m)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp, const std::string& key = kAdminKey) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", key));
    clock_.Advance(1'000'000);  // each action one second after the last
    return (stub_.get()->*m)(&ctx, req, resp);
  }

  int64_t RegisterMerchant(const std::string& name, const std::string& category) {
    v1::RegisterPartnerRequest req;
    req.set_name(name);
    req.set_category(category);
    req.set_role(v1::ROLE_MERCHANT);
    req.set_earn_rate_bp(500);
    v1::RegisterPartnerResponse resp;
    const grpc::Status s = Call(&Stub::RegisterPartner, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.partner().partner_id();
  }

  v1::ListAuditLogResponse List(v1::ListAuditLogRequest req) {
    v1::ListAuditLogResponse resp;
    const grpc::Status s = Call(&Stub::ListAuditLog, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  v1::AuditEntry Newest(const std::string& action) {
    v1::ListAuditLogRequest req;
    req.set_action(action);
    req.set_page_size(1);
    v1::ListAuditLogResponse resp = List(req);
    EXPECT_EQ(resp.entries_size(), 1) << action;
    return resp.entries_size() > 0 ? resp.entries(0) : v1::AuditEntry();
  }

  testing::TestDb db_;
  FakeClock clock_{kStart};
  Ledger ledger_{db_.store(), &clock_};
  BankLedger bank_{db_.store(), &clock_};
  Authenticator auth_{db_.store()};
  WorkerPool pool_{2, 64};
  std::unique_ptr<AdminServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Stub> stub_;
};

TEST_F(AuditTest, SuspensionRecordsWhoWhatWhenBeforeAndAfter) {
  const int64_t id = RegisterMerchant("Grocer", "grocery");
  v1::SuspendPartnerRequest req;
  req.set_partner_id(id);
  req.set_reason("contract ended");
  v1::SuspendPartnerResponse resp;
  ASSERT_TRUE(Call(&Stub::SuspendPartner, req, &resp).ok());
  const Micros suspended_at = clock_.NowMicros();

  const v1::AuditEntry e = Newest("suspend_partner");
  EXPECT_EQ(e.actor(), AdminActor(kAdminKey));
  EXPECT_EQ(e.at_micros(), suspended_at);
  EXPECT_EQ(e.detail(), absl::StrCat("partner=", id, " reason=contract ended"));
  EXPECT_THAT(e.before_json(), HasSubstr(absl::StrCat("{\"id\":", id, ",\"name\":\"Grocer\"")));
  EXPECT_THAT(e.before_json(), HasSubstr("\"suspended\":false"));
  EXPECT_THAT(e.after_json(), HasSubstr("\"suspended\":true"));

  const v1::AuditEntry created = Newest("register_partner");
  EXPECT_EQ(created.before_json(), "");
  EXPECT_THAT(created.after_json(), HasSubstr("\"category\":\"grocery\""));
}

TEST_F(AuditTest, TwoAdminKeysAreToldApartWithoutRevealingEither) {
  v1::CreateOperatorKeyRequest create;
  create.set_role(v1::ROLE_ADMIN);
  v1::CreateOperatorKeyResponse created;
  ASSERT_TRUE(Call(&Stub::CreateOperatorKey, create, &created).ok());
  const std::string second_key = created.api_key();
  ASSERT_FALSE(second_key.empty());

  v1::IssueBearerCardsRequest issue;
  issue.set_count(1);
  v1::IssueBearerCardsResponse issued;
  ASSERT_TRUE(Call(&Stub::IssueBearerCards, issue, &issued, second_key).ok());

  const v1::AuditEntry by_second = Newest("issue_bearer_cards");
  EXPECT_EQ(by_second.actor(), AdminActor(second_key));
  EXPECT_NE(AdminActor(second_key), AdminActor(kAdminKey));
  EXPECT_EQ(Newest("create_operator_key").actor(), AdminActor(kAdminKey));

  v1::ListAuditLogRequest mine;
  mine.set_actor(AdminActor(second_key));
  const v1::ListAuditLogResponse page = List(mine);
  ASSERT_EQ(page.entries_size(), 1);
  EXPECT_EQ(page.entries(0).action(), "issue_bearer_cards");
  v1::ListAuditLogRequest everything;
  everything.set_page_size(500);
  const v1::ListAuditLogResponse all = List(everything);
  ASSERT_GE(all.entries_size(), 3);
  for (const v1::AuditEntry& e : all.entries()) {
    for (const std::string& key : {std::string(kAdminKey), second_key}) {
      EXPECT_THAT(e.actor() + e.detail() + e.before_json() + e.after_json(),
                  ::testing::Not(HasSubstr(key)))
          << e.action();
    }
  }
}

TEST_F(AuditTest, ProgramAndTiersKeepTheirPreviousState) {
  v1::SetProgramRequest program;
  program.mutable_program()->set_point_value_micros(10'000);
  program.mutable_program()->set_currency("EUR");
  program.mutable_program()->set_hold_timeout_seconds(600);
  v1::SetProgramResponse program_resp;
  ASSERT_TRUE(Call(&Stub::SetProgram, program, &program_resp).ok());
  EXPECT_EQ(Newest("set_program").before_json(), "");
  program.mutable_program()->set_hold_timeout_seconds(900);
  ASSERT_TRUE(Call(&Stub::SetProgram, program, &program_resp).ok());
  const v1::AuditEntry changed = Newest("set_program");
  EXPECT_THAT(changed.before_json(), HasSubstr("\"hold_timeout_seconds\":600"));
  EXPECT_THAT(changed.after_json(), HasSubstr("\"hold_timeout_seconds\":900"));

  v1::SetTiersRequest tiers;
  v1::Tier* gold = tiers.add_tiers();
  gold->set_name("gold");
  gold->set_threshold_minor(100'000);
  gold->set_multiplier_bp(15'000);
  v1::SetTiersResponse tiers_resp;
  ASSERT_TRUE(Call(&Stub::SetTiers, tiers, &tiers_resp).ok());
  const v1::AuditEntry t = Newest("set_tiers");
  EXPECT_EQ(t.before_json(), "{\"tiers\":[]}");
  EXPECT_EQ(t.after_json(),
            "{\"tiers\":[{\"name\":\"gold\",\"threshold_minor\":100000,\"multiplier_bp\":15000}]}");
}

TEST_F(AuditTest, FinanceActionsAreAuditedWithTheirActor) {
  const int64_t id = RegisterMerchant("Fuel", "fuel");
  settlement::PartnerTerms terms{8000, 9500, 500};
  ASSERT_TRUE(settlement::SaveTerms(db_.store(), clock_, id, terms, "finance-cli:alice").ok());
  terms.issue_price_micros = 8100;
  ASSERT_TRUE(settlement::SaveTerms(db_.store(), clock_, id, terms, "finance-cli:alice").ok());
  ASSERT_TRUE(settlement::SaveConfig(db_.store(), clock_, settlement::Model::kOperator,
                                     settlement::PeriodUnit::kMonth, "UTC", "finance-cli:bob")
                  .ok());

  v1::ListAuditLogRequest by_alice;
  by_alice.set_actor("finance-cli:alice");
  v1::ListAuditLogResponse alice = List(by_alice);
  ASSERT_EQ(alice.entries_size(), 2);
  EXPECT_EQ(alice.entries(0).action(), "set_settlement_terms");
  EXPECT_THAT(alice.entries(0).before_json(), HasSubstr("\"issue_price_micros\":8000"));
  EXPECT_THAT(alice.entries(0).after_json(), HasSubstr("\"issue_price_micros\":8100"));
  EXPECT_EQ(alice.entries(1).before_json(), "");
  EXPECT_EQ(Newest("set_settlement_config").actor(), "finance-cli:bob");
}

TEST_F(AuditTest, PagesNewestFirstAndFiltersByTime) {
  const Micros first = clock_.NowMicros() + 1'000'000;
  for (int i = 0; i < 5; ++i) RegisterMerchant(absl::StrCat("P", i), absl::StrCat("cat", i));
  v1::ListAuditLogRequest req;
  req.set_action("register_partner");
  req.set_page_size(2);
  std::vector<std::string> names;
  for (int page = 0; page < 4; ++page) {
    v1::ListAuditLogResponse resp = List(req);
    for (const v1::AuditEntry& e : resp.entries()) names.push_back(e.detail());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  ASSERT_EQ(names.size(), 5u);
  EXPECT_THAT(names[0], HasSubstr("name=P4"));
  EXPECT_THAT(names[4], HasSubstr("name=P0"));

  v1::ListAuditLogRequest window;
  window.set_from_micros(first + 1'000'000);  // P1's registration
  window.set_to_micros(first + 3'000'000);    // before P3's
  v1::ListAuditLogResponse in_window = List(window);
  ASSERT_EQ(in_window.entries_size(), 2);
  EXPECT_THAT(in_window.entries(0).detail(), HasSubstr("name=P2"));
  EXPECT_THAT(in_window.entries(1).detail(), HasSubstr("name=P1"));
}

TEST_F(AuditTest, OnlyAdminsReadTheLogAndBadQueriesNameTheField) {
  v1::CreateOperatorKeyRequest finance;
  finance.set_role(v1::ROLE_FINANCE);
  v1::CreateOperatorKeyResponse key;
  ASSERT_TRUE(Call(&Stub::CreateOperatorKey, finance, &key).ok());
  v1::ListAuditLogResponse resp;
  EXPECT_EQ(Call(&Stub::ListAuditLog, v1::ListAuditLogRequest(), &resp, key.api_key()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::ListAuditLogRequest bad;
  bad.set_page_size(-1);  // above 500 is coerced to 500; negative is refused
  grpc::Status s = Call(&Stub::ListAuditLog, bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("page_size"));
  bad.set_page_size(0);
  bad.set_page_token("not-a-number");
  s = Call(&Stub::ListAuditLog, bad, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("page_token"));
}

}  // namespace
}  // namespace loyalty
