// Authentication and authorization of the hub's gRPC API, in process: the real
// AdminServiceImpl and PartnerServiceImpl on a real gRPC server (127.0.0.1, any free
// port) over a fresh MariaDB database, called through the generated client stubs.
//
// The core is a table with one row per RPC of both services: how to call it with a key
// and which roles may. The matrix test runs every row for every caller (admin, finance,
// merchant, issuer, no key, an unknown key); another test checks the table lists every
// method of the services' descriptors exactly once.
#include <google/protobuf/descriptor.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hub/api/admin_service.h"
#include "hub/api/bank_service.h"
#include "hub/api/partner_service.h"
#include "hub/api/worker_pool.h"
#include "hub/auth/authenticator.h"
#include "hub/common/clock.h"
#include "hub/ledger/ledger.h"
#include "loyalty/v1/admin.grpc.pb.h"
#include "loyalty/v1/bank.grpc.pb.h"
#include "loyalty/v1/partner.grpc.pb.h"
#include "tests/support/grpc_call.h"
#include "tests/support/test_db.h"

namespace loyalty {
namespace {

using testing::Describe;
using testing::Invoke;

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAdminKey[] = "auth-test-admin-key-0123456789abcdefghijklmnop";
// Shaped like a real partner key, but never issued.
constexpr char kBogusKey[] = "lk_partner_this_key_was_never_issued_0123456789abcdef";
constexpr auto kRpcTimeout = std::chrono::seconds(10);
constexpr char kAdminService[] = "loyalty.v1.AdminService";
constexpr char kPartnerService[] = "loyalty.v1.PartnerService";
constexpr char kBankService[] = "loyalty.v1.BankService";

enum class Caller { kAdmin, kFinance, kMerchant, kIssuer, kNoKey, kBogusKey };

const std::vector<Caller>& AllCallers() {
  static const std::vector<Caller> all = {Caller::kAdmin,  Caller::kFinance, Caller::kMerchant,
                                          Caller::kIssuer, Caller::kNoKey,   Caller::kBogusKey};
  return all;
}

const char* CallerName(Caller c) {
  switch (c) {
    case Caller::kAdmin:
      return "admin";
    case Caller::kFinance:
      return "finance";
    case Caller::kMerchant:
      return "merchant";
    case Caller::kIssuer:
      return "issuer";
    case Caller::kNoKey:
      return "no key";
    case Caller::kBogusKey:
      return "bogus key";
  }
  return "?";
}

// One row of the auth matrix.
struct RpcCase {
  std::string service;  // full name, e.g. loyalty.v1.AdminService
  std::string method;   // e.g. RegisterPartner
  std::function<grpc::Status(const std::string& key)> call;
  std::set<Caller> allowed;
  // The request is valid and read-only: an allowed caller must get OK.
  bool ok_when_allowed = false;
};

template <typename Stub, typename Req, typename Resp>
RpcCase MakeCase(const char* service, const char* method, Stub* stub,
                 grpc::Status (Stub::*m)(grpc::ClientContext*, const Req&, Resp*), Req req,
                 std::set<Caller> allowed, bool ok_when_allowed = false) {
  RpcCase c;
  c.service = service;
  c.method = method;
  c.call = [stub, m, req](const std::string& key) {
    Resp resp;
    return Invoke(stub, m, key, req, &resp);
  };
  c.allowed = std::move(allowed);
  c.ok_when_allowed = ok_when_allowed;
  return c;
}

class AuthTest : public ::testing::Test {
 protected:
  using AdminStub = v1::AdminService::Stub;
  using PartnerStub = v1::PartnerService::Stub;
  using BankStub = v1::BankService::Stub;

  void SetUp() override {
    ledger_ = std::make_unique<Ledger>(db_.store(), &clock_);
    ASSERT_TRUE(ledger_->BootstrapAdminKey(kAdminKey).ok());
    auth_ = std::make_unique<Authenticator>(db_.store());
    pool_ = std::make_unique<WorkerPool>(4, 256);
    bank_ledger_ = std::make_unique<BankLedger>(db_.store(), &clock_);
    const ServiceEnv env{ledger_.get(), auth_.get(), pool_.get(), bank_ledger_.get(), ""};
    admin_service_ = std::make_unique<AdminServiceImpl>(env);
    partner_service_ = std::make_unique<PartnerServiceImpl>(env);
    bank_service_ = std::make_unique<BankServiceImpl>(env);

    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(admin_service_.get());
    builder.RegisterService(partner_service_.get());
    builder.RegisterService(bank_service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    admin_ = v1::AdminService::NewStub(channel);
    partner_ = v1::PartnerService::NewStub(channel);
    bank_ = v1::BankService::NewStub(channel);

    keys_[Caller::kAdmin] = kAdminKey;
    keys_[Caller::kNoKey] = "";
    keys_[Caller::kBogusKey] = kBogusKey;

    // The program: EUR, 1 point = 0.01 EUR, 12 months expiry, 600 s holds.
    v1::SetProgramRequest program;
    program.mutable_program()->set_point_value_micros(10'000);
    program.mutable_program()->set_currency("EUR");
    program.mutable_program()->set_expiry_months(12);
    program.mutable_program()->set_hold_timeout_seconds(600);
    v1::SetProgramResponse program_resp;
    grpc::Status s =
        Invoke(admin_.get(), &AdminStub::SetProgram, kAdminKey, program, &program_resp);
    ASSERT_TRUE(s.ok()) << Describe(s);

    v1::CreateOperatorKeyRequest finance;
    finance.set_role(v1::ROLE_FINANCE);
    v1::CreateOperatorKeyResponse finance_resp;
    s = Invoke(admin_.get(), &AdminStub::CreateOperatorKey, kAdminKey, finance, &finance_resp);
    ASSERT_TRUE(s.ok()) << Describe(s);
    ASSERT_FALSE(finance_resp.api_key().empty());
    keys_[Caller::kFinance] = finance_resp.api_key();

    v1::RegisterPartnerResponse merchant =
        RegisterOk("Grocer A", "grocery", v1::ROLE_MERCHANT, 500);
    ASSERT_FALSE(merchant.api_key().empty());
    merchant_id_ = merchant.partner().partner_id();
    keys_[Caller::kMerchant] = merchant.api_key();

    v1::RegisterPartnerResponse issuer = RegisterOk("Bank B", "bank", v1::ROLE_ISSUER, 100);
    ASSERT_FALSE(issuer.api_key().empty());
    issuer_id_ = issuer.partner().partner_id();
    keys_[Caller::kIssuer] = issuer.api_key();

    BuildTable();
  }

  void TearDown() override {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    }
  }

  grpc::Status Register(const std::string& name, const std::string& category, v1::Role role,
                        int64_t earn_rate_bp, v1::RegisterPartnerResponse* resp,
                        const std::string& key = kAdminKey) {
    v1::RegisterPartnerRequest req;
    req.set_name(name);
    req.set_category(category);
    req.set_role(role);
    req.set_earn_rate_bp(earn_rate_bp);
    return Invoke(admin_.get(), &AdminStub::RegisterPartner, key, req, resp);
  }

  v1::RegisterPartnerResponse RegisterOk(const std::string& name, const std::string& category,
                                         v1::Role role, int64_t earn_rate_bp) {
    v1::RegisterPartnerResponse resp;
    grpc::Status s = Register(name, category, role, earn_rate_bp, &resp);
    EXPECT_TRUE(s.ok()) << "RegisterPartner " << category << ": " << Describe(s);
    return resp;
  }

  grpc::Status Suspend(int64_t partner_id, v1::SuspendPartnerResponse* resp = nullptr) {
    v1::SuspendPartnerRequest req;
    req.set_partner_id(partner_id);
    req.set_reason("contract ended");
    v1::SuspendPartnerResponse local;
    return Invoke(admin_.get(), &AdminStub::SuspendPartner, std::string(kAdminKey), req,
                  resp != nullptr ? resp : &local);
  }

  std::vector<v1::Partner> ListPartners() {
    v1::ListPartnersResponse resp;
    grpc::Status s = Invoke(admin_.get(), &AdminStub::ListPartners, std::string(kAdminKey),
                            v1::ListPartnersRequest(), &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return {resp.partners().begin(), resp.partners().end()};
  }

  // Enrolls a member through the partner holding `key`; returns its card number.
  std::string Enroll(const std::string& key, const std::string& txn_id) {
    v1::EnrollMemberRequest req;
    req.set_partner_txn_id(txn_id);
    v1::EnrollMemberResponse resp;
    grpc::Status s = Invoke(partner_.get(), &PartnerStub::EnrollMember, key, req, &resp);
    EXPECT_TRUE(s.ok()) << "EnrollMember: " << Describe(s);
    return resp.card_number();
  }

  grpc::Status Earn(const std::string& key, const std::string& txn_id, const std::string& card,
                    int64_t amount_cents, v1::EarnResponse* resp) {
    v1::EarnRequest req;
    req.set_partner_txn_id(txn_id);
    req.set_card_number(card);
    req.mutable_amount()->set_amount_minor(amount_cents);
    req.mutable_amount()->set_currency("EUR");
    return Invoke(partner_.get(), &PartnerStub::Earn, key, req, resp);
  }

  grpc::Status Redeem(const std::string& key, const std::string& txn_id, const std::string& card,
                      int64_t points, v1::RedeemResponse* resp) {
    v1::RedeemRequest req;
    req.set_partner_txn_id(txn_id);
    req.set_card_number(card);
    req.set_points(points);
    return Invoke(partner_.get(), &PartnerStub::Redeem, key, req, resp);
  }

  grpc::Status Authorize(const std::string& key, const std::string& txn_id, const std::string& card,
                         int64_t points, v1::AuthorizeRedemptionResponse* resp) {
    v1::AuthorizeRedemptionRequest req;
    req.set_partner_txn_id(txn_id);
    req.set_card_number(card);
    req.set_points(points);
    return Invoke(partner_.get(), &PartnerStub::AuthorizeRedemption, key, req, resp);
  }

  grpc::Status Capture(const std::string& key, const std::string& txn_id,
                       const std::string& auth_txn_id, v1::CaptureRedemptionResponse* resp) {
    v1::CaptureRedemptionRequest req;
    req.set_partner_txn_id(txn_id);
    req.set_authorization_partner_txn_id(auth_txn_id);
    return Invoke(partner_.get(), &PartnerStub::CaptureRedemption, key, req, resp);
  }

  grpc::Status Void(const std::string& key, const std::string& txn_id,
                    const std::string& auth_txn_id) {
    v1::VoidRedemptionRequest req;
    req.set_partner_txn_id(txn_id);
    req.set_authorization_partner_txn_id(auth_txn_id);
    v1::VoidRedemptionResponse resp;
    return Invoke(partner_.get(), &PartnerStub::VoidRedemption, key, req, &resp);
  }

  grpc::Status Reverse(const std::string& key, const std::string& txn_id,
                       const std::string& original, v1::ReverseResponse* resp) {
    v1::ReverseRequest req;
    req.set_partner_txn_id(txn_id);
    req.set_original_partner_txn_id(original);
    return Invoke(partner_.get(), &PartnerStub::Reverse, key, req, resp);
  }

  grpc::Status GetBalance(const std::string& key, const std::string& card, v1::Balance* resp) {
    v1::GetBalanceRequest req;
    req.set_card_number(card);
    return Invoke(partner_.get(), &PartnerStub::GetBalance, key, req, resp);
  }

  grpc::Status ListTxns(const std::string& key, const v1::ListTransactionsRequest& req,
                        v1::ListTransactionsResponse* resp) {
    return Invoke(partner_.get(), &PartnerStub::ListTransactions, key, req, resp);
  }

  // All of the caller's transactions (page_size 500 is far above what a test writes).
  std::vector<v1::Transaction> AllTxns(const std::string& key) {
    v1::ListTransactionsRequest req;
    req.set_page_size(500);
    v1::ListTransactionsResponse resp;
    grpc::Status s = ListTxns(key, req, &resp);
    EXPECT_TRUE(s.ok()) << Describe(s);
    EXPECT_TRUE(resp.next_page_token().empty());
    return {resp.transactions().begin(), resp.transactions().end()};
  }

  // The auth matrix: one row per RPC, requests empty (an allowed caller may get
  // INVALID_ARGUMENT and the like, never an auth error).
  void BuildTable() {
    AdminStub* a = admin_.get();
    PartnerStub* p = partner_.get();
    BankStub* b = bank_.get();
    const std::set<Caller> issuer_only = {Caller::kIssuer};
    const std::set<Caller> admin_only = {Caller::kAdmin};
    const std::set<Caller> partners = {Caller::kMerchant, Caller::kIssuer};
    table_ = {
        MakeCase(kAdminService, "RegisterPartner", a, &AdminStub::RegisterPartner,
                 v1::RegisterPartnerRequest(), admin_only),
        MakeCase(kAdminService, "ListPartners", a, &AdminStub::ListPartners,
                 v1::ListPartnersRequest(), {Caller::kAdmin, Caller::kFinance},
                 /*ok_when_allowed=*/true),
        MakeCase(kAdminService, "SuspendPartner", a, &AdminStub::SuspendPartner,
                 v1::SuspendPartnerRequest(), admin_only),
        MakeCase(kAdminService, "RotateApiKey", a, &AdminStub::RotateApiKey,
                 v1::RotateApiKeyRequest(), admin_only),
        MakeCase(kAdminService, "SetProgram", a, &AdminStub::SetProgram, v1::SetProgramRequest(),
                 admin_only),
        MakeCase(kAdminService, "GetProgram", a, &AdminStub::GetProgram, v1::GetProgramRequest(),
                 admin_only, /*ok_when_allowed=*/true),
        MakeCase(kAdminService, "IssueBearerCards", a, &AdminStub::IssueBearerCards,
                 v1::IssueBearerCardsRequest(), admin_only),
        MakeCase(kAdminService, "IssueMemberToken", a, &AdminStub::IssueMemberToken,
                 v1::IssueMemberTokenRequest(), admin_only),
        MakeCase(kAdminService, "AdjustPoints", a, &AdminStub::AdjustPoints,
                 v1::AdjustPointsRequest(), admin_only),
        MakeCase(kAdminService, "RunExpiry", a, &AdminStub::RunExpiry, v1::RunExpiryRequest(),
                 admin_only, /*ok_when_allowed=*/true),
        MakeCase(kAdminService, "CreateOperatorKey", a, &AdminStub::CreateOperatorKey,
                 v1::CreateOperatorKeyRequest(), admin_only),
        MakeCase(kAdminService, "SetBankEarnRules", a, &AdminStub::SetBankEarnRules,
                 v1::SetBankEarnRulesRequest(), admin_only),
        MakeCase(kAdminService, "GetBankEarnRules", a, &AdminStub::GetBankEarnRules,
                 v1::GetBankEarnRulesRequest(), admin_only),
        MakeCase(kAdminService, "SetTiers", a, &AdminStub::SetTiers, v1::SetTiersRequest(),
                 admin_only, /*ok_when_allowed=*/true),
        MakeCase(kAdminService, "ListTiers", a, &AdminStub::ListTiers, v1::ListTiersRequest(),
                 admin_only, /*ok_when_allowed=*/true),
        MakeCase(kAdminService, "RunTierReview", a, &AdminStub::RunTierReview,
                 v1::RunTierReviewRequest(), admin_only, /*ok_when_allowed=*/true),
        MakeCase(kAdminService, "CreatePromotion", a, &AdminStub::CreatePromotion,
                 v1::CreatePromotionRequest(), admin_only),
        MakeCase(kAdminService, "ListPromotions", a, &AdminStub::ListPromotions,
                 v1::ListPromotionsRequest(), admin_only, /*ok_when_allowed=*/true),
        MakeCase(kAdminService, "EndPromotion", a, &AdminStub::EndPromotion,
                 v1::EndPromotionRequest(), admin_only),
        MakeCase(kAdminService, "ListExpiringPoints", a, &AdminStub::ListExpiringPoints,
                 v1::ListExpiringPointsRequest(), admin_only),
        MakeCase(kAdminService, "UnlockMemberPin", a, &AdminStub::UnlockMemberPin,
                 v1::UnlockMemberPinRequest(), admin_only),
        MakeCase(kAdminService, "ListAuditLog", a, &AdminStub::ListAuditLog,
                 v1::ListAuditLogRequest(), admin_only, /*ok_when_allowed=*/true),

        MakeCase(kPartnerService, "EnrollMember", p, &PartnerStub::EnrollMember,
                 v1::EnrollMemberRequest(), partners),
        MakeCase(kPartnerService, "LinkCard", p, &PartnerStub::LinkCard, v1::LinkCardRequest(),
                 partners),
        MakeCase(kPartnerService, "RegisterBearerCard", p, &PartnerStub::RegisterBearerCard,
                 v1::RegisterBearerCardRequest(), partners),
        MakeCase(kPartnerService, "GetBalance", p, &PartnerStub::GetBalance,
                 v1::GetBalanceRequest(), partners),
        MakeCase(kPartnerService, "QuoteEarn", p, &PartnerStub::QuoteEarn, v1::QuoteEarnRequest(),
                 partners),
        MakeCase(kPartnerService, "Earn", p, &PartnerStub::Earn, v1::EarnRequest(), partners),
        MakeCase(kPartnerService, "Redeem", p, &PartnerStub::Redeem, v1::RedeemRequest(), partners),
        MakeCase(kPartnerService, "AuthorizeRedemption", p, &PartnerStub::AuthorizeRedemption,
                 v1::AuthorizeRedemptionRequest(), partners),
        MakeCase(kPartnerService, "CaptureRedemption", p, &PartnerStub::CaptureRedemption,
                 v1::CaptureRedemptionRequest(), partners),
        MakeCase(kPartnerService, "VoidRedemption", p, &PartnerStub::VoidRedemption,
                 v1::VoidRedemptionRequest(), partners),
        MakeCase(kPartnerService, "Reverse", p, &PartnerStub::Reverse, v1::ReverseRequest(),
                 partners),
        MakeCase(kPartnerService, "ListTransactions", p, &PartnerStub::ListTransactions,
                 v1::ListTransactionsRequest(), partners, /*ok_when_allowed=*/true),
        MakeCase(kPartnerService, "RegisterMerchantId", p, &PartnerStub::RegisterMerchantId,
                 v1::RegisterMerchantIdRequest(), partners),
        MakeCase(kPartnerService, "SetMemberPin", p, &PartnerStub::SetMemberPin,
                 v1::SetMemberPinRequest(), partners),
        MakeCase(kPartnerService, "GetProgramRules", p, &PartnerStub::GetProgramRules,
                 v1::GetProgramRulesRequest(), partners, /*ok_when_allowed=*/true),

        MakeCase(kBankService, "LinkCoBrandedCard", b, &BankStub::LinkCoBrandedCard,
                 v1::LinkCoBrandedCardRequest(), issuer_only),
        MakeCase(kBankService, "UnlinkCoBrandedCard", b, &BankStub::UnlinkCoBrandedCard,
                 v1::UnlinkCoBrandedCardRequest(), issuer_only),
        MakeCase(kBankService, "ListCoBrandedCards", b, &BankStub::ListCoBrandedCards,
                 v1::ListCoBrandedCardsRequest(), issuer_only),
        MakeCase(kBankService, "GetCardStatement", b, &BankStub::GetCardStatement,
                 v1::GetCardStatementRequest(), issuer_only),
    };
  }

  testing::TestDb db_;
  FakeClock clock_{testing::LedgerFixture::kStart};
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  std::unique_ptr<PartnerServiceImpl> partner_service_;
  std::unique_ptr<BankLedger> bank_ledger_;
  std::unique_ptr<BankServiceImpl> bank_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<AdminStub> admin_;
  std::unique_ptr<PartnerStub> partner_;
  std::unique_ptr<BankStub> bank_;

  std::map<Caller, std::string> keys_;
  int64_t merchant_id_ = 0;
  int64_t issuer_id_ = 0;
  std::vector<RpcCase> table_;
};

TEST_F(AuthTest, TableListsEveryMethodOfBothServicesExactlyOnce) {
  std::set<std::string> expected;
  for (const char* name :
       {v1::AdminService::service_full_name(), v1::PartnerService::service_full_name(),
        v1::BankService::service_full_name()}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    ASSERT_GT(service->method_count(), 0) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      // The clearing stream's authorization is tested in tests/bank/bank_stream_test.cc.
      if (service->method(i)->client_streaming()) continue;
      expected.insert(absl::StrCat(name, "/", service->method(i)->name()));
    }
  }
  std::map<std::string, int> listed;
  for (const RpcCase& c : table_) {
    ++listed[absl::StrCat(c.service, "/", c.method)];
    // Every row has a role that is denied, so the matrix's check that the denial names
    // the method proves the row's callable really calls that method.
    bool some_role_denied = false;
    for (Caller role : {Caller::kAdmin, Caller::kFinance, Caller::kMerchant, Caller::kIssuer}) {
      if (c.allowed.count(role) == 0) some_role_denied = true;
    }
    EXPECT_TRUE(some_role_denied) << c.method;
    EXPECT_FALSE(c.allowed.empty()) << c.method;
  }
  std::set<std::string> listed_names;
  for (const auto& [name, count] : listed) {
    EXPECT_EQ(count, 1) << name << " is listed " << count << " times";
    listed_names.insert(name);
  }
  EXPECT_EQ(listed_names, expected);
  EXPECT_EQ(table_.size(), expected.size());
}

TEST_F(AuthTest, EveryRpcForEveryCaller) {
  for (const RpcCase& c : table_) {
    for (Caller caller : AllCallers()) {
      SCOPED_TRACE(absl::StrCat(c.service, "/", c.method, " as ", CallerName(caller)));
      const grpc::Status s = c.call(keys_.at(caller));
      if (caller == Caller::kNoKey || caller == Caller::kBogusKey) {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
      } else if (c.allowed.count(caller) == 0) {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
        // The denial names the method the row claims to call.
        EXPECT_THAT(s.error_message(), HasSubstr(c.method));
      } else {
        EXPECT_NE(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
        EXPECT_NE(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
        if (c.ok_when_allowed) {
          EXPECT_TRUE(s.ok()) << Describe(s);
        }
      }
    }
  }
}

TEST_F(AuthTest, MalformedAuthorizationHeadersAreUnauthenticated) {
  for (const std::string& header :
       {std::string("Basic ") + kAdminKey, std::string(kAdminKey), std::string("Bearer "),
        std::string("bearer ") + kAdminKey, std::string("Bearer ") + std::string(300, 'k')}) {
    SCOPED_TRACE(header.substr(0, 40));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + kRpcTimeout);
    ctx.AddMetadata("authorization", header);
    v1::Program resp;
    const grpc::Status s = admin_->GetProgram(&ctx, v1::GetProgramRequest(), &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  }
}

// A denied caller's request is refused before it does anything, even when the request
// itself is valid.
TEST_F(AuthTest, DeniedCallsHaveNoEffect) {
  const size_t partners_before = ListPartners().size();
  v1::RegisterPartnerResponse reg;
  for (Caller c : {Caller::kFinance, Caller::kMerchant, Caller::kIssuer}) {
    SCOPED_TRACE(CallerName(c));
    grpc::Status s = Register("Cinema", "cinema", v1::ROLE_MERCHANT, 300, &reg, keys_.at(c));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  }
  EXPECT_EQ(ListPartners().size(), partners_before);

  const std::string card = Enroll(keys_.at(Caller::kMerchant), "m-enroll-1");
  ASSERT_FALSE(card.empty());
  v1::AdjustPointsRequest adjust;
  adjust.set_card_number(card);
  adjust.set_points(1000);
  adjust.set_reason("goodwill");
  adjust.set_adjustment_id("adj-1");
  for (Caller c : {Caller::kFinance, Caller::kMerchant, Caller::kIssuer}) {
    SCOPED_TRACE(CallerName(c));
    v1::AdjustPointsResponse resp;
    grpc::Status s = Invoke(admin_.get(), &AdminStub::AdjustPoints, keys_.at(c), adjust, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  }
  // An operator key is no partner: it cannot earn for a member.
  for (Caller c : {Caller::kAdmin, Caller::kFinance}) {
    SCOPED_TRACE(CallerName(c));
    v1::EarnResponse earn;
    grpc::Status s = Earn(keys_.at(c), "op-earn-1", card, 10'000, &earn);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  }
  v1::Balance balance;
  grpc::Status s = GetBalance(keys_.at(Caller::kMerchant), card, &balance);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(balance.balance(), 0);

  // Nothing was written under those ids: the admin's own adjustment with the same id is
  // new, and the category is still free.
  v1::AdjustPointsResponse adjusted;
  s = Invoke(admin_.get(), &AdminStub::AdjustPoints, keys_.at(Caller::kAdmin), adjust, &adjusted);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_FALSE(adjusted.result().replayed());
  EXPECT_EQ(adjusted.result().balance_after(), 1000);
  s = Register("Cinema", "cinema", v1::ROLE_MERCHANT, 300, &reg);
  EXPECT_TRUE(s.ok()) << Describe(s);

  // Finance may list partners and sees the same as the admin.
  v1::ListPartnersResponse listed;
  s = Invoke(admin_.get(), &AdminStub::ListPartners, keys_.at(Caller::kFinance),
             v1::ListPartnersRequest(), &listed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(static_cast<size_t>(listed.partners_size()), partners_before + 1);
}

TEST_F(AuthTest, PartnersSeeOnlyTheirOwnTransactions) {
  const std::string key_a = keys_.at(Caller::kMerchant);
  v1::RegisterPartnerResponse b = RegisterOk("Fuel B", "fuel", v1::ROLE_MERCHANT, 200);
  const std::string key_b = b.api_key();
  const int64_t b_id = b.partner().partner_id();
  ASSERT_FALSE(key_b.empty());
  ASSERT_NE(b_id, merchant_id_);

  // A: a member, an earn, a redemption and an open authorization.
  const std::string card = Enroll(key_a, "a-enroll-1");
  ASSERT_FALSE(card.empty());
  v1::EarnResponse a_earn;
  grpc::Status s = Earn(key_a, "a-earn-1", card, 10'000, &a_earn);  // 100 EUR at 5%
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(a_earn.result().points(), 500);
  v1::RedeemResponse a_redeem;
  s = Redeem(key_a, "a-redeem-1", card, 50, &a_redeem);
  ASSERT_TRUE(s.ok()) << Describe(s);
  v1::AuthorizeRedemptionResponse a_auth;
  s = Authorize(key_a, "a-auth-1", card, 100, &a_auth);
  ASSERT_TRUE(s.ok()) << Describe(s);

  // B: its own member, and an earn on A's member's card.
  const std::string b_card = Enroll(key_b, "b-enroll-1");
  ASSERT_FALSE(b_card.empty());
  v1::EarnResponse b_earn;
  s = Earn(key_b, "b-earn-1", card, 10'000, &b_earn);  // 100 EUR at 2%
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(b_earn.result().points(), 200);

  std::set<int64_t> a_ids;
  for (const v1::Transaction& t : AllTxns(key_a)) a_ids.insert(t.hub_txn_id());
  EXPECT_EQ(a_ids.size(), 4u);  // enroll, earn, redeem, authorize
  EXPECT_EQ(a_ids.count(a_earn.result().hub_txn_id()), 1u);
  EXPECT_EQ(a_ids.count(a_redeem.result().hub_txn_id()), 1u);
  EXPECT_EQ(a_ids.count(a_auth.result().hub_txn_id()), 1u);

  // B asking for A's transactions by id is refused.
  v1::ListTransactionsRequest by_a;
  by_a.set_partner_id(merchant_id_);
  v1::ListTransactionsResponse listed;
  s = ListTxns(key_b, by_a, &listed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_EQ(listed.transactions_size(), 0);

  // Without a filter, and with its own id, B sees exactly its own two.
  for (int64_t filter : {int64_t{0}, b_id}) {
    SCOPED_TRACE(absl::StrCat("partner_id filter ", filter));
    v1::ListTransactionsRequest req;
    req.set_partner_id(filter);
    v1::ListTransactionsResponse own;
    s = ListTxns(key_b, req, &own);
    ASSERT_TRUE(s.ok()) << Describe(s);
    std::set<std::string> ptids;
    for (const v1::Transaction& t : own.transactions()) {
      EXPECT_EQ(a_ids.count(t.hub_txn_id()), 0u) << "B sees A's hub_txn_id " << t.hub_txn_id();
      ptids.insert(t.partner_txn_id());
      if (t.partner_txn_id() == "b-earn-1") {
        EXPECT_EQ(t.hub_txn_id(), b_earn.result().hub_txn_id());
      }
    }
    EXPECT_EQ(ptids, (std::set<std::string>{"b-enroll-1", "b-earn-1"}));
    EXPECT_EQ(own.transactions_size(), 2);
  }

  // Filtered by A's member's card, B still sees only its own earn on it.
  v1::ListTransactionsRequest by_card;
  by_card.set_card_number(card);
  v1::ListTransactionsResponse on_card;
  s = ListTxns(key_b, by_card, &on_card);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(on_card.transactions_size(), 1);
  EXPECT_EQ(on_card.transactions(0).hub_txn_id(), b_earn.result().hub_txn_id());

  // A's partner_txn_ids do not exist for B.
  v1::ReverseResponse rev;
  s = Reverse(key_b, "b-rev-1", "a-earn-1", &rev);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  s = Reverse(key_b, "b-rev-2", "a-redeem-1", &rev);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  v1::CaptureRedemptionResponse cap;
  s = Capture(key_b, "b-cap-1", "a-auth-1", &cap);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  s = Void(key_b, "b-void-1", "a-auth-1");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);

  // None of that moved a point: 500 + 200 - 50, 100 held.
  v1::Balance balance;
  s = GetBalance(key_a, card, &balance);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(balance.balance(), 650);
  EXPECT_EQ(balance.held(), 100);
  EXPECT_EQ(balance.available(), 550);

  // Idempotency keys are per partner: B may use A's id for its own request.
  v1::EarnResponse b_same_id;
  s = Earn(key_b, "a-earn-1", card, 10'000, &b_same_id);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_FALSE(b_same_id.result().replayed());
  EXPECT_NE(b_same_id.result().hub_txn_id(), a_earn.result().hub_txn_id());

  // A still can capture and reverse its own (what B could not reach exists).
  s = Capture(key_a, "a-cap-1", "a-auth-1", &cap);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(cap.result().points(), 100);
  s = Reverse(key_a, "a-rev-1", "a-redeem-1", &rev);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(rev.result().points(), 50);

  // And A's listing never contains B's transactions.
  std::set<int64_t> b_ids;
  for (const v1::Transaction& t : AllTxns(key_b)) b_ids.insert(t.hub_txn_id());
  for (const v1::Transaction& t : AllTxns(key_a)) {
    EXPECT_EQ(b_ids.count(t.hub_txn_id()), 0u) << "A sees B's hub_txn_id " << t.hub_txn_id();
  }
}

TEST_F(AuthTest, SuspendedPartnerIsDeniedEverywhereOthersStillWork) {
  const std::string key_a = keys_.at(Caller::kMerchant);
  const std::string key_issuer = keys_.at(Caller::kIssuer);
  const std::string card = Enroll(key_a, "a-enroll-1");
  ASSERT_FALSE(card.empty());
  v1::EarnResponse earn;
  grpc::Status s = Earn(key_a, "a-earn-1", card, 10'000, &earn);
  ASSERT_TRUE(s.ok()) << Describe(s);

  v1::SuspendPartnerResponse suspended;
  s = Suspend(merchant_id_, &suspended);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_TRUE(suspended.partner().suspended());
  EXPECT_EQ(suspended.partner().partner_id(), merchant_id_);

  int partner_rows = 0;
  for (const RpcCase& c : table_) {
    if (c.service != kPartnerService) continue;
    ++partner_rows;
    SCOPED_TRACE(c.method);
    s = c.call(key_a);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  }
  EXPECT_EQ(partner_rows, 15);
  // Also with requests that would otherwise succeed.
  v1::EarnResponse denied_earn;
  s = Earn(key_a, "a-earn-2", card, 10'000, &denied_earn);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  v1::Balance balance;
  s = GetBalance(key_a, card, &balance);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  EXPECT_TRUE(AllTxns(key_issuer).empty());  // and nobody else sees A's history

  // The other partner still works, on the same member.
  s = GetBalance(key_issuer, card, &balance);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(balance.balance(), 500);
  v1::EarnResponse issuer_earn;
  s = Earn(key_issuer, "i-earn-1", card, 10'000, &issuer_earn);  // 100 EUR at 1%
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(issuer_earn.result().points(), 100);
  EXPECT_EQ(issuer_earn.result().balance_after(), 600);

  bool found = false;
  for (const v1::Partner& p : ListPartners()) {
    if (p.partner_id() == merchant_id_) {
      found = true;
      EXPECT_TRUE(p.suspended());
    } else {
      EXPECT_FALSE(p.suspended()) << p.name();
    }
  }
  EXPECT_TRUE(found);

  // Suspending twice is refused; the admin key is unaffected.
  s = Suspend(merchant_id_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);

  // The suspension is the partner's, not the key's: a rotated key is denied as well,
  // and the rotated-out key is unknown.
  v1::RotateApiKeyRequest rotate;
  rotate.set_partner_id(merchant_id_);
  v1::RotateApiKeyResponse rotated;
  s = Invoke(admin_.get(), &AdminStub::RotateApiKey, std::string(kAdminKey), rotate, &rotated);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_FALSE(rotated.api_key().empty());
  s = GetBalance(rotated.api_key(), card, &balance);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);
  s = GetBalance(key_a, card, &balance);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
}

TEST_F(AuthTest, RotateApiKeyRetiresTheOldKeyAtOnce) {
  const std::string old_key = keys_.at(Caller::kMerchant);
  const std::string card = Enroll(old_key, "a-enroll-1");
  ASSERT_FALSE(card.empty());
  v1::EarnResponse earn;
  grpc::Status s = Earn(old_key, "a-earn-1", card, 10'000, &earn);
  ASSERT_TRUE(s.ok()) << Describe(s);

  v1::RotateApiKeyRequest rotate;
  rotate.set_partner_id(merchant_id_);
  v1::RotateApiKeyResponse rotated;
  s = Invoke(admin_.get(), &AdminStub::RotateApiKey, std::string(kAdminKey), rotate, &rotated);
  ASSERT_TRUE(s.ok()) << Describe(s);
  const std::string new_key = rotated.api_key();
  ASSERT_FALSE(new_key.empty());
  EXPECT_NE(new_key, old_key);

  v1::ListTransactionsResponse listed;
  s = ListTxns(old_key, v1::ListTransactionsRequest(), &listed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);
  v1::EarnResponse denied;
  s = Earn(old_key, "a-earn-2", card, 10'000, &denied);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(s);

  // The new key acts as the same partner: it sees the earlier earn and can replay it.
  std::vector<v1::Transaction> txns = AllTxns(new_key);
  bool saw_earn = false;
  for (const v1::Transaction& t : txns) {
    if (t.hub_txn_id() == earn.result().hub_txn_id()) saw_earn = true;
  }
  EXPECT_TRUE(saw_earn);
  EXPECT_EQ(txns.size(), 2u);
  v1::EarnResponse replay;
  s = Earn(new_key, "a-earn-1", card, 10'000, &replay);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_TRUE(replay.result().replayed());
  EXPECT_EQ(replay.result().hub_txn_id(), earn.result().hub_txn_id());

  // Other keys are unaffected.
  v1::Balance balance;
  s = GetBalance(keys_.at(Caller::kIssuer), card, &balance);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(balance.balance(), 500);

  // Rotating an unknown partner fails NOT_FOUND.
  rotate.set_partner_id(merchant_id_ + issuer_id_ + 1000);
  s = Invoke(admin_.get(), &AdminStub::RotateApiKey, std::string(kAdminKey), rotate, &rotated);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
}

TEST_F(AuthTest, ExclusiveCategoryIsFreedBySuspension) {
  // "grocery" is held by the fixture's merchant "Grocer A".
  v1::RegisterPartnerResponse resp;
  for (v1::Role role : {v1::ROLE_MERCHANT, v1::ROLE_ISSUER}) {
    SCOPED_TRACE(v1::Role_Name(role));
    grpc::Status s = Register("Grocer Z", "grocery", role, 400, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
    EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat("partner ", merchant_id_)));
    EXPECT_THAT(s.error_message(), HasSubstr("Grocer A"));
    EXPECT_THAT(s.error_message(), HasSubstr("category"));
  }
  EXPECT_EQ(ListPartners().size(), 2u);

  grpc::Status s = Suspend(merchant_id_);
  ASSERT_TRUE(s.ok()) << Describe(s);
  s = Register("Grocer Z", "grocery", v1::ROLE_MERCHANT, 400, &resp);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_NE(resp.partner().partner_id(), merchant_id_);
  EXPECT_EQ(resp.partner().category(), "grocery");
  EXPECT_FALSE(resp.partner().suspended());

  // The new holder's key works; the suspended holder's does not.
  const std::string card = Enroll(resp.api_key(), "z-enroll-1");
  EXPECT_FALSE(card.empty());
  v1::ListTransactionsResponse listed;
  s = ListTxns(keys_.at(Caller::kMerchant), v1::ListTransactionsRequest(), &listed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(s);

  int active_grocers = 0;
  int grocers = 0;
  for (const v1::Partner& p : ListPartners()) {
    if (p.category() != "grocery") continue;
    ++grocers;
    if (!p.suspended()) ++active_grocers;
  }
  EXPECT_EQ(grocers, 2);
  EXPECT_EQ(active_grocers, 1);

  // And now the new holder blocks the category in turn, naming itself.
  v1::RegisterPartnerResponse third;
  s = Register("Grocer Y", "grocery", v1::ROLE_MERCHANT, 400, &third);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat("partner ", resp.partner().partner_id())));
  EXPECT_THAT(s.error_message(), HasSubstr("Grocer Z"));
  EXPECT_THAT(s.error_message(), Not(HasSubstr("Grocer A")));
}

}  // namespace
}  // namespace loyalty
